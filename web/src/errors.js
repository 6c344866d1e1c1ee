// Readable messages for what the runtime and the network can answer (error codes: agent/errors.py).

const BY_CODE = {
  session_forbidden: "This conversation belongs to another user. Start a new chat.",
  invalid_token: "Your sign-in has expired. Sign in again.",
  session_busy: "This conversation is still answering. Wait for it, or stop it.",
  session_queue_full: "Too many messages are waiting in this conversation. Try again shortly.",
  throttled: "The service is busy (throttled). Try again in a moment.",
  model_error: "The model could not answer. Try again in a moment.",
  store_error: "The conversation could not be saved. Try again.",
  payload_too_large: "That message is too long.",
  runtime_unavailable: "The agent runtime is unavailable right now. Try again shortly.",
};

/** The sentence to show for a runtime error event or a close reason. */
export function describeError({ code, message } = {}) {
  if (code && BY_CODE[code]) return BY_CODE[code];
  if (/throttl|too many requests|rate exceeded/i.test(message ?? "")) return BY_CODE.throttled;
  return message ? `The agent reported an error: ${message}` : "Something went wrong. Try again.";
}

export const COULD_NOT_CONNECT =
  "Could not connect to the agent runtime (it may be unavailable, throttling, or your sign-in expired).";
