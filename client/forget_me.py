"""`forget-me` and `users forget`: confirm, end the user's live sessions, erase, then drop what this client keeps.

WHY the order: on AgentCore every session is its own microVM, and its agent holds the conversation in memory
(agent/session_registry.py) where an erasure running in another session cannot reach it. So the sessions this
client knows are stopped (StopRuntimeSession) *before* the erasure — a turn still running there cannot write
the conversation back afterwards — then `{"action": "forget_me"}` runs in a fresh session, which is stopped
too. Only a complete receipt drops the user's remembered sessions from the session book: they point at
conversations that no longer exist. Tokens stay: the account is not deleted (`logout` or `users delete` do that).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TextIO

from client.agent_client import ANONYMOUS_USER, AgentClient
from client.errors import CliError
from client.forget_receipt import Receipt
from client.log_redaction import register_secret
from client.session_book import new_session_id
from client.user_admin import generate_password

# Exit code of a receipt that says `complete: false`: something is left, and running the command again
# finishes it (the agent's erasure is idempotent). 1 stays "nothing known to be erased".
EXIT_INCOMPLETE = 3
INCOMPLETE = "the erasure is incomplete: run the command again to finish it"


@dataclass(frozen=True)
class SessionNotStopped:
    """A session StopRuntimeSession refused; its microVM ends at the runtime's idle timeout instead."""

    session_id: str
    reason: str


@dataclass(frozen=True)
class Forgotten:
    """The agent's receipt and what this client did about its own records."""

    user: str
    receipt: Receipt
    stopped_sessions: tuple[str, ...]
    not_stopped: tuple[SessionNotStopped, ...]
    forgotten_sessions: tuple[str, ...]

    def client_json(self) -> dict[str, Any]:
        """The client's part of the `--json` document."""
        return {
            "stopped_sessions": list(self.stopped_sessions),
            "not_stopped": [{"session_id": n.session_id, "reason": n.reason} for n in self.not_stopped],
            "forgotten_sessions": list(self.forgotten_sessions),
        }


def confirm_erasure(user: str, where: str, *, yes: bool, stdin: TextIO, prompt: TextIO) -> None:
    """Proceed only with `--yes`, or when the user types the user name on a terminal.

    Raises:
        CliError: no terminal and no `--yes` (a script must say so explicitly), or the typed name differs.
    """
    if yes:
        return
    if not stdin.isatty():
        raise CliError("erasing cannot be undone and needs confirmation: run it on a terminal, or pass --yes")
    prompt.write(
        f"This erases everything {where} stores about {user}: every conversation, its records and long-term "
        f"memory. It cannot be undone.\nType the user name ({user}) to confirm: "
    )
    prompt.flush()
    if stdin.readline().strip() != user:
        raise CliError("not confirmed: nothing was erased")


def forget_user(client: AgentClient, user: str) -> Forgotten:
    """Stop the user's remembered sessions, erase everything about `user`, and drop their sessions if complete.

    Raises:
        CliError: the runtime refused the erasure (e.g. the feature is off) or its answer is not a receipt;
            the user is IAM mode's shared `anonymous`.
    """
    if client.auth_method == "iam" and user == ANONYMOUS_USER:
        # The agent refuses it too; refusing here first keeps the shared caller's sessions running.
        raise CliError(
            "the shared anonymous caller cannot be erased: name the end user (--user NAME or $AGENTCORE_USER)"
        )
    remembered = [str(s["id"]) for s in client.sessions.sessions(user) if isinstance(s.get("id"), str)]
    stopped, not_stopped = _stop(client, user, remembered)
    erasure_session = new_session_id()
    receipt = client.forget(user, session_id=erasure_session)
    more_stopped, more_not_stopped = _stop(client, user, [erasure_session])
    forgotten: tuple[str, ...] = ()
    if receipt.complete:
        forgotten = tuple(remembered)
        client.sessions.forget_user(user)
    return Forgotten(
        user=user,
        receipt=receipt,
        stopped_sessions=(*stopped, *more_stopped),
        not_stopped=(*not_stopped, *more_not_stopped),
        forgotten_sessions=forgotten,
    )


def offboard_user(client: AgentClient, user: str) -> Forgotten:
    """JWT runtimes: erase `user`'s data as the user, then delete the account exactly when the receipt is complete.

    WHY a password reset: on a JWT runtime the agent takes the actor from the bearer token's `sub` only, so
    the operator's AWS credentials cannot name the user directly; with the Cognito admin API they set a random
    password, sign in as the user with it and erase. The account is deleted only after a complete receipt (an
    incomplete one keeps it, so a re-run can finish); the user's cached tokens go either way.

    WHY TOTP MFA is turned off first (admin API): the operator has no code from the user's authenticator app, and
    Cognito asks every sign-in of an enrolled user for one. Dropping the second factor is acceptable here because
    the account is deleted right after a complete receipt, and after an incomplete one it is kept with a random
    password that nobody knows (it was never shown), so nobody can sign in with one factor meanwhile; only a
    re-run of this command, or an admin reset, opens it again.

    Raises:
        CliError: the user does not exist, the sign-in or the erasure failed.
    """
    admin = client.user_admin()
    password = generate_password()
    register_secret(password)
    admin.disable_totp(user)
    admin.reset_password(user, password=password)
    try:
        client.login(user, password, make_default=False)
        forgotten = forget_user(client, user)
    finally:
        client.tokens.forget(user)
    if forgotten.receipt.complete:
        admin.delete(user)
    return forgotten


def format_client_part(forgotten: Forgotten) -> str:
    """Lines about the sessions this client stopped and dropped."""
    lines = [
        f"this client: stopped {len(forgotten.stopped_sessions)} runtime session(s), "
        f"dropped {len(forgotten.forgotten_sessions)} remembered session(s)"
    ]
    lines += [
        f"  not stopped: {n.session_id} ({n.reason}); it ends at the runtime's idle timeout"
        for n in forgotten.not_stopped
    ]
    return "\n".join(lines)


def _stop(client: AgentClient, user: str, session_ids: list[str]) -> tuple[list[str], list[SessionNotStopped]]:
    stopped: list[str] = []
    failed: list[SessionNotStopped] = []
    for session_id in session_ids:
        try:
            client.end_runtime_session(user, session_id)
        except CliError as e:
            failed.append(SessionNotStopped(session_id=session_id, reason=e.message))
        else:
            stopped.append(session_id)
    return stopped, failed
