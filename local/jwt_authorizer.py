"""Validate bearer tokens the way AgentCore Runtime's custom JWT authorizer does.

WHY: a runtime configured with `customJWTAuthorizer {discoveryUrl, allowedClients}` accepts a call
only if the token is a JWT signed by a key in the issuer's JWKS, issued by the discovery document's
`issuer`, not expired, and (for Cognito access tokens, which carry no `aud`) its `client_id` is one of
the allowed clients. The local front door applies the same checks against moto's pool so a client that
works locally sends exactly what the deployed runtime expects.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import httpx
import jwt

from local.inbound_auth import AuthorizationError, AuthorizerType, InboundRequest

logger = logging.getLogger(__name__)

_ALGORITHMS = ["RS256"]
_LEEWAY_SECONDS = 0
# RFC 7519 section 2: a NumericDate is "A JSON numeric value"; PyJWT accepts `"exp": "1796497848"` (it calls int()).
_NUMERIC_DATE_CLAIMS = ("exp", "nbf", "iat")

__all__ = ["JwtAuthorizer", "OidcProvider", "discover"]


@dataclass(frozen=True)
class OidcProvider:
    """What the authorizer learns from the discovery document."""

    issuer: str
    jwks_uri: str


def discover(discovery_url: str, *, timeout: float = 5.0) -> OidcProvider:
    """Fetch the OIDC discovery document, as AgentCore does when the authorizer is configured.

    Raises:
        RuntimeError: the document cannot be fetched or lacks `issuer`/`jwks_uri`.
    """
    try:
        response = httpx.get(discovery_url, timeout=timeout)
        response.raise_for_status()
        document = response.json()
        return OidcProvider(issuer=document["issuer"], jwks_uri=document["jwks_uri"])
    except (httpx.HTTPError, ValueError, KeyError) as e:
        raise RuntimeError(f"cannot read OIDC discovery document at {discovery_url}: {e}") from e


class JwtAuthorizer:
    """Checks `Authorization: Bearer <jwt>` headers against one OIDC provider and a client allowlist."""

    def __init__(self, *, provider: OidcProvider, allowed_clients: frozenset[str]) -> None:
        """Create an authorizer.

        Args:
            provider: issuer and JWKS location (see `discover`).
            allowed_clients: app client ids whose access tokens are accepted.
        """
        if not allowed_clients:
            raise ValueError("allowed_clients is empty but must name at least one app client id")
        self._provider = provider
        self._allowed_clients = allowed_clients
        self._jwks = jwt.PyJWKClient(provider.jwks_uri, cache_keys=True)

    @property
    def authorizer_type(self) -> AuthorizerType:
        """Always `jwt`."""
        return "jwt"

    def authenticate(self, request: InboundRequest) -> str:
        """The front door's entry point: the `sub` of the request's valid access token (see `authorize`)."""
        return str(self.authorize(request.header("authorization")).get("sub"))

    def authorize(self, authorization_header: str | None) -> dict[str, Any]:
        """Return the token's claims, or raise `AuthorizationError` saying what is wrong.

        401 for a missing, malformed, forged, expired, foreign-issuer or non-access token;
        403 for a valid token from an app client that is not allowed.
        """
        token = _bearer_token(authorization_header)
        claims = self._verified_claims(token)
        if claims.get("token_use") != "access":
            raise AuthorizationError(
                401,
                "invalid_token_use",
                f"token_use is {claims.get('token_use')!r} but the runtime accepts only access tokens",
            )
        client_id = claims.get("client_id")
        if not isinstance(client_id, str):
            raise AuthorizationError(
                403, "client_not_allowed", "client_id must be a string naming an allowed client of this runtime"
            )
        if client_id not in self._allowed_clients:
            raise AuthorizationError(
                403, "client_not_allowed", f"client_id {client_id!r} is not an allowed client of this runtime"
            )
        return claims

    def _verified_claims(self, token: str) -> dict[str, Any]:
        """Check signature, issuer, expiry and the type of the time claims; map each failure to a precise message."""
        try:
            signing_key = self._jwks.get_signing_key_from_jwt(token)
        except jwt.PyJWKClientConnectionError as e:
            logger.warning("jwks_uri=<%s>, error=<%s> | jwks unreachable", self._provider.jwks_uri, e)
            raise AuthorizationError(503, "jwks_unavailable", "the identity provider's JWKS is unreachable") from e
        except (jwt.PyJWKClientError, jwt.InvalidTokenError) as e:
            # InvalidTokenError: a header PyJWT refuses before any key lookup, e.g. a `kid` that is not a string.
            raise AuthorizationError(401, "invalid_token", f"bearer token is not a verifiable JWT: {e}") from e
        claims = self._decoded_claims(token, signing_key.key)
        for name in _NUMERIC_DATE_CLAIMS:
            value = claims.get(name)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
                raise AuthorizationError(
                    401, "invalid_token", f"bearer token is invalid: claim '{name}' must be a JSON number (NumericDate)"
                )
        return claims

    def _decoded_claims(self, token: str, key: Any) -> dict[str, Any]:
        """PyJWT's signature, issuer and expiry checks, each failure mapped to a precise 401."""
        try:
            return jwt.decode(
                token,
                key,
                algorithms=_ALGORITHMS,
                issuer=self._provider.issuer,
                leeway=_LEEWAY_SECONDS,
                options={"require": ["exp", "iss", "token_use"], "verify_aud": False},
            )
        except jwt.ExpiredSignatureError as e:
            raise AuthorizationError(401, "token_expired", "bearer token has expired") from e
        except jwt.InvalidSignatureError as e:
            raise AuthorizationError(401, "invalid_signature", "bearer token signature does not verify") from e
        except jwt.InvalidIssuerError as e:
            raise AuthorizationError(
                401, "invalid_issuer", f"bearer token was not issued by {self._provider.issuer}"
            ) from e
        except jwt.InvalidTokenError as e:
            raise AuthorizationError(401, "invalid_token", f"bearer token is invalid: {e}") from e


def _bearer_token(authorization_header: str | None) -> str:
    """Extract the token from an `Authorization: Bearer …` header."""
    if not authorization_header:
        raise AuthorizationError(401, "missing_token", "Authorization header with a bearer token is required")
    scheme, _, token = authorization_header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthorizationError(401, "invalid_token", "Authorization header must be 'Bearer <access token>'")
    return token.strip()
