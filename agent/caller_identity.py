"""Who is calling: the ``sub`` of the forwarded Bearer JWT, the end user an IAM caller names, or ``anonymous``.

Which header counts depends on the runtime's authorizer (``AUTHORIZER_TYPE``, set by the stack):

- ``jwt``: the token is decoded without verifying its signature on purpose: AgentCore's JWT authorizer
  already verified it before forwarding the request, and the container has no business re-fetching keys.
  The end-user header is never read, even if it arrives.
- ``iam``: AgentCore verified the caller's SigV4 signature and ``bedrock-agentcore:InvokeAgentRuntime``;
  that trusted backend names its end user in the end-user header (``agent/agentcore_headers.py``), which
  AgentCore forwards because the stack allowlists it. ``Authorization`` is never read in this mode (AgentCore
  forwards it only to JWT runtimes). Trust model and sources: docs/agent.md.
"""

from __future__ import annotations

import hashlib
import re
from typing import Protocol

from agent.agentcore_headers import END_USER_HEADER
from agent.errors import BadRequestError, UnauthorizedError
from agent.session_owners import OWNER_ACTOR

ANONYMOUS_ACTOR = "anonymous"
SAFE_ACTOR_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$")
HASHED_ACTOR_PREFIX = "sha256-"
# Actor ids the agent itself uses: a caller named like one must not land in its namespace.
RESERVED_ACTORS = frozenset({ANONYMOUS_ACTOR, OWNER_ACTOR})


def actor_key(subject: str) -> str:
    """A store-safe actor id: the subject itself when it is path/key safe, otherwise a stable hash.

    Cognito subjects are UUIDs and pass through unchanged; anything else cannot escape its namespace.
    Reserved names (``anonymous``, the owner records' actor) and names that look like a hash are hashed
    too: an end user called ``anonymous`` or ``sha256-<hash of someone else>`` must not share their actor.
    """
    if (
        SAFE_ACTOR_PATTERN.match(subject)
        and subject not in RESERVED_ACTORS
        and not subject.startswith(HASHED_ACTOR_PREFIX)
    ):
        return subject
    return HASHED_ACTOR_PREFIX + hashlib.sha256(subject.encode()).hexdigest()[:40]


class MultiHeaders(Protocol):
    """Request headers that keep repeated names apart (Starlette's ``Headers``)."""

    def getlist(self, key: str) -> list[str]: ...


def caller_actor(headers: MultiHeaders, *, authorizer_type: str) -> str:
    """Return the actor id for a request from its (forwarded) headers.

    Args:
        headers: the headers the runtime forwarded.
        authorizer_type: ``jwt`` reads only ``Authorization``; ``iam`` reads only the end-user header.

    Raises:
        BadRequestError: ``duplicate_header`` when the header that names the caller comes more than once: which
            one an upstream checked is unknowable, so neither is trusted (the local front door refuses it too);
            (iam) ``invalid_user_id`` when the end-user header is present but empty.
        UnauthorizedError: (jwt) an Authorization header that is not ``Bearer <JWT with sub>``.
    """
    if authorizer_type == "iam":
        return end_user_actor(headers)
    authorization = _single_value(headers, "Authorization")
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


def end_user_actor(headers: MultiHeaders) -> str:
    """The actor an IAM caller names in the end-user header; ``anonymous`` when the header is absent.

    Raises:
        BadRequestError: the header is present but empty (a caller bug that would otherwise mean "anonymous").
    """
    value = _single_value(headers, END_USER_HEADER)
    if value is None:
        return ANONYMOUS_ACTOR
    if not value.strip():
        raise BadRequestError(
            f"header {END_USER_HEADER} is empty: name the end user, or omit the header to call as the shared "
            f"'{ANONYMOUS_ACTOR}' caller",
            code="invalid_user_id",
        )
    return actor_key(value)


def _single_value(headers: MultiHeaders, name: str) -> str | None:
    """The header's one value, None when absent; more than one is refused."""
    values = headers.getlist(name)
    if len(values) > 1:
        raise BadRequestError(f"request has {len(values)} {name} headers; send exactly one", code="duplicate_header")
    return values[0] if values else None
