"""Who is calling: the ``sub`` of the Bearer JWT AgentCore forwarded, or ``anonymous``.

The token is decoded without verifying its signature on purpose: AgentCore's JWT authorizer already
verified it before forwarding the request, and the container has no business re-fetching keys.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence

from agent.errors import BadRequestError, UnauthorizedError

ANONYMOUS_ACTOR = "anonymous"
SAFE_ACTOR_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$")


def actor_key(subject: str) -> str:
    """A store-safe actor id: the subject itself when it is path/key safe, otherwise a stable hash.

    Cognito subjects are UUIDs and pass through unchanged; anything else cannot escape its namespace.
    """
    if SAFE_ACTOR_PATTERN.match(subject):
        return subject
    return "sha256-" + hashlib.sha256(subject.encode()).hexdigest()[:40]


def caller_actor(authorization_headers: Sequence[str]) -> str:
    """Return the actor id for a request from the values of its (forwarded) ``Authorization`` headers.

    Raises:
        BadRequestError: ``duplicate_header`` when there is more than one: which one an upstream checked is
            unknowable, so neither is trusted (the local front door answers 401 for the same reason).
        UnauthorizedError: an Authorization header that is not ``Bearer <JWT with sub>``.
    """
    if len(authorization_headers) > 1:
        raise BadRequestError(
            f"request has {len(authorization_headers)} Authorization headers; send exactly one",
            code="duplicate_header",
        )
    authorization = authorization_headers[0] if authorization_headers else ""
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
