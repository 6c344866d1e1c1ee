"""Sign users in to the runtime's Cognito pool and keep their access tokens fresh.

WHY: a JWT runtime accepts only Cognito access tokens from its app client. `login` tries SRP first (the
password never leaves this machine, only a proof of it) and falls back to USER_PASSWORD_AUTH when the app
client does not allow SRP; against the local pool the order is reversed, because moto does not check SRP
proofs. A user who enrolled TOTP (`mfa setup`) gets Cognito's SOFTWARE_TOKEN_MFA challenge after either flow; it is
answered with RespondToAuthChallenge and a code the caller supplies only then. Afterwards `access_token()` serves the
cached token and uses the refresh token once it expires (a refresh asks for no second factor).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from botocore.exceptions import ClientError
from pycognito.aws_srp import AWSSRP
from pycognito.exceptions import SoftwareTokenMFAChallengeException

from client.aws_errors import aws_call, error_code, error_message
from client.command_hint import command_for
from client.errors import CliError
from client.targets import Target
from client.token_cache import TokenCache, Tokens

if TYPE_CHECKING:
    from mypy_boto3_cognito_idp import CognitoIdentityProviderClient
    from mypy_boto3_cognito_idp.type_defs import (
        AuthenticationResultTypeTypeDef,
        InitiateAuthResponseTypeDef,
        RespondToAuthChallengeResponseTypeDef,
    )

    # InitiateAuth's and RespondToAuthChallenge's answers have the same members: tokens, or the next challenge.
    AuthAnswer = InitiateAuthResponseTypeDef | RespondToAuthChallengeResponseTypeDef

logger = logging.getLogger(__name__)

LOGIN_FLOWS = ("auto", "password", "srp")
TOTP_CHALLENGE = "SOFTWARE_TOKEN_MFA"
# The code's key in ChallengeResponses (botocore's cognito-idp model, RespondToAuthChallenge's ChallengeResponses).
TOTP_CODE_KEY = "SOFTWARE_TOKEN_MFA_CODE"
# Called only when Cognito asks for the second factor; returns the current code of the user's authenticator app.
MfaCodeSource = Callable[[], str]


class CognitoAuth:
    """Login, cached tokens and refresh for one target."""

    def __init__(self, *, target: Target, cognito: CognitoIdentityProviderClient, cache: TokenCache) -> None:
        """Args: target: the JWT target; cognito: a boto3 cognito-idp client; cache: its token cache."""
        self._target = target
        self._cognito = cognito
        self._cache = cache

    def login(self, user: str, password: str, *, flow: str = "auto", mfa_code: MfaCodeSource | None = None) -> Tokens:
        """Sign in and cache the tokens.

        Args:
            user: user name.
            password: the user's password.
            flow: `srp` (the password never leaves this machine), `password` (USER_PASSWORD_AUTH), or
                `auto`: SRP first on a deployed pool, USER_PASSWORD_AUTH first on the local one (moto
                does not check SRP proofs, only passwords); either falls back to the other when the
                app client does not allow it.
            mfa_code: asked for the TOTP code when Cognito answers with the SOFTWARE_TOKEN_MFA challenge; None
                when the caller has no way to get one (the challenge is then an error).

        Raises:
            CliError: wrong password or TOTP code, unknown user, a challenge the CLI cannot answer, network…
        """
        if flow not in LOGIN_FLOWS:
            raise CliError(f"login flow is {flow!r} but must be one of {', '.join(LOGIN_FLOWS)}")
        order = _attempt_order(flow, local=self._target.is_local)
        for position, attempt in enumerate(order):
            try:
                answer = self._srp_auth(user, password) if attempt == "srp" else self._password_auth(user, password)
                result = self._authentication_result(user, answer, mfa_code)
                break
            except ClientError as e:
                if position + 1 < len(order) and _flow_not_enabled(e):
                    logger.debug("flow=<%s> | flow not enabled for the app client, trying the next", attempt)
                    continue
                raise _sign_in_error(self._target, user, e) from e
        tokens = _tokens_from(result, refresh_token=None)
        self._cache.save(user, tokens)
        logger.debug("user=<%s> | signed in", user)
        return tokens

    def access_token(self, user: str) -> str:
        """A valid access token for `user`: the cached one, or a refreshed one.

        Raises:
            CliError: never logged in, or the refresh token expired or was revoked.
        """
        tokens = self._cache.load(user)
        if tokens is None:
            login = command_for(self._target, "login", user)
            raise CliError(f"user {user} is not logged in on {self._target.name}: run `{login}` first")
        if tokens.is_expired():
            tokens = self._refresh(user, tokens)
        return tokens.access_token

    def _refresh(self, user: str, tokens: Tokens) -> Tokens:
        try:
            response = aws_call(
                "token refresh",
                self._cognito.initiate_auth,
                ClientId=self._target.client_id,
                AuthFlow="REFRESH_TOKEN_AUTH",
                AuthParameters={"REFRESH_TOKEN": tokens.refresh_token},
            )
        except ClientError as e:
            if error_code(e) in ("NotAuthorizedException", "UserNotFoundException"):
                self._cache.forget(user)
                login = command_for(self._target, "login", user)
                raise CliError(f"the saved sign-in of {user} has expired or was revoked: run `{login}` again") from e
            raise CliError(f"token refresh for {user} failed: {error_message(e)}") from e
        refreshed = _tokens_from(response["AuthenticationResult"], refresh_token=tokens.refresh_token)
        self._cache.save(user, refreshed)
        logger.debug("user=<%s> | access token refreshed", user)
        return refreshed

    def _password_auth(self, user: str, password: str) -> AuthAnswer:
        return aws_call(
            "sign-in",
            self._cognito.initiate_auth,
            ClientId=self._target.client_id,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": user, "PASSWORD": password},
        )

    def _srp_auth(self, user: str, password: str) -> AuthAnswer:
        srp = AWSSRP(
            username=user,
            password=password,
            pool_id=self._target.user_pool_id,
            client_id=self._target.client_id,
            client=self._cognito,
        )
        try:
            # pycognito is untyped; `authenticate_user` returns the RespondToAuthChallenge response it received.
            response: RespondToAuthChallengeResponseTypeDef = aws_call("sign-in", srp.authenticate_user)
        except (ClientError, CliError):
            raise
        except SoftwareTokenMFAChallengeException as e:
            # pycognito's public way to hand over the challenge: the RespondToAuthChallenge answer that asked for it.
            challenge: RespondToAuthChallengeResponseTypeDef = e.get_tokens()
            return challenge
        except Exception as e:  # pycognito raises its own exceptions for challenges it cannot answer
            raise CliError(f"sign-in of {user} needs a step this client cannot do: {e}") from e
        return response

    def _authentication_result(
        self, user: str, answer: AuthAnswer, mfa_code: MfaCodeSource | None
    ) -> AuthenticationResultTypeTypeDef:
        """The tokens of a sign-in answer, answering its TOTP challenge first when Cognito asked for one."""
        if answer.get("ChallengeName") == TOTP_CHALLENGE:
            answer = self._answer_totp(user, answer, mfa_code)
        return _authentication_result(self._target, user, answer)

    def _answer_totp(
        self, user: str, challenge: AuthAnswer, mfa_code: MfaCodeSource | None
    ) -> RespondToAuthChallengeResponseTypeDef:
        """RespondToAuthChallenge with the user's current TOTP code, in the session of the challenge.

        Raises:
            CliError: no way to get a code, or Cognito rejected it (CodeMismatchException).
            ClientError: anything else Cognito refused (the caller maps it, e.g. an expired session).
        """
        if mfa_code is None:
            raise CliError(f"sign-in of {user} needs a TOTP code from the user's authenticator app")
        code = mfa_code()
        try:
            return aws_call(
                "sign-in",
                self._cognito.respond_to_auth_challenge,
                ClientId=self._target.client_id,
                ChallengeName=TOTP_CHALLENGE,
                Session=challenge["Session"],
                ChallengeResponses={"USERNAME": user, TOTP_CODE_KEY: code},
            )
        except ClientError as e:
            if error_code(e) == "CodeMismatchException":
                raise CliError(
                    f"sign-in of {user} failed: Cognito rejected the MFA code (CodeMismatchException): use the "
                    "current code of the authenticator app the user enrolled"
                ) from e
            raise


def _attempt_order(flow: str, *, local: bool) -> tuple[str, ...]:
    """The sign-in flows to try, in order: `flow` alone, or for `auto` both, password first against moto."""
    if flow != "auto":
        return (flow,)
    return ("password", "srp") if local else ("srp", "password")


def _authentication_result(target: Target, user: str, response: AuthAnswer) -> AuthenticationResultTypeTypeDef:
    if "AuthenticationResult" in response:
        return response["AuthenticationResult"]
    # boto3-stubs makes every member of InitiateAuthResponse required, but botocore's cognito-idp model requires
    # none: an answer that asks for a challenge has no AuthenticationResult.
    challenge = response.get("ChallengeName", "unknown")  # type: ignore[unreachable]
    if challenge == "NEW_PASSWORD_REQUIRED":
        delete, create = command_for(target, "users", "delete", user), command_for(target, "users", "create", user)
        raise CliError(f"user {user} must set a new password first: recreate it with `{delete}`, then `{create}`")
    raise CliError(f"sign-in of {user} asks for challenge {challenge}, which this client does not support")


def _flow_not_enabled(error: ClientError) -> bool:
    """Cognito's answer when the app client does not allow the auth flow that was tried."""
    return error_code(error) == "InvalidParameterException" and "not enabled" in error_message(error)


def _sign_in_error(target: Target, user: str, error: ClientError) -> CliError:
    code = error_code(error)
    if code == "NotAuthorizedException":
        return CliError(f"sign-in failed for {user}: {error_message(error)}")
    if code == "UserNotFoundException":
        create = command_for(target, "users", "create", user)
        return CliError(f"user {user} not found in the user pool (create it with `{create}`)")
    if code == "PasswordResetRequiredException":
        return CliError(f"user {user} must reset the password before signing in")
    return CliError(f"sign-in failed for {user}: {code}: {error_message(error)}")


def _tokens_from(result: AuthenticationResultTypeTypeDef, *, refresh_token: str | None) -> Tokens:
    """Tokens from an AuthenticationResult; a refresh result carries no new refresh token."""
    return Tokens(
        access_token=result["AccessToken"],
        id_token=result.get("IdToken", ""),
        refresh_token=result.get("RefreshToken") or refresh_token or "",
        expires_at=time.time() + int(result.get("ExpiresIn", 3600)),
    )
