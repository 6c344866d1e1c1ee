"""What the front door's two inbound authorizers (custom JWT, SigV4) share: the request they check and their refusal.

WHY one module: AgentCore authorizes a runtime one way only (a custom JWT authorizer, or IAM/SigV4). The
front door holds one authorizer of either kind and treats both alike: hand it the request as it arrived
on the wire, get the caller's name back or an `AuthorizationError` to answer with.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal, Protocol

AuthorizerType = Literal["jwt", "iam"]
AUTHORIZER_TYPES: tuple[AuthorizerType, ...] = ("jwt", "iam")


class AuthorizationError(Exception):
    """A request the authorizer refuses.

    Attributes:
        status: the HTTP status to answer with.
        code: the machine code of the JSON body (snake_case, like the agent's codes).
        message: what was wrong, for the caller.
        error_type: the AWS error name for `x-amzn-ErrorType` when the status alone does not say it
            (e.g. `InvalidSignatureException`); None lets the front door derive it from the status.
    """

    def __init__(self, status: int, code: str, message: str, *, error_type: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.error_type = error_type


@dataclass(frozen=True)
class InboundRequest:
    """A request as it arrived, before any decoding: what a signature was computed over.

    Attributes:
        method: the HTTP method.
        raw_path: the path exactly as sent (percent-encoded, without the query string).
        query_string: the query string exactly as sent (without `?`).
        headers: header names in lower case; a repeated header's values joined with `,` (RFC 9110 5.3).
        body: the request body; empty for a JWT authorizer (a bearer token does not cover it, and the front door
            checks the token before it reads any of the body).
    """

    method: str
    raw_path: str
    query_string: str
    headers: Mapping[str, str]
    body: bytes = field(repr=False)

    def header(self, name: str) -> str | None:
        """The value of `name` (any case), or None."""
        return self.headers.get(name.lower())


class InboundAuthorizer(Protocol):
    """The front door's view of an authorizer."""

    @property
    def authorizer_type(self) -> AuthorizerType:
        """`jwt` or `iam`: which inbound authorization the emulated runtime is configured with."""
        ...

    def authenticate(self, request: InboundRequest) -> str:
        """Return who is calling (for logs), or raise `AuthorizationError`."""
        ...
