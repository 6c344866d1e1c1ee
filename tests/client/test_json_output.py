"""`--json` against the real local runtime: one document on stdout with exact keys, failures too, no secrets."""

from __future__ import annotations

import json
import re
import secrets

from client.agent_client import AgentClient
from client.targets import local_target
from tests.client.client_runs import PASSWORD, remembered_session

UTC_STAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")


def _document(result) -> dict:
    """The one JSON document on stdout (a second line would fail here)."""
    assert result.out.endswith("\n") and result.out.count("\n") == 1, result.out
    return json.loads(result.out)


def _tokens(local_runtime, user: str) -> tuple[str, str, str]:
    tokens = AgentClient(target=local_target(local_runtime.settings.outputs_path)).tokens.load(user)
    assert tokens is not None
    return tokens.access_token, tokens.id_token, tokens.refresh_token


def test_invoke_json_is_one_document_with_the_answer_and_session(cli, user, local_runtime):
    result = cli("invoke", "My name is Ada.", "--user", user, "--json")

    session = remembered_session(cli, user)
    assert (result.code, result.err) == (0, "")
    assert _document(result) == {
        "success": True,
        "user": user,
        "session_id": session,
        "response": "Nice to meet you, Ada.",
    }
    assert not any(secret in result.out for secret in _tokens(local_runtime, user))


def test_invoke_json_failure_is_a_document_on_stdout_with_exit_1(cli, user):
    """The official CLI's failure shape: `{"success": false, "error": …}` on stdout, nothing on stderr."""
    result = cli("invoke", "hi", "--user", user, "--session", "x" * 32, "--json")
    assert (result.code, result.err) == (1, "")
    assert _document(result) == {
        "success": False,
        "error": f"session id '{'x' * 32}' is 32 characters long but must be 33 to 256 "
        "(omit --session to get a generated one)",
    }
    plain = cli("invoke", "hi", "--user", user, "--session", "x" * 32)  # the control: without --json, stderr
    assert (plain.code, plain.out) == (1, "")
    assert plain.err == f"agentcore-client: {_document(result)['error']}\n"


def test_sessions_list_and_stop_json(cli, user):
    cli("invoke", "My name is Bo.", "--user", user)
    cli("invoke", "hello", "--user", user, "--new-session")
    first, second = re.findall(r"session-[0-9a-f]{32}", cli("sessions", "list", "--user", user).out)

    listing = _document(cli("sessions", "list", "--user", user, "--json"))
    assert listing["success"] is True and list(listing) == ["success", "sessions"]
    rows = listing["sessions"]
    assert [(r["user"], r["session_id"], r["current"]) for r in rows] == [(user, first, False), (user, second, True)]
    assert all(list(r) == ["user", "session_id", "current", "created_at", "last_used_at"] for r in rows)
    assert all(UTC_STAMP.fullmatch(r["created_at"]) and UTC_STAMP.fullmatch(r["last_used_at"]) for r in rows)

    stopped = cli("sessions", "stop", first, "--user", user, "--json")
    assert (stopped.code, _document(stopped)) == (
        0,
        {"success": True, "user": user, "session_id": first, "remembered": True},
    )
    again = _document(cli("sessions", "stop", first, "--user", user, "--json"))
    assert again == {"success": True, "user": user, "session_id": first, "remembered": False}
    assert [r["session_id"] for r in _document(cli("sessions", "list", "--user", user, "--json"))["sessions"]] == [
        second
    ]


def test_users_create_list_delete_json_without_the_password(cli):
    name = f"json-{secrets.token_hex(4)}"
    created = cli(
        "users", "create", name, "--password-stdin", "--email", f"{name}@example.com", "--json", stdin=PASSWORD + "\n"
    )
    assert (created.code, _document(created)) == (0, {"success": True, "user": name, "email": f"{name}@example.com"})
    assert PASSWORD not in created.out

    listed = _document(cli("users", "list", "--json"))
    assert list(listed) == ["success", "users"]
    assert {"name": name, "status": "CONFIRMED", "enabled": True, "email": f"{name}@example.com"} in listed["users"]

    deleted = cli("users", "delete", name, "--json")
    assert (deleted.code, _document(deleted)) == (0, {"success": True, "user": name, "deleted": True})
    missing = cli("users", "delete", name, "--json")
    assert (missing.code, _document(missing)) == (
        1,
        {"success": False, "error": f"user {name} not found in the user pool"},
    )


def test_users_create_json_refuses_to_print_a_generated_password(cli, cognito, local_runtime):
    name = f"json-{secrets.token_hex(4)}"
    result = cli("users", "create", name, "--json")
    assert (result.code, _document(result)) == (
        1,
        {"success": False, "error": "--json never prints a password: pass the password with --password-stdin"},
    )
    names = [u["Username"] for u in cognito.list_users(UserPoolId=local_runtime.identity.user_pool_id)["Users"]]
    assert name not in names


def test_demo_json_lists_every_check(cli):
    result = cli("demo", "--json")
    assert (result.code, result.err) == (0, "")
    document = _document(result)
    assert list(document) == ["success", "checks"] and document["success"] is True
    checks = document["checks"]
    assert all(list(c) == ["claim", "user", "session", "answer", "passed"] for c in checks)
    by_claim = {c["claim"]: c for c in checks}
    assert by_claim["same session remembers"]["answer"] == "Your name is Alice."
    assert by_claim["new session does not"]["answer"] == "I don't know your name."
    assert by_claim["other user's session does not"]["answer"].startswith("refused: runtime answered HTTP 403")
    assert all(c["passed"] is True for c in checks)


def test_demo_json_failure_keeps_the_checks(cli, user):
    """The same user twice: the third claim does not hold, and the document says so beside the rows."""
    result = cli("demo", "--users", user, user, "--json")
    document = _document(result)
    assert (result.code, document["success"], document["error"]) == (1, False, "some checks failed")
    assert {c["claim"]: c["passed"] for c in document["checks"]}["other user's session does not"] is False
