"""`demo`: replay the reference scenario — two users, three sessions — and print what held.

WHY: it is the shortest proof that sessions behave as promised on a given target: the same session
remembers, a new session does not, and another user cannot read a session by reusing its id. On a JWT
runtime the users are Cognito users; on an IAM runtime they are end users the SigV4 caller names.

With long-term memory (the target publishes `LongTermMemoryNamespaces`) a new session of the same user is meant to
know the name, once the service has extracted it (asynchronous: about a minute on AWS), so that row becomes "a new
session recalls it", polled until a deadline, and a fourth row shows another user's new session does not.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass

from client.agent_client import AgentClient
from client.errors import CliError
from client.session_book import new_session_id
from client.user_admin import generate_password

NAME_A, NAME_B = "Alice", "Bob"
REMEMBER = "Do you remember my name?"
# Long-term recall: how long to wait for the extraction, and how often to ask (a new session each time).
LONG_TERM_DEADLINE_SECONDS = 150.0
LONG_TERM_POLL_SECONDS = 2.0


@dataclass(frozen=True)
class Check:
    """One row of the demo table."""

    claim: str
    user: str
    session: str
    answer: str
    passed: bool


def run_demo(
    client: AgentClient, *, users: tuple[str, str] | None = None, say: Callable[[str], None] = print
) -> list[Check]:
    """Run the scenario; temporary users are created (and deleted afterwards) unless `users` are given.

    Temporary users leave nothing behind in this client: not their tokens, not their sessions, and they never
    become the default user (whoever was the default before stays it).

    Args:
        client: the target's client.
        users: two users who are already logged in (IAM: two end-user names); None picks `demo-a-…`/`demo-b-…`
            (created in Cognito on a JWT runtime; on an IAM runtime the names are all there is).
        say: progress output.
    """
    temporary = users is None
    user_a, user_b = users or (f"demo-a-{secrets.token_hex(3)}", f"demo-b-{secrets.token_hex(3)}")
    created: list[str] = []
    try:
        if temporary and client.auth_method == "jwt":
            _create_and_login(client, (user_a, user_b), created, say)
        return _scenario(client, user_a, user_b, say)
    finally:
        if temporary:
            _erase(client, tuple(created) if client.auth_method == "jwt" else (user_a, user_b), say)
        for user in created:
            client.user_admin().delete(user)
            client.tokens.forget(user)
        if temporary:
            for user in (user_a, user_b):
                client.sessions.forget_user(user)


def format_table(checks: list[Check]) -> str:
    """A fixed-width table of the checks."""
    header = ("check", "user", "session", "answer", "result")
    rows = [(c.claim, c.user, c.session, c.answer, "PASS" if c.passed else "FAIL") for c in checks]
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(str(cell).ljust(widths[i]) for i, cell in enumerate(row)).rstrip() for row in [header, *rows]]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _create_and_login(
    client: AgentClient, users: tuple[str, str], created: list[str], say: Callable[[str], None]
) -> None:
    """Create and log in the temporary users; `created` lists those to delete afterwards."""
    admin = client.user_admin()
    for user in users:
        password = generate_password()
        try:
            admin.create(user, password=password)
        except CliError as e:
            raise CliError(f"{e.message} (demo creates temporary users; or pass --users A B of logged-in users)") from e
        created.append(user)
        client.login(user, password, make_default=False)
        say(f"created and logged in temporary user {user}")


def _scenario(client: AgentClient, user_a: str, user_b: str, say: Callable[[str], None]) -> list[Check]:
    first = client.ask(user_a, f"My name is {NAME_A}.", new_session=True)
    say(f"{user_a} in session 1: My name is {NAME_A}. -> {first.text}")
    s1 = first.session_id
    again = client.ask(user_a, REMEMBER, session_id=s1)
    long_term = client.target.long_term_memory
    second = None if long_term else client.ask(user_a, REMEMBER, new_session=True)
    third = client.ask(user_b, f"My name is {NAME_B}.", new_session=True)
    say(f"{user_b} in session 3: My name is {NAME_B}. -> {third.text}")
    try:
        foreign = client.ask(user_b, REMEMBER, session_id=s1).text
    except CliError as refused:
        foreign = f"refused: {refused.message}"
    checks = [
        Check("same session remembers", user_a, "1", again.text, NAME_A in again.text),
        *([Check("new session does not", user_a, "2", second.text, NAME_A not in second.text)] if second else []),
        Check("other user's session does not", user_b, "1", foreign, NAME_A not in foreign),
    ]
    return checks + (_long_term_checks(client, user_a, user_b, say) if long_term else [])


def _long_term_checks(client: AgentClient, user_a: str, user_b: str, say: Callable[[str], None]) -> list[Check]:
    """A new session of user A recalls the name (asked again in new sessions until the deadline: extraction is
    asynchronous); a new session of user B does not get A's name."""
    say(f"waiting for long-term memory to recall {NAME_A} in a new session (up to {LONG_TERM_DEADLINE_SECONDS:.0f} s)")
    deadline = time.monotonic() + LONG_TERM_DEADLINE_SECONDS
    recalled = client.ask(user_a, REMEMBER, new_session=True).text
    while NAME_A not in recalled and time.monotonic() < deadline:
        time.sleep(LONG_TERM_POLL_SECONDS)
        recalled = client.ask(user_a, REMEMBER, new_session=True).text
    other = client.ask(user_b, REMEMBER, new_session=True).text
    return [
        Check("new session recalls (long-term)", user_a, "new", recalled, NAME_A in recalled),
        Check("other user's new session does not", user_b, "new", other, NAME_A not in other),
    ]


def _erase(client: AgentClient, users: tuple[str, ...], say: Callable[[str], None]) -> None:
    """Erase what the temporary users left in the store (forget-me, as each user), before their accounts go.

    WHY: once a temporary user is deleted nobody can sign in as them to erase their conversations, owner records
    or long-term records; without this they would stay until the store's expiry. A runtime with forget-me off
    refuses, and the demo says so rather than failing: its checks are about sessions, not erasure.
    """
    for user in users:
        try:
            receipt = client.forget(user, session_id=new_session_id())
        except CliError as e:
            say(f"could not erase temporary user {user}'s data: {e.message}")
            continue
        if not receipt.complete:
            left = ", ".join(n.kind for n in receipt.not_deleted)
            say(f"erasure of temporary user {user}'s data is incomplete (not deleted: {left})")
