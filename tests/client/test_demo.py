"""`demo` end to end: moto Cognito over HTTP + the JWT front door + the real agent server (scripted model)."""

from __future__ import annotations

from pathlib import Path

from local.runtime import LocalRuntime
from tests.client.client_runs import run_demo


def test_demo_holds_all_three_claims_via_console_entry_point(local_runtime: LocalRuntime, tmp_path: Path):
    completed, rows = run_demo(local_runtime.settings.outputs_path, tmp_path)
    assert completed.returncode == 0, completed.stderr
    assert "Your name is Alice." in rows["same session remembers"] and rows["same session remembers"].endswith("PASS")
    assert "I don't know your name." in rows["new session does not"] and rows["new session does not"].endswith("PASS")
    other = rows["other user's session does not"]
    assert other.endswith("PASS") and "session_forbidden" in other
    assert completed.stdout.rstrip().endswith("all checks hold")
    assert completed.stderr == ""


def test_demo_users_are_removed_afterwards(cli, cognito, local_runtime):
    assert cli("demo").code == 0
    names = [u["Username"] for u in cognito.list_users(UserPoolId=local_runtime.identity.user_pool_id)["Users"]]
    assert [n for n in names if n.startswith("demo-")] == []


def test_demo_fails_when_a_claim_does_not_hold(cli, user):
    """The same user twice: 'another user' is then the owner, so session 1 does remember — the demo must say so."""
    result = cli("demo", "--users", user, user)
    assert result.code == 1
    rows = {line.split("  ")[0]: line for line in result.out.splitlines()}
    assert rows["same session remembers"].endswith("PASS")
    assert rows["new session does not"].endswith("PASS")
    assert "Your name is Alice." in rows["other user's session does not"]
    assert rows["other user's session does not"].endswith("FAIL")
    assert result.out.rstrip().endswith("SOME CHECKS FAILED")
