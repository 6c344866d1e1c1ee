// The conversation list, kept in this browser per signed-in user (keyed by the token's sub claim).

const PREFIX = "agentcore-chat:v1:";
const MAX_CONVERSATIONS = 100;

/** A new runtime session id: AgentCore wants at least 33 characters; a random UUID has 36. */
export function newSessionId() {
  return `web-${crypto.randomUUID()}`;
}

export class ConversationStore {
  constructor(userSub, storage = window.localStorage) {
    if (!userSub) throw new Error("a conversation store needs the user's sub");
    this.key = `${PREFIX}${userSub}`;
    this.storage = storage;
  }

  list() {
    try {
      const value = JSON.parse(this.storage.getItem(this.key) ?? "[]");
      return Array.isArray(value) ? value : [];
    } catch {
      return [];
    }
  }

  get(id) {
    return this.list().find((c) => c.id === id) ?? null;
  }

  /** Forget every conversation of this user in this browser (after "Delete my data"). */
  clear() {
    this.storage.removeItem(this.key);
  }

  /** Insert or update one conversation, newest first. */
  save(conversation) {
    const rest = this.list().filter((c) => c.id !== conversation.id);
    this.storage.setItem(this.key, JSON.stringify([conversation, ...rest].slice(0, MAX_CONVERSATIONS)));
  }
}
