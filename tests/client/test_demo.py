"""`demo` end to end: moto Cognito over HTTP + the JWT front door + the real agent server (scripted model)."""

from __future__ import annotations

import json
from pathlib import Path

import boto3

from local.runtime import LocalRuntime
from tests.client.client_runs import remembered_session, run_demo, signed_in_user


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


def test_demo_keeps_the_previous_default_user(cli, user):
    """`user` logged in last; the demo's temporary users (deleted afterwards) must not take that over."""
    assert cli("demo").code == 0

    after = cli("invoke", "My name is Ines.")
    assert (after.code, after.out) == (0, "Nice to meet you, Ines.\n")
    assert [line.split("\t")[0] for line in cli("sessions", "list").out.splitlines()] == [f"* {user}"]


def test_demo_leaves_no_sessions_of_its_temporary_users(cli, user):
    cli("invoke", "My name is Olu.", "--user", user)
    before = cli("sessions", "list").out

    assert cli("demo").code == 0
    assert cli("sessions", "list").out == before


def _store_keys(runtime: LocalRuntime) -> list[str]:
    """Every object in the runtime's S3 conversation store (moto), sorted."""
    outputs = json.loads(runtime.settings.outputs_path.read_text())
    bucket = next(stack["SessionBucketName"] for stack in outputs.values() if "SessionBucketName" in stack)
    s3 = boto3.client(
        "s3",
        region_name="us-east-1",
        endpoint_url=runtime.aws_endpoint_url,
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket)
    return sorted(o["Key"] for page in pages for o in page.get("Contents", []))


def test_demo_erases_what_its_temporary_users_stored_and_nothing_else(cli, user, local_runtime):
    cli("invoke", "My name is Olu.", "--user", user)
    before = _store_keys(local_runtime)
    assert before  # the other user's conversation and owner record

    assert cli("demo").code == 0
    assert _store_keys(local_runtime) == before


def test_demo_leaves_no_sessions_of_its_temporary_end_users_in_iam_mode(cli, iam_runtime):
    target = ("--local", "--outputs-file", str(iam_runtime.settings.outputs_path))
    assert cli("demo", target=target).code == 0
    assert cli("sessions", "list", target=target).out == ""


def test_demo_table_shows_the_whole_refusal(cli, user, tmp_path):
    """The third row's answer is what the client says when another user reuses a session id, not a cut of it."""
    cli("invoke", "My name is Ana.", "--user", user)
    session = remembered_session(cli, user)
    intruder = signed_in_user(cli, f"{user}-x")
    refusal = cli("invoke", "Do you remember my name?", "--user", intruder, "--session", session).err
    reason = refusal.removeprefix("agentcore-client: ").rstrip("\n")

    result = cli("demo")
    rows = {line.split("  ")[0]: line for line in result.out.splitlines()}
    assert f"refused: {reason}" in rows["other user's session does not"]


def test_demo_with_long_term_memory_recalls_in_a_new_session_and_not_for_another_user(
    long_term_runtime: LocalRuntime, tmp_path: Path
):
    completed, rows = run_demo(long_term_runtime.settings.outputs_path, tmp_path)

    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "Your name is Alice." in rows["new session recalls (long-term)"]
    other = rows["other user's new session does not"]
    assert "Your name is Bob." in other and other.endswith("PASS")  # Bob's own memory, never Alice's
    assert "new session does not" not in rows  # the short-term-only claim does not hold with long-term memory
    assert [name for name in rows if name.endswith("does not") or "remembers" in name or "recalls" in name] == [
        "same session remembers",
        "other user's session does not",
        "new session recalls (long-term)",
        "other user's new session does not",
    ]
