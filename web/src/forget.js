// "Delete my data": erase everything the agent stores about the signed-in user, over the runtime's WebSocket.
// The agent reads the user from the bearer token, never from the frame, so nobody can name someone else. The
// request runs in a fresh session of its own (the agent leaves no owner record for it) and answers with one
// {"type": "receipt", "receipt": {"actor", "deleted": {kind: count}, "not_deleted": [{kind, reason}], "complete"}}.
import { newSessionId } from "./conversations.js";
import { RuntimeSocket } from "./transport.js";

export const FORGET_ME = "forget_me";

/** Thrown when the runtime answered with an error event or closed before the receipt. */
export class ForgetError extends Error {
  constructor(reason) {
    super(reason?.message ?? "the runtime closed the connection before the receipt");
    this.reason = reason ?? {};
  }
}

/** Resolves with the receipt; rejects with ConnectError (no connection) or ForgetError. */
export async function forgetMe(config, accessToken) {
  let settle;
  const answered = new Promise((resolve, reject) => {
    settle = { resolve, reject };
  });
  const socket = new RuntimeSocket(config, newSessionId(), accessToken, {
    onEvent: (event) => {
      if (event.type === "receipt" && isReceipt(event.receipt)) settle.resolve(event.receipt);
      else if (event.type === "error") settle.reject(new ForgetError(event));
      else settle.reject(new ForgetError({ code: "bad_frame", message: "the runtime sent no receipt" }));
    },
    onClose: ({ reason }) => settle.reject(new ForgetError(reason)),
  });
  await socket.connect();
  try {
    socket.sendAction(FORGET_ME);
    return await answered;
  } finally {
    socket.close();
  }
}

function isReceipt(receipt) {
  return (
    Boolean(receipt) &&
    typeof receipt.actor === "string" &&
    typeof receipt.complete === "boolean" &&
    receipt.deleted !== null &&
    typeof receipt.deleted === "object" &&
    Array.isArray(receipt.not_deleted)
  );
}

/** Readable lines of a receipt, in the agent's order: one per kind erased (with its count), one per kind left. */
export function receiptLines(receipt) {
  const erased = Object.entries(receipt.deleted).map(([kind, count]) => `${kind.replace(/_/g, " ")}: ${count} deleted`);
  const kept = receipt.not_deleted.map(({ kind, reason }) => `${kind.replace(/_/g, " ")}: not deleted (${reason})`);
  return [...erased, ...kept];
}
