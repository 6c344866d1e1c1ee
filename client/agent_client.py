"""The client's operations on one target, independent of the command line.

WHY a class apart from `cli`: `invoke`, `chat` and `demo` all need the same steps — pick the user,
get a fresh token (or SigV4), pick and remember the session — and tests drive them without parsing
arguments.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import httpx

from client.agent_answers import TextSink
from client.auth_choice import choose_auth
from client.aws_clients import aws_client
from client.cognito_auth import CognitoAuth, MfaCodeSource
from client.command_hint import command_for
from client.errors import CliError, RuntimeHttpError
from client.forget_receipt import Receipt, parse_receipt
from client.invocation import Answer, BearerInvoker, SigV4Invoker
from client.local_caches import claim_local_cache
from client.private_files import cache_root, check_name
from client.runtime_status import STATUSES_WORTH_CHECKING, not_ready_reason
from client.session_book import SessionBook
from client.targets import Target
from client.token_cache import TokenCache, Tokens
from client.totp_enrolment import TotpEnrolment
from client.user_admin import UserAdmin

if TYPE_CHECKING:
    from mypy_boto3_bedrock_agentcore import BedrockAgentCoreClient
    from mypy_boto3_cognito_idp import CognitoIdentityProviderClient

# IAM mode without a named user: no end-user header, so the agent serves the shared anonymous actor.
ANONYMOUS_USER = "anonymous"
T = TypeVar("T")
# The body that asks the agent to erase the caller's data (docs/agent.md, issue 20's contract).
FORGET_ME_ACTION = "forget_me"
_HTTP_TIMEOUT = httpx.Timeout(connect=10.0, read=300.0, write=30.0, pool=10.0)


class AgentClient:
    """Users, tokens, sessions and invocations for one target."""

    def __init__(self, *, target: Target, auth: str = "auto", cache_dir: Path | None = None) -> None:
        """Args: target: where to go; auth: `auto`/`jwt`/`iam` (see `auth_choice`); cache_dir: root of the
        token and session files (default: the user's cache directory)."""
        self.target = target
        self.auth_method = choose_auth(target, auth)
        base = cache_dir or cache_root()
        if target.is_local:
            claim_local_cache(base, target)
        root = base / target.cache_key
        self.tokens = TokenCache(root)
        self.sessions = SessionBook(root)
        self._cognito: CognitoIdentityProviderClient | None = None

    @property
    def cognito(self) -> CognitoIdentityProviderClient:
        """boto3 cognito-idp client for the target's pool (created on first use)."""
        if self._cognito is None:
            self._cognito = aws_client("cognito-idp", self.target)
        return self._cognito

    def _jwt_only(self, what: str) -> None:
        if self.auth_method != "jwt":
            raise CliError(
                f"{what} needs a Cognito user pool, but runtime {self.target.runtime_arn} uses IAM authorization"
            )

    def user_admin(self) -> UserAdmin:
        """Admin operations on the target's pool."""
        self._jwt_only("managing users")
        return UserAdmin(cognito=self.cognito, user_pool_id=str(self.target.user_pool_id))

    def login(
        self,
        user: str,
        password: str,
        *,
        flow: str = "auto",
        make_default: bool = True,
        mfa_code: MfaCodeSource | None = None,
    ) -> Tokens:
        """Sign `user` in and cache the tokens (`flow`, `mfa_code`: see `CognitoAuth.login`); `make_default` makes
        `user` the default for later commands."""
        self._jwt_only("login")
        tokens = self._auth().login(check_name("user name", user), password, flow=flow, mfa_code=mfa_code)
        if make_default:
            self.tokens.remember_default(user)
        return tokens

    def totp(self, user: str) -> TotpEnrolment:
        """TOTP MFA enrolment of `user`, who must be signed in (their access token authorizes it).

        Raises:
            CliError: an IAM runtime, or `user` is not logged in.
        """
        self._jwt_only("MFA")
        return TotpEnrolment(cognito=self.cognito, user=user, access_token=self._auth().access_token(user))

    @property
    def totp_issuer(self) -> str:
        """The issuer authenticator apps show beside the user name."""
        return f"AgentCore {self.target.name}"

    def resolve_user(self, user: str | None) -> str:
        """The explicit user, else `$AGENTCORE_USER`, else whoever logged in last (IAM: else `anonymous`).

        In IAM mode the user is the end user named to the runtime in the end-user header; nobody logs in.
        """
        if self.auth_method == "iam":
            return check_name("user name", user or os.environ.get("AGENTCORE_USER") or ANONYMOUS_USER)
        chosen = user or os.environ.get("AGENTCORE_USER") or self.tokens.last_user()
        if not chosen:
            login = command_for(self.target, "login", "NAME")
            raise CliError(f"no user given and nobody has logged in yet: run `{login}` or pass --user NAME")
        return check_name("user name", chosen)

    def ask(
        self,
        user: str,
        prompt: str,
        *,
        session_id: str | None = None,
        new_session: bool = False,
        stream: bool = True,
        on_text: TextSink = lambda _: None,
    ) -> Answer:
        """Send `prompt` as `user` in the chosen session and remember it as the user's current one."""
        if not prompt.strip():
            raise CliError("prompt is empty: say something")
        chosen = self.sessions.choose(user, session_id=session_id, new=new_session)
        answer = self._as_user(
            user,
            sigv4=lambda invoker: invoker.invoke(prompt=prompt, session_id=chosen, stream=stream, on_text=on_text),
            bearer=lambda invoker, token: invoker.invoke(
                prompt=prompt, session_id=chosen, access_token=token, stream=stream, on_text=on_text
            ),
        )
        self.sessions.record_use(user, chosen)
        return answer

    def stop_session(self, user: str, session_id: str) -> bool:
        """StopRuntimeSession for `session_id`, then drop it from the book; returns whether it was remembered."""
        self.end_runtime_session(user, session_id)
        return self.sessions.forget(user, session_id)

    def end_runtime_session(self, user: str, session_id: str) -> None:
        """StopRuntimeSession for `session_id` as `user` (IAM: with the caller's credentials); the book is untouched."""
        if self.auth_method == "iam":
            self._sigv4().stop_session(session_id=session_id)
        else:
            token = self._auth().access_token(user)
            with httpx.Client(timeout=_HTTP_TIMEOUT) as http:
                BearerInvoker(target=self.target, http=http).stop_session(session_id=session_id, access_token=token)

    def forget(self, user: str, *, session_id: str) -> Receipt:
        """Ask the agent to erase everything stored about `user` (`{"action": "forget_me"}`) in `session_id`.

        The call goes the way `user` chats: their bearer token on a JWT runtime; on an IAM runtime SigV4 with the
        caller's credentials naming `user` in the end-user header. The agent decides the actor from that, never
        from the body, so nobody can name someone else.

        Raises:
            CliError: the runtime refused (e.g. the feature is off: the agent's 4xx message) or sent no receipt.
        """
        body = self._as_user(
            user,
            sigv4=lambda invoker: invoker.call_action(FORGET_ME_ACTION, session_id=session_id),
            bearer=lambda invoker, token: invoker.call_action(
                FORGET_ME_ACTION, session_id=session_id, access_token=token
            ),
        )
        return parse_receipt(body)

    def _as_user(
        self,
        user: str,
        *,
        sigv4: Callable[[SigV4Invoker], T],
        bearer: Callable[[BearerInvoker, str], T],
    ) -> T:
        """Call the runtime as `user` chats: IAM with SigV4 naming `user` (none for `anonymous`), JWT with their token.

        Raises:
            CliError: the call failed; a bearer refusal is replaced by the runtime's status when it is not READY.
        """
        if self.auth_method == "iam":
            return sigv4(self._sigv4(None if user == ANONYMOUS_USER else user))
        token = self._auth().access_token(user)
        with httpx.Client(timeout=_HTTP_TIMEOUT) as http:
            try:
                return bearer(BearerInvoker(target=self.target, http=http), token)
            except RuntimeHttpError as e:
                raise self._explained(e) from e

    def _explained(self, error: RuntimeHttpError) -> CliError:
        """Replace a vague failure with the runtime's status when it is not READY (deployed targets only)."""
        if self.target.is_local or error.status not in STATUSES_WORTH_CHECKING:
            return error
        reason = not_ready_reason(self.target)
        return CliError(reason) if reason else error

    def _auth(self) -> CognitoAuth:
        return CognitoAuth(target=self.target, cognito=self.cognito, cache=self.tokens)

    def _sigv4(self, end_user: str | None = None) -> SigV4Invoker:
        if self.target.is_local:
            # Locally the AgentCore data plane is the front door, not moto; `make local AUTHORIZER=iam`
            # writes the key pair its SigV4 check accepts into the outputs file.
            import boto3

            agentcore: BedrockAgentCoreClient = boto3.client(
                "bedrock-agentcore",
                region_name=self.target.region,
                endpoint_url=self.target.invocation_base_url,
                aws_access_key_id=self.target.access_key_id or "local",
                aws_secret_access_key=self.target.secret_access_key or "local",
            )
        else:
            agentcore = aws_client("bedrock-agentcore", self.target)
        return SigV4Invoker(target=self.target, agentcore=agentcore, end_user=end_user)
