// Drives web/src/transport.js from Node.js 24 (which has the browser's WebSocket API) against a test server:
// argv = [base URL, runtime ARN, session id, access token, mode]. Prints one JSON line: events, close, or the error.
// Modes, after the `done` event: "cancel" sends a cancel and waits for the server's close; "close" closes the
// socket itself and waits until the browser API has dispatched the close event, recording any onClose calls.
import { ConnectError, RuntimeSocket } from "../../web/src/transport.js";

const [baseUrl, runtimeArn, sessionId, token, mode = "cancel"] = process.argv.slice(2);
const config = { runtimeWebSocketUrl: baseUrl, runtimeArn, qualifier: "live" };
const events = [];
const onCloseCalls = [];
const closed = new Promise((resolve) => {
  const socket = new RuntimeSocket(config, sessionId, token, {
    onEvent: (event) => {
      events.push(event);
      if (event.type !== "done") return;
      if (mode === "close") {
        // Listeners run in the order they were added: this one runs after transport.js's own.
        socket.socket.addEventListener("close", () => resolve({ selfClosed: true, onCloseCalls }));
        socket.close();
      } else {
        socket.cancel();
      }
    },
    onClose: (close) => (mode === "close" ? onCloseCalls.push(close) : resolve(close)),
  });
  socket
    .connect()
    .then(() => socket.sendPrompt("hi"))
    .catch((error) => resolve({ connectError: error instanceof ConnectError }));
});
console.log(JSON.stringify({ events, close: await closed }));
