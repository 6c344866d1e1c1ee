"""`forget-me` and `users forget`: confirmation, the receipt, and what the client keeps afterwards.

The erasure itself runs in the real agent behind the local front door (JWT) or the SigV4 front door (IAM); a
`RuntimePeer` answers only what the agent cannot be made to send: a broken receipt and an incomplete one.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time

import pytest
from starlette.responses import JSONResponse, Response

from client.agent_client import AgentClient
from client.errors import CliError
from client.forget_receipt import parse_receipt
from client.session_book import new_session_id
from client.targets import stage_target
from client.token_cache import Tokens
from tests.client.client_runs import remembered_session, signed_in_user
from tests.support.paths import REPO

NEEDS_CONFIRMATION = "erasing cannot be undone and needs confirmation: run it on a terminal, or pass --yes"
CLIENT = (sys.executable, "-m", "client")
RECEIPT = {"actor": "sub-1", "deleted": {"conversations": 2}, "not_deleted": [], "complete": True}


# --- end to end: the real agent behind the local front doors ------------------------------------------------------

LOG_LINES = {
    "kind": "log_lines",
    "reason": "request log lines name the actor id and session ids (never prompt or answer text); they stay in the "
    "runtime's log group (/aws/bedrock-agentcore/runtimes/<runtime id>-*) until its retention ends",
}


def test_forget_me_erases_prints_the_receipt_and_leaves_another_user_alone(cli, user):
    cli("invoke", "My name is Eve.", "--user", user)
    first = remembered_session(cli, user)
    cli("invoke", "hello", "--user", user, "--new-session")
    other = signed_in_user(cli, f"{user}-o")
    cli("invoke", "My name is Zed.", "--user", other)
    others_session = remembered_session(cli, other)

    result = cli("forget-me", "--user", user, "--yes")

    assert (result.code, result.err) == (0, "")
    lines = result.out.splitlines()
    assert lines[0] == f"erased for {user} (actor {_actor(lines[0])}):"
    assert lines[1:7] == [
        "  sessions              2",
        "  owner_records         2",
        "  conversation_objects  8",
        "not erased:",
        f"  log_lines: {LOG_LINES['reason']}",
        "complete: yes",
    ]
    assert lines[7:] == ["this client: stopped 3 runtime session(s), dropped 2 remembered session(s)"]
    assert cli("sessions", "list", "--user", user).out == ""
    old = cli("invoke", "Do you remember my name?", "--user", user, "--session", first)
    assert (old.code, old.out) == (0, "I don't know your name.\n")  # the old session id starts empty
    kept = cli("invoke", "Do you remember my name?", "--user", other, "--session", others_session)
    assert kept.out == "Your name is Zed.\n"


def _actor(header: str) -> str:
    return re.fullmatch(r"erased for \S+ \(actor ([0-9a-f-]{36})\):", header).group(1)


def test_forget_me_json_is_the_agents_receipt_and_a_rerun_finds_nothing(cli, user):
    cli("invoke", "My name is Ivo.", "--user", user)
    remembered = remembered_session(cli, user)

    first = cli("forget-me", "--user", user, "--yes", "--json")
    again = cli("forget-me", "--user", user, "--yes", "--json")

    document = json.loads(first.out)
    assert (first.code, first.err, list(document)) == (0, "", ["success", "user", "receipt", "client"])
    actor = document["receipt"]["actor"]
    assert document["success"] is True and document["user"] == user
    assert document["receipt"] == {
        "actor": actor,
        "deleted": {"sessions": 1, "owner_records": 1, "conversation_objects": 4},
        "not_deleted": [LOG_LINES],
        "complete": True,
    }
    stopped = document["client"]["stopped_sessions"]
    assert stopped[0] == remembered and len(stopped) == 2 and stopped[1] != remembered
    assert document["client"] == {"stopped_sessions": stopped, "not_stopped": [], "forgotten_sessions": [remembered]}
    rerun = json.loads(again.out)
    assert again.code == 0
    assert rerun["receipt"]["deleted"] == {"sessions": 0, "owner_records": 0, "conversation_objects": 0}
    assert rerun["client"]["forgotten_sessions"] == []


def test_forget_me_on_a_terminal_proceeds_with_the_typed_user_name(cli, user, local_runtime, cache_home):
    cli("invoke", "My name is Ada.", "--user", user)
    session = remembered_session(cli, user)

    confirmed = _forget_on_a_terminal(local_runtime, cache_home, user, f"{user}\n")

    assert confirmed.returncode == 0, confirmed.stderr
    assert confirmed.stderr.endswith(f"Type the user name ({user}) to confirm: ")
    assert "  sessions              1\n" in confirmed.stdout and "complete: yes\n" in confirmed.stdout
    assert cli("invoke", "Do you remember my name?", "--user", user, "--session", session).out == (
        "I don't know your name.\n"
    )


def test_users_forget_delete_user_offboards_on_a_jwt_runtime(cli, user, cognito, local_runtime):
    cli("invoke", "My name is Oda.", "--user", user)

    result = cli("users", "forget", user, "--delete-user", "--yes", "--json")

    document = json.loads(result.out)
    assert (result.code, document["success"], document["user_deleted"]) == (0, True, True)
    assert document["receipt"]["deleted"] == {"sessions": 1, "owner_records": 1, "conversation_objects": 4}
    names = [u["Username"] for u in cognito.list_users(UserPoolId=local_runtime.identity.user_pool_id)["Users"]]
    assert user not in names
    assert cli("invoke", "hi", "--user", user).err.startswith(f"agentcore-client: user {user} is not logged in")


def test_users_forget_erases_an_end_user_with_sigv4(cli, iam_runtime):
    target = ("--local", "--outputs-file", str(iam_runtime.settings.outputs_path))
    cli("invoke", "--user", "fay", "My name is Fay.", target=target)
    fays_session = remembered_session(cli, "fay", target=target)
    cli("invoke", "--user", "gus", "My name is Gus.", target=target)
    guss_session = remembered_session(cli, "gus", target=target)

    result = cli("users", "forget", "fay", "--yes", "--json", target=target)

    document = json.loads(result.out)
    assert (result.code, result.err) == (0, "")
    assert document["receipt"] == {
        "actor": "fay",
        "deleted": {"sessions": 1, "owner_records": 1, "conversation_objects": 4},
        "not_deleted": [LOG_LINES],
        "complete": True,
    }
    assert document["client"]["forgotten_sessions"] == [fays_session]
    old = cli("invoke", "--user", "fay", "--session", fays_session, "Do you remember my name?", target=target)
    assert old.out == "I don't know your name.\n"
    kept = cli("invoke", "--user", "gus", "--session", guss_session, "Do you remember my name?", target=target)
    assert kept.out == "Your name is Gus.\n"


def test_the_shared_anonymous_caller_is_not_erased(cli, iam_runtime):
    target = ("--local", "--outputs-file", str(iam_runtime.settings.outputs_path))
    cli("invoke", "My name is Ann.", target=target)
    before = cli("sessions", "list", target=target).out

    result = cli("forget-me", "--yes", target=target)

    assert (result.code, result.err) == (
        1,
        "agentcore-client: the shared anonymous caller cannot be erased: name the end user "
        "(--user NAME or $AGENTCORE_USER)\n",
    )
    assert cli("sessions", "list", target=target).out == before
    assert cli("invoke", "Do you remember my name?", target=target).out == "Your name is Ann.\n"


def test_users_forget_delete_user_is_refused_on_an_iam_runtime(cli, iam_runtime):
    target = ("--local", "--outputs-file", str(iam_runtime.settings.outputs_path))
    result = cli("users", "forget", "hal", "--delete-user", "--yes", target=target)
    assert (result.code, result.err) == (
        1,
        "agentcore-client: --delete-user is for JWT runtimes: an IAM runtime has no Cognito users\n",
    )


# --- confirmation ------------------------------------------------------------------------------------------------


def test_forget_me_without_yes_on_a_pipe_is_refused_and_erases_nothing(cli, user):
    cli("invoke", "My name is Ria.", "--user", user)
    before = cli("sessions", "list", "--user", user).out

    refused = cli("forget-me", "--user", user)
    as_json = cli("forget-me", "--user", user, "--json")

    assert (refused.code, refused.out, refused.err) == (1, "", f"agentcore-client: {NEEDS_CONFIRMATION}\n")
    assert (as_json.code, json.loads(as_json.out)) == (1, {"success": False, "error": NEEDS_CONFIRMATION})
    assert cli("sessions", "list", "--user", user).out == before
    assert cli("invoke", "Do you remember my name?", "--user", user).out == "Your name is Ria.\n"


def _forget_on_a_terminal(local_runtime, cache_home, user: str, typed: str) -> subprocess.CompletedProcess[str]:
    """`python -m client --local … forget-me --user USER` with a pseudo-terminal as stdin, `typed` typed into it."""
    leader, follower = os.openpty()
    try:
        os.write(leader, typed.encode())
        return subprocess.run(
            [
                *CLIENT,
                "--local",
                "--outputs-file",
                str(local_runtime.settings.outputs_path),
                "forget-me",
                "--user",
                user,
            ],
            cwd=REPO,
            env={"PATH": "/usr/bin:/bin", "XDG_CACHE_HOME": str(cache_home), "HOME": str(cache_home)},
            stdin=follower,
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        os.close(follower)
        os.close(leader)


def test_forget_me_on_a_terminal_needs_the_typed_user_name(cli, user, local_runtime, cache_home):
    cli("invoke", "My name is Tor.", "--user", user)

    wrong = _forget_on_a_terminal(local_runtime, cache_home, user, "yes\n")

    assert wrong.returncode == 1
    assert wrong.stderr.startswith("This erases everything runtime local stores about ")
    assert wrong.stderr.endswith(
        f"Type the user name ({user}) to confirm: agentcore-client: not confirmed: nothing was erased\n"
    )
    assert cli("invoke", "Do you remember my name?", "--user", user).out == "Your name is Tor.\n"


def test_users_forget_on_a_jwt_runtime_needs_delete_user(cli, user):
    cli("invoke", "My name is Uma.", "--user", user)

    result = cli("users", "forget", user, "--yes")

    assert result.code == 1
    assert result.err.startswith("agentcore-client: on a JWT runtime only the user's own token names them: offboard ")
    assert f" users forget {user} --delete-user` (resets the password," in result.err
    assert cli("invoke", "Do you remember my name?", "--user", user).out == "Your name is Uma.\n"


# --- the receipt: what the client accepts ------------------------------------------------------------------------


def test_receipt_is_read_exactly():
    receipt = parse_receipt({"receipt": {**RECEIPT, "not_deleted": [{"kind": "logs", "reason": "retention"}]}})
    assert receipt.as_json() == {**RECEIPT, "not_deleted": [{"kind": "logs", "reason": "retention"}]}


@pytest.mark.parametrize(
    ("body", "what"),
    [
        ({"receipts": RECEIPT}, 'no "receipt" object'),
        ([RECEIPT], 'no "receipt" object'),
        ({"receipt": {**RECEIPT, "actor": ""}}, '"actor" is not a non-empty string'),
        ({"receipt": {**RECEIPT, "deleted": {"conversations": "2"}}}, '"deleted" is not an object of counts'),
        ({"receipt": {**RECEIPT, "deleted": {"conversations": True}}}, '"deleted" is not an object of counts'),
        ({"receipt": {**RECEIPT, "deleted": {"conversations": -1}}}, '"deleted" is not an object of counts'),
        (
            {"receipt": {**RECEIPT, "not_deleted": [{"kind": "logs"}]}},
            '"not_deleted" is not a list of {"kind", "reason"}',
        ),
        ({"receipt": {**RECEIPT, "complete": "yes"}}, '"complete" is not true or false'),
    ],
)
def test_a_body_that_is_not_a_receipt_is_refused(body, what):
    with pytest.raises(CliError) as raised:
        parse_receipt(body)
    assert raised.value.message.startswith(
        f"runtime answered with something that is not a forget-me receipt ({what}): "
    )


# --- answers only a peer can give ----------------------------------------------------------------------------------


def _peer_client(runtime_peer, answer, tmp_path) -> tuple[object, AgentClient, tuple[str, ...]]:
    """A JWT target at a peer answering `answer`, a signed-in `ann` with one remembered session, and CLI options."""
    peer = runtime_peer(answer)
    outputs = {
        "AgentCoreSession-dev-Runtime": {
            "RuntimeArn": peer.target.runtime_arn,
            "EndpointName": "local",
            "AuthorizerType": "jwt",
            "Region": "us-east-1",
            "UserPoolId": "us-east-1_peer",
            "UserPoolClientId": "peer-client",
            "InvocationBaseUrl": peer.url,
        }
    }
    path = tmp_path / "peer-outputs.json"
    path.write_text(json.dumps(outputs))
    client = AgentClient(target=stage_target("dev", path))
    client.tokens.save("ann", Tokens("peer-access", "peer-id", "peer-refresh", time.time() + 3600))
    client.sessions.record_use("ann", new_session_id())
    return peer, client, ("--outputs-file", str(path))


def _answer(body: object) -> object:
    return lambda: JSONResponse(body)


def test_incomplete_receipt_exits_3_and_keeps_the_remembered_sessions(cli, runtime_peer, tmp_path):
    receipt = {
        **RECEIPT,
        "not_deleted": [{"kind": "memory_records", "reason": "extraction still running"}],
        "complete": False,
    }
    peer, client, target = _peer_client(runtime_peer, _answer({"receipt": receipt}), tmp_path)
    remembered = client.sessions.current("ann")

    result = cli("forget-me", "--user", "ann", "--yes", "--json", target=target)

    document = json.loads(result.out)
    assert (result.code, result.err) == (3, "")
    assert list(document) == ["success", "error", "user", "receipt", "client"]
    assert (document["success"], document["error"], document["user"]) == (
        False,
        "the erasure is incomplete: run the command again to finish it",
        "ann",
    )
    assert document["receipt"] == receipt
    sent = peer.requests[0]
    erasure_session = sent["x-amzn-bedrock-agentcore-runtime-session-id"]
    assert (sent["authorization"], sent["accept"]) == ("Bearer peer-access", "application/json")
    assert erasure_session != remembered
    # The peer has no StopRuntimeSession route: both stops (the remembered session first, then the erasure's) are
    # reported, and the incomplete erasure leaves the session book as it was.
    client_part = document["client"]
    assert (client_part["stopped_sessions"], client_part["forgotten_sessions"]) == ([], [])
    assert [n["session_id"] for n in client_part["not_stopped"]] == [remembered, erasure_session]
    assert client.sessions.current("ann") == remembered


def test_broken_receipt_fails_and_keeps_the_remembered_sessions(cli, runtime_peer, tmp_path):
    _, client, target = _peer_client(runtime_peer, _answer({"receipt": {**RECEIPT, "complete": None}}), tmp_path)
    remembered = client.sessions.sessions("ann")

    result = cli("forget-me", "--user", "ann", "--yes", target=target)

    assert (result.code, result.out) == (1, "")
    assert result.err.startswith(
        "agentcore-client: runtime answered with something that is not a forget-me receipt "
        '("complete" is not true or false): '
    )
    assert client.sessions.sessions("ann") == remembered


def test_refusal_of_a_disabled_feature_shows_the_agents_message(cli, runtime_peer, tmp_path):
    def disabled() -> Response:
        body = {"error": "forget me is not enabled", "code": "feature_disabled", "message": "forget me is not enabled"}
        return JSONResponse(body, status_code=400, headers={"x-amzn-ErrorType": "ValidationException"})

    _, client, target = _peer_client(runtime_peer, disabled, tmp_path)
    result = cli("forget-me", "--user", "ann", "--yes", "--json", target=target)
    assert result.code == 1
    assert json.loads(result.out)["success"] is False
    assert "forget me is not enabled" in json.loads(result.out)["error"]
    assert len(client.sessions.sessions("ann")) == 1
