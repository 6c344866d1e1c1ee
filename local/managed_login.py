"""A local stand-in for Cognito's managed login: the OAuth 2.0 endpoints a browser app signs in through.

WHY: the web app (web/) signs in with oidc-client-ts against Cognito's managed login. Offline, this app serves
the same endpoints with Cognito's parameters, backed by the moto user pool the rest of `make local` uses, and
hands out moto's own tokens, so the front door verifies them exactly as it verifies the CLI's:

- ``GET /<pool id>/.well-known/openid-configuration``: the discovery document (issuer = moto's, which is the
  ``iss`` of its tokens; jwks_uri = moto's keys), as ``cognito-idp.<region>.amazonaws.com/<pool id>`` serves it.
- ``GET /oauth2/authorize``: ``response_type=code``, ``client_id``, ``redirect_uri`` (one of the client's
  callback URLs), ``state``, ``scope``, ``code_challenge`` + ``code_challenge_method=S256`` (the only method
  Cognito supports), ``nonce``. With a managed-login session cookie it answers with a code at once, else it
  sends the browser to ``/login``, the sign-in page.
- ``POST /oauth2/token`` (form-encoded): ``grant_type=authorization_code`` with ``client_id``, ``code``,
  ``redirect_uri`` and ``code_verifier`` (checked against the challenge: BASE64URL(SHA256(verifier)), RFC 7636
  §4.6), or ``grant_type=refresh_token``. A code is single-use and lives 5 minutes. Errors are 400 with
  ``{"error": "invalid_request" | "invalid_client" | "invalid_grant" | "unauthorized_client" |
  "unsupported_grant_type"}``.
- ``GET /logout``: ``client_id`` and ``logout_uri`` (one of the client's sign-out URLs): ends the session cookie
  and redirects there. Cognito's /logout is not OIDC RP-initiated logout: no ``post_logout_redirect_uri``.

Sources: Cognito developer guide, "The managed login sign-in endpoint: /oauth2/authorize", "The token issuer
endpoint", "The managed login sign-out endpoint: /logout"; RFC 6749 §5.2 (error codes), RFC 7636 (PKCE).
- TOTP MFA: a user who enrolled an authenticator app (``agentcore-client mfa setup``) is asked for a code after the
  password, as managed login asks (Cognito's SOFTWARE_TOKEN_MFA challenge answered with
  AdminRespondToAuthChallenge in the challenge's session); a wrong code asks again, an expired session starts over.

Not emulated: the classic hosted UI, federation, SMS MFA, MFA enrolment and password-change pages (a user with
another pending challenge gets a message instead).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import logging
import re
import secrets
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import parse_qs, urlencode

import boto3
from botocore.exceptions import ClientError, ParamValidationError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from local.identity_pool import LOCAL_CREDENTIALS, LocalIdentity

logger = logging.getLogger(__name__)

CODE_LIFETIME_SECONDS = 300
MAX_FORM_BYTES = 16 * 1024
MAX_PENDING_CODES = 1000
SESSION_COOKIE = "cognito"
# Cognito's TOTP challenge and the code's key in ChallengeResponses (botocore's cognito-idp model,
# RespondToAuthChallenge / AdminRespondToAuthChallenge).
TOTP_CHALLENGE: Final = "SOFTWARE_TOKEN_MFA"
TOTP_CODE_KEY = "SOFTWARE_TOKEN_MFA_CODE"
# A TOTP code is 6 digits (botocore's cognito-idp model, SoftwareTokenMFAUserCodeType); checked before it is sent.
CODE_PATTERN = re.compile(r"[0-9]{6}")
CODE_FORMAT = "Enter the 6-digit code from your authenticator app."
SIGN_IN_AGAIN = "Your sign-in expired. Sign in again."
S256 = "S256"
AUTHORIZE_PARAMETERS = (
    "response_type",
    "client_id",
    "redirect_uri",
    "state",
    "scope",
    "code_challenge",
    "code_challenge_method",
    "nonce",
)


@dataclass(frozen=True)
class _Grant:
    """What an authorization code stands for until it is redeemed."""

    client_id: str
    redirect_uri: str
    code_challenge: str | None
    tokens: dict[str, Any]
    expires_at: float


class _OAuthError(Exception):
    def __init__(self, error: str, description: str) -> None:
        super().__init__(description)
        self.error, self.description = error, description


def s256_challenge(verifier: str) -> str:
    """BASE64URL(SHA256(ASCII(code_verifier))) without padding (RFC 7636 §4.2)."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


class ManagedLogin:
    """The stand-in's state (codes, sessions) and its ASGI app (``.app``)."""

    def __init__(self, *, identity: LocalIdentity) -> None:
        self._identity = identity
        self._cognito = boto3.client(
            "cognito-idp", region_name=identity.region, endpoint_url=identity.endpoint_url, **LOCAL_CREDENTIALS
        )
        self._lock = threading.Lock()
        self._codes: dict[str, _Grant] = {}
        # Managed-login sessions: cookie value -> (client id, refresh token); moto mints new tokens from the latter.
        self._sessions: dict[str, tuple[str, str]] = {}
        self.base_url = ""  # set once the server listens (local/web_twin.py)
        self.app = Starlette(
            routes=[
                Route(f"/{identity.user_pool_id}/.well-known/openid-configuration", self._discovery),
                Route("/oauth2/authorize", self._authorize),
                Route("/login", self._login_page, methods=["GET"]),
                Route("/login", self._login, methods=["POST"]),
                Route("/login/mfa", self._login_mfa, methods=["POST"]),
                Route("/oauth2/token", self._token, methods=["POST", "OPTIONS"]),
                Route("/logout", self._logout),
            ]
        )

    # --- discovery --------------------------------------------------------------------------------------

    async def _discovery(self, request: Request) -> Response:
        issuer = f"https://cognito-idp.{self._identity.region}.amazonaws.com/{self._identity.user_pool_id}"
        document = {
            "issuer": issuer,
            "authorization_endpoint": f"{self.base_url}/oauth2/authorize",
            "token_endpoint": f"{self.base_url}/oauth2/token",
            "jwks_uri": f"{self._identity.endpoint_url}/{self._identity.user_pool_id}/.well-known/jwks.json",
            "response_types_supported": ["code", "token"],
            "scopes_supported": ["openid", "email", "phone", "profile"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        }
        return JSONResponse(document, headers={"access-control-allow-origin": "*"})

    # --- authorize and the sign-in page -----------------------------------------------------------------

    async def _authorize(self, request: Request) -> Response:
        params = {k: v for k, v in request.query_params.items() if k in AUTHORIZE_PARAMETERS}
        try:
            self._check_client_and_redirect(params.get("client_id"), params.get("redirect_uri"), "CallbackURLs")
        except _OAuthError as e:
            return _error_page(e.description)
        problem = _authorize_problem(params)
        if problem:
            return _redirect(
                params["redirect_uri"], {"error": problem[0], "error_description": problem[1], **_state(params)}
            )
        tokens = self._session_tokens(request, params["client_id"])
        if tokens is None:
            return RedirectResponse(f"/login?{urlencode(params)}", status_code=302)
        return self._issue_code(params, tokens)

    async def _login_page(self, request: Request) -> Response:
        return _sign_in_page(dict(request.query_params), message=None)

    async def _login(self, request: Request) -> Response:
        step = await self._sign_in_step(request)
        if isinstance(step, Response):
            return step
        params, form = step
        username, password = form.get("username", ""), form.get("password", "")
        try:
            answer = self._password_answer(username, password, params["client_id"])
            if answer.get("ChallengeName") == TOTP_CHALLENGE:
                return _code_page(params, username=username, challenge_session=answer["Session"], message=None)
            tokens = self._tokens(answer)
        except _OAuthError as e:
            return _sign_in_page(params, message=e.description, status_code=200)
        return self._signed_in(params, tokens)

    async def _sign_in_step(self, request: Request) -> tuple[dict[str, str], dict[str, str]] | Response:
        """A sign-in form's authorize parameters (from its URL) and fields, or the error page to answer with."""
        params = {k: v for k, v in request.query_params.items() if k in AUTHORIZE_PARAMETERS}
        try:
            self._check_client_and_redirect(params.get("client_id"), params.get("redirect_uri"), "CallbackURLs")
            form = await _form(request)
        except _OAuthError as e:
            return _error_page(e.description)
        problem = _authorize_problem(params)
        if problem:
            return _error_page(problem[1])
        return params, form

    async def _login_mfa(self, request: Request) -> Response:
        """The code page's form: the user's TOTP code, answered in the session of Cognito's challenge."""
        step = await self._sign_in_step(request)
        if isinstance(step, Response):
            return step
        params, form = step
        username, challenge_session = form.get("username", ""), form.get("session", "")
        code = form.get("code", "").strip()
        if not username or not challenge_session:
            return _sign_in_page(params, message=SIGN_IN_AGAIN, status_code=200)
        if not CODE_PATTERN.fullmatch(code):
            return _code_page(params, username=username, challenge_session=challenge_session, message=CODE_FORMAT)
        try:
            answer = self._cognito.admin_respond_to_auth_challenge(
                UserPoolId=self._identity.user_pool_id,
                ClientId=params["client_id"],
                ChallengeName=TOTP_CHALLENGE,
                Session=challenge_session,
                ChallengeResponses={"USERNAME": username, TOTP_CODE_KEY: code},
            )
        except ParamValidationError:  # not a session Cognito issued (botocore: Session is 20 to 2048 characters)
            return _sign_in_page(params, message=SIGN_IN_AGAIN, status_code=200)
        except ClientError as e:
            error = e.response["Error"]["Code"]
            logger.info("error=<%s> | sign-in code refused", error)
            if error == "CodeMismatchException":
                message = "Incorrect code. Enter the current code from your authenticator app."
                return _code_page(params, username=username, challenge_session=challenge_session, message=message)
            return _sign_in_page(params, message=SIGN_IN_AGAIN, status_code=200)
        try:
            tokens = self._tokens(answer)
        except _OAuthError as e:
            return _sign_in_page(params, message=e.description, status_code=200)
        return self._signed_in(params, tokens)

    def _signed_in(self, params: dict[str, str], tokens: dict[str, Any]) -> Response:
        """A managed-login session cookie for the browser, and the authorization code back to the app."""
        session = secrets.token_urlsafe(32)
        with self._lock:
            self._sessions[session] = (params["client_id"], tokens["refresh_token"])
        response = self._issue_code(params, tokens)
        response.set_cookie(SESSION_COOKIE, session, httponly=True, samesite="lax", path="/")
        return response

    def _issue_code(self, params: dict[str, str], tokens: dict[str, Any]) -> Response:
        code = secrets.token_urlsafe(32)
        grant = _Grant(
            client_id=params["client_id"],
            redirect_uri=params["redirect_uri"],
            code_challenge=params.get("code_challenge"),
            tokens=tokens,
            expires_at=time.monotonic() + CODE_LIFETIME_SECONDS,
        )
        with self._lock:
            self._drop_expired_codes()
            if len(self._codes) >= MAX_PENDING_CODES:
                return _error_page("too many sign-ins are pending; try again in a few minutes", status_code=503)
            self._codes[code] = grant
        logger.info("client_id=<%s> | authorization code issued", params["client_id"])
        return _redirect(params["redirect_uri"], {"code": code, **_state(params)})

    # --- token ------------------------------------------------------------------------------------------

    async def _token(self, request: Request) -> Response:
        cors = {"access-control-allow-origin": request.headers.get("origin", "*"), "vary": "origin"}
        if request.method == "OPTIONS":
            return Response(
                status_code=204,
                headers={
                    **cors,
                    "access-control-allow-methods": "POST",
                    "access-control-allow-headers": "content-type, authorization",
                },
            )
        try:
            if not request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
                raise _OAuthError("invalid_request", "Content-Type must be application/x-www-form-urlencoded")
            form = await _form(request)
            tokens = self._redeem(form)
        except _OAuthError as e:
            return JSONResponse({"error": e.error, "error_description": e.description}, status_code=400, headers=cors)
        return JSONResponse(tokens, headers={**cors, "cache-control": "no-store", "pragma": "no-cache"})

    def _redeem(self, form: dict[str, str]) -> dict[str, Any]:
        grant_type = form.get("grant_type")
        client_id = form.get("client_id")
        if not grant_type or not client_id:
            raise _OAuthError("invalid_request", "grant_type and client_id are required")
        client = self._client(client_id)
        if grant_type == "refresh_token":
            return self._refreshed(client_id, form.get("refresh_token", ""))
        if grant_type != "authorization_code":
            raise _OAuthError("unsupported_grant_type", f"grant_type {grant_type!r} is not supported")
        if "code" not in client.get("AllowedOAuthFlows", []):
            raise _OAuthError("unauthorized_client", "the client may not use the authorization code grant")
        code, redirect_uri = form.get("code"), form.get("redirect_uri")
        if not code or not redirect_uri:
            raise _OAuthError("invalid_request", "code and redirect_uri are required")
        with self._lock:
            grant = self._codes.pop(code, None)  # single use, even when the checks below fail
        if grant is None or grant.expires_at < time.monotonic():
            raise _OAuthError("invalid_grant", "the authorization code is unknown, used or expired")
        if grant.client_id != client_id or grant.redirect_uri != redirect_uri:
            raise _OAuthError("invalid_grant", "client_id or redirect_uri differ from the authorization request")
        if grant.code_challenge is not None:
            verifier = form.get("code_verifier", "")
            if not verifier or not hmac.compare_digest(s256_challenge(verifier), grant.code_challenge):
                raise _OAuthError("invalid_grant", "code_verifier does not match the code_challenge")
        return grant.tokens

    def _refreshed(self, client_id: str, refresh_token: str) -> dict[str, Any]:
        if not refresh_token:
            raise _OAuthError("invalid_request", "refresh_token is required")
        try:
            result = self._cognito.initiate_auth(
                ClientId=client_id, AuthFlow="REFRESH_TOKEN_AUTH", AuthParameters={"REFRESH_TOKEN": refresh_token}
            )["AuthenticationResult"]
        except ClientError as e:
            raise _OAuthError("invalid_grant", "the refresh token is not valid") from e
        return _token_body(result)

    # --- logout -----------------------------------------------------------------------------------------

    async def _logout(self, request: Request) -> Response:
        client_id, logout_uri = request.query_params.get("client_id"), request.query_params.get("logout_uri")
        try:
            if not logout_uri:
                raise _OAuthError("invalid_request", "logout_uri is required (this stand-in serves no redirect_uri)")
            self._check_client_and_redirect(client_id, logout_uri, "LogoutURLs")
        except _OAuthError as e:
            return _error_page(e.description)
        session = request.cookies.get(SESSION_COOKIE)
        if session:
            with self._lock:
                self._sessions.pop(session, None)
        response = RedirectResponse(logout_uri, status_code=302)
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response

    # --- moto ---------------------------------------------------------------------------------------------

    def _client(self, client_id: str | None) -> Mapping[str, Any]:
        if not client_id:
            raise _OAuthError("invalid_request", "client_id is required")
        try:
            client: Mapping[str, Any] = self._cognito.describe_user_pool_client(
                UserPoolId=self._identity.user_pool_id, ClientId=client_id
            )["UserPoolClient"]
        except ClientError as e:
            raise _OAuthError("invalid_client", "client_id is not a client of this user pool") from e
        return client

    def _check_client_and_redirect(self, client_id: str | None, uri: str | None, list_name: str) -> None:
        client = self._client(client_id)
        if not uri or uri not in client.get(list_name, []):
            raise _OAuthError("redirect_mismatch", f"{uri!r} is not one of the client's {list_name}")

    def _password_answer(self, username: str, password: str, client_id: str) -> Mapping[str, Any]:
        """AdminInitiateAuth's answer: tokens, or the challenge that comes next."""
        if not username or not password:
            raise _OAuthError("invalid_request", "Enter your username and password.")
        try:
            return self._cognito.admin_initiate_auth(
                UserPoolId=self._identity.user_pool_id,
                ClientId=client_id,
                AuthFlow="ADMIN_USER_PASSWORD_AUTH",
                AuthParameters={"USERNAME": username, "PASSWORD": password},
            )
        except ClientError as e:
            logger.info("error=<%s> | sign-in refused", e.response["Error"]["Code"])
            raise _OAuthError("access_denied", "Incorrect username or password.") from e

    @staticmethod
    def _tokens(answer: Mapping[str, Any]) -> dict[str, Any]:
        """The token body of a finished sign-in; a challenge the stand-in does not answer is a message."""
        if "AuthenticationResult" not in answer:
            raise _OAuthError("access_denied", f"This user must first complete {answer.get('ChallengeName')}.")
        return _token_body(answer["AuthenticationResult"])

    def _session_tokens(self, request: Request, client_id: str) -> dict[str, Any] | None:
        """Fresh tokens for the browser's managed-login session with this client, or None (sign in again)."""
        session = request.cookies.get(SESSION_COOKIE)
        with self._lock:
            found = self._sessions.get(session) if session else None
        if found is None or found[0] != client_id:
            return None
        try:
            tokens = self._refreshed(client_id, found[1])
        except _OAuthError:
            return None
        return {**tokens, "refresh_token": found[1]}

    def _drop_expired_codes(self) -> None:
        now = time.monotonic()
        for code in [c for c, g in self._codes.items() if g.expires_at < now]:
            del self._codes[code]


def _token_body(result: Mapping[str, Any]) -> dict[str, Any]:
    body = {
        "id_token": result["IdToken"],
        "access_token": result["AccessToken"],
        "expires_in": result["ExpiresIn"],
        "token_type": "Bearer",
    }
    if "RefreshToken" in result:
        body["refresh_token"] = result["RefreshToken"]
    return body


def _authorize_problem(params: dict[str, str]) -> tuple[str, str] | None:
    """The OAuth error for an authorize request whose client and redirect URI are valid, if any."""
    if params.get("response_type") != "code":
        return "unsupported_response_type", "response_type must be code"
    if "code_challenge" in params and params.get("code_challenge_method") != S256:
        return "invalid_request", "code_challenge_method must be S256"
    return None


def _state(params: dict[str, str]) -> dict[str, str]:
    return {"state": params["state"]} if "state" in params else {}


def _redirect(uri: str, params: dict[str, str]) -> RedirectResponse:
    separator = "&" if "?" in uri else "?"
    return RedirectResponse(f"{uri}{separator}{urlencode(params)}", status_code=302)


async def _form(request: Request) -> dict[str, str]:
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            raise _OAuthError("invalid_request", f"the form is larger than {MAX_FORM_BYTES} bytes")
    try:
        parsed = parse_qs(body.decode("utf-8"), keep_blank_values=True, strict_parsing=False)
    except UnicodeDecodeError as e:
        raise _OAuthError("invalid_request", "the form is not UTF-8") from e
    return {key: values[0] for key, values in parsed.items()}


_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign in</title>
<style>body{{font-family:system-ui,sans-serif;max-width:24rem;margin:3rem auto;padding:0 1rem;color:#1b1f24}}
label{{display:block;margin-top:1rem}}input{{font:inherit;width:100%;padding:.5rem;box-sizing:border-box}}
button{{font:inherit;margin-top:1.5rem;min-height:44px;width:100%;background:#0b5cad;color:#fff;border:0;border-radius:6px}}
.error{{color:#8a1c12;background:#fdecea;padding:.5rem}}</style></head>
<body><main><h1>Sign in</h1><p>Local stand-in for Amazon Cognito managed login.</p>{message}
<form method="post" action="{action}?{query}">{fields}
<button type="submit">Sign in</button></form></main></body></html>"""
_PASSWORD_FIELDS = """
<label for="username">Username</label><input id="username" name="username" autocomplete="username" required autofocus>
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required>"""
_CODE_FIELDS = """
<input type="hidden" name="username" value="{username}"><input type="hidden" name="session" value="{session}">
<label for="code">Code from your authenticator app</label>
<input id="code" name="code" inputmode="numeric" autocomplete="one-time-code" required autofocus>"""


def _page(params: dict[str, str], *, action: str, fields: str, message: str | None) -> str:
    query = html.escape(urlencode({k: v for k, v in params.items() if k in AUTHORIZE_PARAMETERS}))
    note = f'<p class="error" role="alert">{html.escape(message)}</p>' if message else ""
    return _PAGE.format(message=note, action=action, query=query, fields=fields)


def _sign_in_page(params: dict[str, str], *, message: str | None, status_code: int = 200) -> HTMLResponse:
    return HTMLResponse(_page(params, action="/login", fields=_PASSWORD_FIELDS, message=message), status_code)


def _code_page(params: dict[str, str], *, username: str, challenge_session: str, message: str | None) -> HTMLResponse:
    """The second step for a user with TOTP MFA: the code, posted with the challenge's session."""
    fields = _CODE_FIELDS.format(username=html.escape(username), session=html.escape(challenge_session))
    return HTMLResponse(_page(params, action="/login/mfa", fields=fields, message=message))


def _error_page(description: str, *, status_code: int = 400) -> HTMLResponse:
    body = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Sign-in error</title></head>'
        f'<body><main><h1>Sign-in error</h1><p role="alert">{html.escape(description)}</p></main></body></html>'
    )
    return HTMLResponse(body, status_code=status_code)
