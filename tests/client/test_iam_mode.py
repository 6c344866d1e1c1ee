"""The client against an IAM runtime (`make local AUTHORIZER=iam`): SigV4 with the local keys, end users by name."""

from __future__ import annotations

import re
from pathlib import Path

from local.runtime import LocalRuntime
from tests.client.client_runs import run_demo

REFUSED = (
    "agentcore-client: runtime refused the call (AccessDeniedException): "
    "this session id belongs to another caller; start a new session\n"
)


def _iam(runtime: LocalRuntime) -> tuple[str, ...]:
    return ("--local", "--outputs-file", str(runtime.settings.outputs_path))


def test_demo_holds_all_three_claims_in_iam_mode(iam_runtime: LocalRuntime, tmp_path: Path):
    completed, rows = run_demo(iam_runtime.settings.outputs_path, tmp_path)
    assert completed.returncode == 0, completed.stderr
    assert "Your name is Alice." in rows["same session remembers"] and rows["same session remembers"].endswith("PASS")
    assert "I don't know your name." in rows["new session does not"] and rows["new session does not"].endswith("PASS")
    other = rows["other user's session does not"]
    assert other.endswith("PASS") and "refused: runtime refused the call (AccessDeniedException)" in other
    assert completed.stdout.rstrip().endswith("all checks hold")
    assert completed.stderr == ""


def test_demo_in_iam_mode_fails_when_both_users_are_one(cli, iam_runtime):
    result = cli("demo", "--users", "same", "same", target=_iam(iam_runtime))
    assert result.code == 1
    rows = {line.split("  ")[0]: line for line in result.out.splitlines()}
    other = rows["other user's session does not"]
    assert "Your name is Alice." in other and other.endswith("FAIL")


def test_user_flag_and_environment_name_the_end_user(cli, iam_runtime, monkeypatch):
    first = cli("invoke", "--user", "alice", "--no-stream", "My name is Alice.", target=_iam(iam_runtime))
    alice_session = re.search(r"\[session (\S+)\]", first.err).group(1)

    monkeypatch.setenv("AGENTCORE_USER", "bob")
    as_bob = cli("invoke", "--session", alice_session, "Do you remember my name?", target=_iam(iam_runtime))
    monkeypatch.setenv("AGENTCORE_USER", "alice")
    as_alice = cli(
        "invoke", "--session", alice_session, "--no-stream", "Do you remember my name?", target=_iam(iam_runtime)
    )

    assert first.code == 0
    assert (as_bob.code, as_bob.err) == (1, REFUSED)
    assert (as_alice.code, as_alice.out) == (0, "Your name is Alice.\n")


def test_without_a_user_the_call_is_the_shared_anonymous_caller(cli, iam_runtime):
    first = cli("invoke", "--no-stream", "My name is Ann.", target=_iam(iam_runtime))
    again = cli("invoke", "--no-stream", "Do you remember my name?", target=_iam(iam_runtime))
    named = cli(
        "invoke",
        "--user",
        "carol",
        "--session",
        re.search(r"\[session (\S+)\]", first.err).group(1),
        "Do you remember my name?",
        target=_iam(iam_runtime),
    )

    assert (first.code, again.code, again.out) == (0, 0, "Your name is Ann.\n")
    assert (named.code, named.err) == (1, REFUSED)
    assert cli("sessions", "list", target=_iam(iam_runtime)).out.split()[1] == "anonymous"


def test_sessions_stop_is_signed_with_the_local_keys(cli, iam_runtime):
    first = cli("invoke", "--user", "dora", "--no-stream", "hello", target=_iam(iam_runtime))
    session = re.search(r"\[session (\S+)\]", first.err).group(1)

    result = cli("sessions", "stop", session, "--user", "dora", target=_iam(iam_runtime))

    assert (result.code, result.err) == (0, "")
    assert result.out.startswith(f"stopped session {session}; locally one agent process serves all sessions")
