"""Write the local runtime's outputs file in the shape `make deploy` writes.

WHY the same shape: the client reads `{ "<StackName>": { "<OutputKey>": "<value>" } }` and merges the
maps, so `--local` and `--stage` share one loader. Two keys exist only locally: `InvocationBaseUrl`
(the front door, instead of `https://bedrock-agentcore.<region>.amazonaws.com`) and `AwsEndpointUrl`
(moto, for the Cognito calls).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from local.identity_pool import LocalIdentity

STACK_PREFIX = "AgentCoreSession-local"


def outputs_document(
    *,
    identity: LocalIdentity,
    runtime_arn: str,
    endpoint_name: str,
    front_door_url: str,
    session_store: str,
    session_bucket: str | None = None,
) -> dict[str, dict[str, str]]:
    """Build the outputs document for a running local runtime (``SessionBucketName`` with an S3 store, as deployed)."""
    runtime_id = runtime_arn.rsplit("/", 1)[-1]
    store = {"SessionStore": session_store, **({"SessionBucketName": session_bucket} if session_bucket else {})}
    return {
        f"{STACK_PREFIX}-Identity": {
            "UserPoolId": identity.user_pool_id,
            "UserPoolClientId": identity.client_id,
            "OidcDiscoveryUrl": identity.discovery_url,
            "Region": identity.region,
        },
        f"{STACK_PREFIX}-Runtime": {
            "RuntimeArn": runtime_arn,
            "RuntimeId": runtime_id,
            "EndpointName": endpoint_name,
            **store,
            "AuthorizerType": "jwt",
            "Region": identity.region,
        },
        f"{STACK_PREFIX}-Local": {
            "InvocationBaseUrl": front_door_url,
            "AwsEndpointUrl": identity.endpoint_url,
        },
    }


def write_outputs(path: Path, document: dict[str, dict[str, str]]) -> None:
    """Write atomically so a client never reads a half-written file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    os.replace(temporary, path)
