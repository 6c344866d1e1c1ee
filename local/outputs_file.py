"""Write the local runtime's outputs file in the shape `make deploy` writes.

WHY the same shape: the client reads `{ "<StackName>": { "<OutputKey>": "<value>" } }` and merges the
maps, so `--local` and `--stage` share one loader. Keys that exist only locally live under `-Local`:
`InvocationBaseUrl` (the front door, instead of `https://bedrock-agentcore.<region>.amazonaws.com`),
`AwsEndpointUrl` (moto, for the Cognito calls) and, with `--authorizer iam`, `AccessKeyId` and
`SecretAccessKey` (the key pair the SigV4 front door accepts). The file is 0600 because of that secret.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from local.identity_pool import LocalIdentity
from local.sigv4_authorizer import LocalKeyPair

STACK_PREFIX = "AgentCoreSession-local"


def outputs_document(
    *,
    identity: LocalIdentity,
    runtime_arn: str,
    endpoint_name: str,
    front_door_url: str,
    session_store: str,
    session_bucket: str | None = None,
    memory_id: str | None = None,
    long_term_memory_namespaces: str | None = None,
    authorizer: str = "jwt",
    key_pair: LocalKeyPair | None = None,
) -> dict[str, dict[str, str]]:
    """Build the outputs document for a running local runtime.

    ``SessionBucketName`` comes with an S3 store, ``MemoryId`` with a Memory store and ``LongTermMemoryNamespaces``
    with long-term memory, as deployed; the key pair when the front door wants SigV4.
    """
    runtime_id = runtime_arn.rsplit("/", 1)[-1]
    store = {
        "SessionStore": session_store,
        **({"SessionBucketName": session_bucket} if session_bucket else {}),
        **({"MemoryId": memory_id} if memory_id else {}),
        **({"LongTermMemoryNamespaces": long_term_memory_namespaces} if long_term_memory_namespaces else {}),
    }
    local = {"InvocationBaseUrl": front_door_url, "AwsEndpointUrl": identity.endpoint_url}
    if key_pair is not None:
        local.update(AccessKeyId=key_pair.access_key_id, SecretAccessKey=key_pair.secret_access_key)
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
            "AuthorizerType": authorizer,
            "Region": identity.region,
        },
        f"{STACK_PREFIX}-Local": local,
    }


def write_outputs(path: Path, document: dict[str, dict[str, str]]) -> None:
    """Write atomically (a client never reads a half-written file), owner-only from the start (mode 0600)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(descriptor, 0o600)  # an older .tmp left by a crash keeps its mode through O_CREAT
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(json.dumps(document, indent=2) + "\n")
    os.replace(temporary, path)
