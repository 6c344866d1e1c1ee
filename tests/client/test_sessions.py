"""invoke/chat resume the current session, start new ones on request, and refuse short ids."""

from __future__ import annotations

import re

from client.agent_client import AgentClient
from client.session_book import MIN_SESSION_ID_CHARS, new_session_id
from client.targets import local_target
from tests.client.client_runs import remembered_session, signed_in_user


def test_generated_session_ids_are_long_enough_and_unique():
    ids = {new_session_id() for _ in range(200)}
    assert len(ids) == 200
    assert all(len(i) == 40 >= MIN_SESSION_ID_CHARS and re.fullmatch(r"session-[0-9a-f]{32}", i) for i in ids)


def test_invoke_resumes_the_current_session_until_new_session(cli, user):
    first = cli("invoke", "My name is Ada.", "--user", user)
    assert (first.code, first.out) == (0, "Nice to meet you, Ada.\n")
    session = re.fullmatch(r"\[session (session-[0-9a-f]{32})\]\n", first.err).group(1)
    again = cli("invoke", "Do you remember my name?", "--user", user)
    assert (again.out, again.err) == ("Your name is Ada.\n", f"[session {session}]\n")
    fresh = cli("invoke", "Do you remember my name?", "--user", user, "--new-session", "--no-stream")
    assert fresh.out == "I don't know your name.\n"
    assert session not in fresh.err
    listing = cli("sessions", "list", "--user", user).out.splitlines()
    assert len(listing) == 2
    assert listing[0].startswith(f"  {user}\t{session}\t")
    assert listing[1].startswith(f"* {user}\tsession-")


def test_explicit_session_resumes_an_older_one(cli, user):
    cli("invoke", "My name is Grace.", "--user", user)
    old = remembered_session(cli, user)
    cli("invoke", "hello", "--user", user, "--new-session")
    back = cli("invoke", "Do you remember my name?", "--user", user, "--session", old)
    assert back.out == "Your name is Grace.\n"


def test_last_logged_in_user_is_the_default(cli, user):
    assert cli("invoke", "My name is Lin.").out == "Nice to meet you, Lin.\n"


def test_short_session_id_is_refused_before_sending(cli, user):
    result = cli("invoke", "hi", "--user", user, "--session", "x" * 32)
    assert result.code == 1
    assert result.err == (
        f"agentcore-client: session id '{'x' * 32}' is 32 characters long but must be 33 to 256 "
        "(omit --session to get a generated one)\n"
    )


def test_chat_reads_stdin_and_new_starts_another_session(cli, user):
    script = "My name is Kim.\nDo you remember my name?\n/new\nDo you remember my name?\n/exit\nnever sent\n"
    result = cli("chat", "--user", user, "--new-session", stdin=script)
    assert result.code == 0
    assert result.out == "Nice to meet you, Kim.\nYour name is Kim.\nI don't know your name.\n"
    assert re.search(r"^new session session-[0-9a-f]{32}$", result.err, re.MULTILINE)


def test_other_users_session_is_refused_with_one_line(cli, user):
    cli("invoke", "My name is Ola.", "--user", user)
    session = remembered_session(cli, user)
    intruder = signed_in_user(cli, f"{user}-b")
    result = cli("invoke", "Do you remember my name?", "--user", intruder, "--session", session)
    assert result.code == 1
    assert result.out == ""
    assert result.err.startswith("agentcore-client: runtime answered HTTP 403 (session_forbidden): ")
    assert result.err.count("\n") == 1


def test_sessions_stop_forgets_the_session_and_explains_local_behaviour(cli, user):
    cli("invoke", "My name is Bo.", "--user", user)
    session = remembered_session(cli, user)
    result = cli("sessions", "stop", session, "--user", user)
    assert result.code == 0
    assert result.out == (
        f"stopped session {session}; locally one agent process serves all sessions, "
        "so its stored history stays and a new call resumes it\n"
    )
    assert cli("sessions", "list", "--user", user).out == ""


def test_streamed_text_arrives_in_several_pieces(local_runtime, user):
    client = AgentClient(target=local_target(local_runtime.settings.outputs_path))
    pieces: list[str] = []
    answer = client.ask(user, "My name is Noor Al-Hassan.", new_session=True, on_text=pieces.append)
    assert answer.text == "Nice to meet you, Noor Al-Hassan."
    assert len(pieces) > 1 and "".join(pieces) == answer.text
    whole: list[str] = []
    client.ask(user, "Do you remember my name?", stream=False, on_text=whole.append)
    assert whole == ["Your name is Noor Al-Hassan."]
