// Drives web/src/forget.js from Node.js 24 against a test server: argv = [base URL, runtime ARN, access token].
// Prints one JSON line: {"receipt": …} when forgetMe resolved, {"error": {"forget", "reason"}} when it rejected.
import { ForgetError, forgetMe } from "../../web/src/forget.js";

const [baseUrl, runtimeArn, token] = process.argv.slice(2);
const config = { runtimeWebSocketUrl: baseUrl, runtimeArn, qualifier: "live" };
try {
  console.log(JSON.stringify({ receipt: await forgetMe(config, token) }));
} catch (error) {
  console.log(JSON.stringify({ error: { forget: error instanceof ForgetError, reason: error.reason ?? null } }));
}
