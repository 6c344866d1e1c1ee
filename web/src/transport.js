// AgentCore Runtime's WebSocket contract, spoken directly from the browser (no proxy):
//   wss://bedrock-agentcore.<region>.amazonaws.com/runtimes/<URL-encoded ARN>/ws
//     ?qualifier=<endpoint>&X-Amzn-Bedrock-AgentCore-Runtime-Session-Id=<session id>
// A browser cannot set an Authorization header on a WebSocket, so the bearer token travels as the subprotocol
// `base64UrlBearerAuthorization.<base64url(token), no padding>` next to the sentinel
// `base64UrlBearerAuthorization`, which is the one echoed back (devguide: runtime-get-started-websocket).
// Frames: the client sends {"prompt": …}, {"type": "cancel"} or {"action": "forget_me"}; the agent answers with the
// SSE contract's events {"type": "delta", "text"}, {"type": "done", "response", …}, {"type": "error", "code",
// "message"}, and forget-me with {"type": "receipt", "receipt": …} (web/src/forget.js).

export const BEARER_SUBPROTOCOL = "base64UrlBearerAuthorization";
export const SESSION_ID_PARAMETER = "X-Amzn-Bedrock-AgentCore-Runtime-Session-Id";

/** base64url without padding (RFC 4648 §5) of a string's UTF-8 bytes. */
export function base64Url(text) {
  let binary = "";
  for (const byte of new TextEncoder().encode(text)) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

export function runtimeSocketUrl(config, sessionId) {
  const query = new URLSearchParams({ qualifier: config.qualifier, [SESSION_ID_PARAMETER]: sessionId });
  return `${config.runtimeWebSocketUrl}/runtimes/${encodeURIComponent(config.runtimeArn)}/ws?${query}`;
}

export function bearerSubprotocols(accessToken) {
  return [`${BEARER_SUBPROTOCOL}.${base64Url(accessToken)}`, BEARER_SUBPROTOCOL];
}

// RFC 6455 §7.4.1: 1000 is a normal closure, the purpose the connection was made for fulfilled.
const NORMAL_CLOSURE = 1000;

/** Thrown when the socket closed before it opened: the browser hides the HTTP refusal (code 1006). */
export class ConnectError extends Error {}

/**
 * One conversation's socket. Handlers: onEvent(event), onClose({code, reason}). onClose runs only when the
 * runtime closed the socket; `reason` is null unless it names an error (a JSON code, or text on a close other
 * than 1000), so neither the app's own close() (New chat, sign out) nor a runtime's normal close reads as an
 * error (issue 19).
 */
export class RuntimeSocket {
  constructor(config, sessionId, accessToken, { onEvent, onClose }) {
    this.url = runtimeSocketUrl(config, sessionId);
    this.protocols = bearerSubprotocols(accessToken);
    this.onEvent = onEvent;
    this.onClose = onClose;
    this.socket = null;
  }

  get open() {
    return this.socket?.readyState === WebSocket.OPEN;
  }

  connect() {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(this.url, this.protocols);
      let opened = false;
      socket.addEventListener("open", () => {
        opened = true;
        this.socket = socket;
        resolve();
      });
      socket.addEventListener("message", (message) => this.onEvent(parseEvent(message.data)));
      socket.addEventListener("close", (event) => {
        if (!opened) {
          reject(new ConnectError(`could not connect (close code ${event.code})`));
          return;
        }
        if (this.socket !== socket) return; // closed by close(): the app asked for it
        this.socket = null;
        const reason = parseReason(event.reason);
        const error = reason.code || (reason.message && event.code !== NORMAL_CLOSURE);
        this.onClose({ code: event.code, reason: error ? reason : null });
      });
    });
  }

  sendPrompt(prompt) {
    this.socket.send(JSON.stringify({ prompt }));
  }

  sendAction(action) {
    this.socket.send(JSON.stringify({ action }));
  }

  cancel() {
    if (this.open) this.socket.send(JSON.stringify({ type: "cancel" }));
  }

  close() {
    this.socket?.close(NORMAL_CLOSURE, "done");
    this.socket = null;
  }
}

function parseEvent(data) {
  if (typeof data !== "string") return { type: "error", code: "bad_frame", message: "the runtime sent binary data" };
  try {
    const event = JSON.parse(data);
    return event && typeof event.type === "string" ? event : { type: "error", code: "bad_frame", message: data };
  } catch {
    return { type: "error", code: "bad_frame", message: "the runtime sent a frame that is not JSON" };
  }
}

/** A close reason is JSON ({"code", "message"}) when the agent refuses; plain text otherwise. */
function parseReason(reason) {
  try {
    const parsed = JSON.parse(reason);
    if (parsed && typeof parsed === "object") return parsed;
  } catch {
    /* plain text */
  }
  return { message: reason };
}
