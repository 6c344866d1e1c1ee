// The app's runtime configuration: config.json beside index.html, written at deploy time (stacks/web) or by
// `make local`, read once at start. Nothing here is a secret: ids and public URLs only.

const REQUIRED = ["region", "runtimeArn", "qualifier", "userPoolId", "clientId", "cognitoDomain"];
const REGION = /^[a-z]{2}(-[a-z]+)+-\d$/;

export class ConfigError extends Error {}

/** Fetch and check config.json; every problem is reported at once, each naming the field. */
export async function loadConfig(url = "config.json") {
  let response;
  try {
    response = await fetch(url, { cache: "no-store" });
  } catch {
    throw new ConfigError("could not load config.json");
  }
  if (!response.ok) throw new ConfigError(`config.json answered HTTP ${response.status}`);
  return checkConfig(await response.json());
}

/** The typed config, with the AWS endpoints derived from the region unless the offline twin names its own. */
export function checkConfig(raw) {
  const problems = REQUIRED.filter((key) => typeof raw?.[key] !== "string" || raw[key] === "").map(
    (key) => `${key} is missing or not a string`,
  );
  if (typeof raw?.region === "string" && !REGION.test(raw.region)) problems.push(`region is '${raw.region}'`);
  if (problems.length) throw new ConfigError(`config.json: ${problems.join("; ")}`);
  return Object.freeze({
    region: raw.region,
    runtimeArn: raw.runtimeArn,
    qualifier: raw.qualifier,
    userPoolId: raw.userPoolId,
    clientId: raw.clientId,
    cognitoDomain: raw.cognitoDomain.replace(/\/+$/, ""),
    // Cognito publishes the pool's discovery document and keys here (the CSP's connect-src allows it).
    oidcAuthority: raw.oidcAuthority ?? `https://cognito-idp.${raw.region}.amazonaws.com/${raw.userPoolId}`,
    runtimeWebSocketUrl: (raw.runtimeWebSocketUrl ?? `wss://bedrock-agentcore.${raw.region}.amazonaws.com`).replace(
      /\/+$/,
      "",
    ),
  });
}
