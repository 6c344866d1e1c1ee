"""Who is calling: the ``sub`` of the Bearer JWT AgentCore forwarded, or ``anonymous``.

The token is decoded without verifying its signature on purpose: AgentCore's JWT authorizer already
verified it before forwarding the request, and the container has no business re-fetching keys.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping

from agent.errors import UnauthorizedError

ANONYMOUS_ACTOR = "anonymous"
SAFE_ACTOR_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$")


def actor_key(subject: str) -> str:
    """A store-safe actor id: the subject itself when it is path/key safe, otherwise a stable hash.

    Cognito subjects are UUIDs and pass through unchanged; anything else cannot escape its namespace.
    """
    if SAFE_ACTOR_PATTERN.match(subject):
        return subject
    return "sha256-" + hashlib.sha256(subject.encode()).hexdigest()[:40]


def caller_actor(headers: Mapping[str, str] | None) -> str:
    """Return the actor id for a request from its (forwarded) headers.

    Raises:
        UnauthorizedError: an Authorization header that is not ``Bearer <JWT with sub>``.
    """
    authorization = next((v for k, v in (headers or {}).items() if k.lower() == "authorization"), None)
    if not authorization:
        return ANONYMOUS_ACTOR
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise UnauthorizedError("Authorization header must be 'Bearer <JWT>'")
    import jwt  # imported on first use: pyjwt pulls in cryptography, ~40 ms of cold start before /ping

    try:
        claims = jwt.decode(token.strip(), options={"verify_signature": False})
    except jwt.PyJWTError:
        raise UnauthorizedError("Authorization bearer token is not a readable JWT") from None
    subject = claims.get("sub")
    if not isinstance(subject, str) or not subject:
        raise UnauthorizedError("Authorization bearer token has no 'sub' claim")
    return actor_key(subject)
