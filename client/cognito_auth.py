"""Sign users in to the runtime's Cognito pool and keep their access tokens fresh.

WHY: a JWT runtime accepts only Cognito access tokens from its app client. `login` tries SRP first (the
password never leaves this machine, only a proof of it) and falls back to USER_PASSWORD_AUTH when the app
client does not allow SRP; against the local pool the order is reversed, because moto does not check SRP
proofs. Afterwards `access_token()` serves the cached token and uses the refresh token once it expires.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING

from botocore.exceptions import ClientError
from pycognito.aws_srp import AWSSRP

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

logger = logging.getLogger(__name__)

LOGIN_FLOWS = ("auto", "password", "srp")


class CognitoAuth:
    """Login, cached tokens and refresh for one target."""

    def __init__(self, *, target: Target, cognito: CognitoIdentityProviderClient, cache: TokenCache) -> None:
        """Args: target: the JWT target; cognito: a boto3 cognito-idp client; cache: its token cache."""
        self._target = target
        self._cognito = cognito
        self._cache = cache

    def login(self, user: str, password: str, *, flow: str = "auto") -> Tokens:
        """Sign in and cache the tokens.

        Args:
            user: user name.
            password: the user's password.
            flow: `srp` (the password never leaves this machine), `password` (USER_PASSWORD_AUTH), or
                `auto`: SRP first on a deployed pool, USER_PASSWORD_AUTH first on the local one (moto
                does not check SRP proofs, only passwords); either falls back to the other when the
                app client does not allow it.

        Raises:
            CliError: wrong password, unknown user, a challenge the CLI cannot answer, network…
        """
        if flow not in LOGIN_FLOWS:
            raise CliError(f"login flow is {flow!r} but must be one of {', '.join(LOGIN_FLOWS)}")
        order = _attempt_order(flow, local=self._target.is_local)
        for position, attempt in enumerate(order):
            try:
                result = self._srp_auth(user, password) if attempt == "srp" else self._password_auth(user, password)
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

    def _password_auth(self, user: str, password: str) -> AuthenticationResultTypeTypeDef:
        response = aws_call(
            "sign-in",
            self._cognito.initiate_auth,
            ClientId=self._target.client_id,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": user, "PASSWORD": password},
        )
        return _authentication_result(self._target, user, response)

    def _srp_auth(self, user: str, password: str) -> AuthenticationResultTypeTypeDef:
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
        except Exception as e:  # pycognito raises its own exceptions for challenges it cannot answer
            raise CliError(f"sign-in of {user} needs a step this client cannot do: {e}") from e
        return response["AuthenticationResult"]


def _attempt_order(flow: str, *, local: bool) -> tuple[str, ...]:
    """The sign-in flows to try, in order: `flow` alone, or for `auto` both, password first against moto."""
    if flow != "auto":
        return (flow,)
    return ("password", "srp") if local else ("srp", "password")


def _authentication_result(
    target: Target, user: str, response: InitiateAuthResponseTypeDef
) -> AuthenticationResultTypeTypeDef:
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
