// Drives web/src/transport.js from Node.js 24 (which has the browser's WebSocket API) against a test server:
// argv = [base URL, runtime ARN, session id, access token]. Prints one JSON line: events, close, or the error.
import { ConnectError, RuntimeSocket } from "../../web/src/transport.js";

const [baseUrl, runtimeArn, sessionId, token] = process.argv.slice(2);
const config = { runtimeWebSocketUrl: baseUrl, runtimeArn, qualifier: "live" };
const events = [];
const closed = new Promise((resolve) => {
  const socket = new RuntimeSocket(config, sessionId, token, {
    onEvent: (event) => {
      events.push(event);
      if (event.type === "done") socket.cancel();
    },
    onClose: resolve,
  });
  socket
    .connect()
    .then(() => socket.sendPrompt("hi"))
    .catch((error) => resolve({ connectError: error instanceof ConnectError }));
});
console.log(JSON.stringify({ events, close: await closed }));
