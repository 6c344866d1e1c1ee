// The chat page: sign in, conversations per user, streamed answers over the runtime's WebSocket, stop, sign out,
// and "Delete my data" (web/src/forget.js).
import { createAuth } from "./auth.js";
import { loadConfig } from "./config.js";
import { ConversationStore, newSessionId } from "./conversations.js";
import { COULD_NOT_CONNECT, describeError } from "./errors.js";
import { ForgetError, forgetMe, receiptLines } from "./forget.js";
import { ConnectError, RuntimeSocket } from "./transport.js";

const $ = (id) => document.getElementById(id);
const state = { config: null, auth: null, user: null, store: null, current: null, socket: null, turn: null };

function showAlert(text, retry = null) {
  $("alert-text").textContent = text;
  $("alert").hidden = false;
  $("retry").hidden = !retry;
  $("retry").onclick = retry
    ? () => {
        hideAlert();
        retry();
      }
    : null;
}

function hideAlert() {
  $("alert").hidden = true;
}

function userName(user) {
  return user.profile.email || user.profile["cognito:username"] || user.profile.sub;
}

function renderSignedIn() {
  const signedIn = Boolean(state.user);
  document.body.dataset.signedIn = String(signedIn);
  $("who").textContent = signedIn ? `Signed in as ${userName(state.user)}` : "Signed out";
  $("sign-in").hidden = signedIn;
  $("sign-out").hidden = !signedIn;
  $("forget").hidden = !signedIn;
  $("app").hidden = !signedIn;
  if (signedIn) renderConversations();
}

function renderConversations() {
  const list = $("conversations");
  const conversations = state.store.list();
  list.replaceChildren(
    ...conversations.map((conversation) => {
      const item = document.createElement("li");
      const button = document.createElement("button");
      button.type = "button";
      button.textContent = conversation.title;
      button.dataset.sessionId = conversation.id;
      if (conversation.id === state.current?.id) button.setAttribute("aria-current", "true");
      button.addEventListener("click", () => openConversation(conversation.id));
      item.append(button);
      return item;
    }),
  );
  $("no-conversations").hidden = conversations.length > 0;
}

function renderMessages() {
  const messages = state.current?.messages ?? [];
  $("messages").replaceChildren(...messages.map(messageElement));
  $("session").textContent = state.current ? `Session ${state.current.id}` : "";
  $("session").dataset.sessionId = state.current?.id ?? "";
  const ready = Boolean(state.current);
  $("prompt").disabled = !ready;
  $("send").disabled = !ready || Boolean(state.turn);
}

function messageElement(message) {
  const item = document.createElement("li");
  item.className = `message ${message.role}`;
  const who = document.createElement("span");
  who.className = "visually-hidden";
  who.textContent = message.role === "user" ? "You: " : "Agent: ";
  const text = document.createElement("p");
  text.textContent = message.text;
  item.append(who, text);
  return item;
}

function closeSocket() {
  state.socket?.close();
  state.socket = null;
  state.turn = null;
}

function newChat() {
  closeSocket();
  state.current = { id: newSessionId(), title: "New chat", messages: [], createdAt: new Date().toISOString() };
  state.store.save(state.current);
  window.location.hash = `#/c/${state.current.id}`;
  renderConversations();
  renderMessages();
  $("prompt").focus();
}

function openConversation(id) {
  closeSocket();
  hideAlert();
  state.current = state.store.get(id) ?? { id, title: `Chat ${id.slice(0, 12)}…`, messages: [] };
  state.store.save(state.current);
  window.location.hash = `#/c/${id}`;
  renderConversations();
  renderMessages();
}

async function ensureSocket() {
  if (state.socket?.open) return state.socket;
  const socket = new RuntimeSocket(state.config, state.current.id, state.user.access_token, {
    onEvent: onRuntimeEvent,
    onClose: ({ reason }) => {
      if (state.socket === socket) state.socket = null;
      if (reason) showAlert(describeError(reason));
      endTurn();
    },
  });
  await socket.connect();
  state.socket = socket;
  return socket;
}

async function send(prompt) {
  hideAlert();
  const conversation = state.current;
  conversation.messages.push({ role: "user", text: prompt });
  if (conversation.title === "New chat") conversation.title = prompt.slice(0, 40);
  state.store.save(conversation);
  renderConversations();
  renderMessages();
  try {
    const socket = await ensureSocket();
    state.turn = { answer: { role: "agent", text: "" } };
    conversation.messages.push(state.turn.answer);
    setBusy(true);
    socket.sendPrompt(prompt);
  } catch (error) {
    const retry = () => send(conversation.messages.pop().text);
    showAlert(error instanceof ConnectError ? COULD_NOT_CONNECT : describeError(error), retry);
  }
}

function onRuntimeEvent(event) {
  if (!state.turn) return;
  if (event.type === "delta") {
    state.turn.answer.text += event.text ?? "";
  } else if (event.type === "done") {
    state.turn.answer.text = event.response ?? state.turn.answer.text;
    endTurn();
  } else if (event.type === "error") {
    showAlert(describeError(event));
    endTurn();
  }
  renderMessages();
}

function endTurn() {
  if (state.current) state.store.save(state.current);
  state.turn = null;
  setBusy(false);
  renderMessages();
}

function setBusy(busy) {
  $("stop").hidden = !busy;
  $("send").disabled = busy;
  if (busy) $("stop").focus();
  else $("prompt").focus();
}

function openForgetDialog() {
  $("forget-heading").textContent = "Delete my data?";
  $("forget-ask").hidden = false;
  $("forget-result").hidden = true;
  $("forget-confirm").disabled = false;
  $("forget-dialog").showModal();
}

async function deleteMyData() {
  $("forget-confirm").disabled = true;
  closeSocket();
  try {
    const receipt = await forgetMe(state.config, state.user.access_token);
    if (receipt.complete) {
      // The conversations are gone on the server: their ids in this browser would only open empty chats.
      state.store.clear();
      state.current = null;
      window.history.replaceState(null, "", window.location.pathname);
      renderConversations();
      renderMessages();
    }
    showForgetResult(
      receipt.complete ? "Your data was deleted" : "Not everything was deleted",
      receipt.complete
        ? "The agent deleted everything it stored about you:"
        : "Some of your data is still stored. Try again to finish deleting it.",
      receiptLines(receipt),
    );
  } catch (error) {
    const reason = error instanceof ForgetError ? describeError(error.reason) : COULD_NOT_CONNECT;
    showForgetResult("Your data was not deleted", reason, []);
  }
}

function showForgetResult(heading, status, lines) {
  $("forget-heading").textContent = heading;
  $("forget-status").textContent = status;
  $("forget-receipt").replaceChildren(
    ...lines.map((line) => {
      const item = document.createElement("li");
      item.textContent = line;
      return item;
    }),
  );
  $("forget-ask").hidden = true;
  $("forget-result").hidden = false;
  $("forget-close").focus();
}

function wire() {
  $("sign-in").addEventListener("click", () => state.auth.signIn());
  $("sign-out").addEventListener("click", async () => {
    closeSocket();
    await state.auth.signOut();
  });
  $("new-chat").addEventListener("click", newChat);
  $("forget").addEventListener("click", openForgetDialog);
  $("forget-confirm").addEventListener("click", deleteMyData);
  $("forget-cancel").addEventListener("click", () => $("forget-dialog").close());
  $("forget-close").addEventListener("click", () => $("forget-dialog").close());
  $("stop").addEventListener("click", () => state.socket?.cancel());
  $("composer").addEventListener("submit", (event) => {
    event.preventDefault();
    const prompt = $("prompt").value.trim();
    if (!prompt || state.turn) return;
    $("prompt").value = "";
    send(prompt);
  });
  $("prompt").addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey) {
      event.preventDefault();
      $("composer").requestSubmit();
    }
  });
}

async function start() {
  wire();
  try {
    state.config = await loadConfig();
    state.auth = createAuth(state.config);
    state.user = await state.auth.currentUser();
  } catch (error) {
    showAlert(error.message);
    document.body.dataset.signedIn = "false";
    return;
  }
  if (state.user) {
    state.store = new ConversationStore(state.user.profile.sub);
    const match = /^#\/c\/([A-Za-z0-9_-]{33,256})$/.exec(window.location.hash);
    if (match) openConversation(match[1]);
  }
  renderSignedIn();
  renderMessages();
  document.body.dataset.ready = "true";
}

start();
