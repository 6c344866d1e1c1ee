"""End users behind a trusted IAM caller: the end-user header is the actor in IAM mode, and only there."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from local.processes import ServerProcess
from tests.support.agent_http import ask, invoke, new_session_id, request_log
from tests.support.agentcore_headers import END_USER_HEADER
from tests.support.run_agent import start_agent

REMEMBER = "Do you remember my name?"


@dataclass(frozen=True)
class IamAgent:
    """The agent server and the file store's actors directory."""

    server: ServerProcess
    actors: Path

    @property
    def base_url(self) -> str:
        return self.server.base_url


@pytest.fixture(scope="module")
def iam_agent(tmp_path_factory: pytest.TempPathFactory) -> Iterator[IamAgent]:
    """The agent as an IAM-authorized runtime starts it (the stack sets AUTHORIZER_TYPE=iam)."""
    root = tmp_path_factory.mktemp("iam-agent")
    server = start_agent(
        log_path=root / "agent.log",
        env={
            "SESSION_STORE": "file",
            "SESSION_DIR": str(root / "sessions"),
            "LOG_LEVEL": "INFO",
            "AUTHORIZER_TYPE": "iam",
        },
    )
    yield IamAgent(server=server, actors=root / "sessions" / "actors")
    server.stop()


def test_end_user_keeps_their_session_in_their_own_namespace(iam_agent):
    session_id = new_session_id()
    ask(iam_agent.base_url, session_id, "My name is Alice.", end_user="alice")

    assert ask(iam_agent.base_url, session_id, REMEMBER, end_user="alice") == "Your name is Alice."
    assert ask(iam_agent.base_url, new_session_id(), REMEMBER, end_user="alice") == "I don't know your name."
    assert (iam_agent.actors / "alice" / f"session_{session_id}").is_dir()


def test_another_end_user_gets_403_revealing_nothing(iam_agent):
    session_id = new_session_id()
    ask(iam_agent.base_url, session_id, "My name is Alice.", end_user="alice")

    response = invoke(iam_agent.base_url, session_id, REMEMBER, end_user="bob", request_id="req-iam-403")

    assert response.status_code == 403
    assert response.json() == {
        "error": "this session id belongs to another caller; start a new session",
        "code": "session_forbidden",
        "message": "this session id belongs to another caller; start a new session",
        "request_id": "req-iam-403",
    }
    assert "Alice" not in response.text


def test_caller_without_the_header_is_the_shared_anonymous_actor(iam_agent):
    session_id = new_session_id()
    ask(iam_agent.base_url, session_id, "My name is Ann.")

    assert ask(iam_agent.base_url, session_id, REMEMBER) == "Your name is Ann."
    assert invoke(iam_agent.base_url, session_id, REMEMBER, end_user="alice").status_code == 403


@pytest.mark.parametrize("name", ["anonymous", "agent-session-owners", "sha256-" + "0" * 40])
def test_end_user_named_like_a_reserved_actor_gets_their_own_namespace(iam_agent, name):
    """`anonymous` must not read the header-less callers' sessions; nor may a name pose as a hashed id."""
    session_id = new_session_id()
    ask(iam_agent.base_url, session_id, "My name is Ann.")

    assert invoke(iam_agent.base_url, session_id, REMEMBER, end_user=name).status_code == 403
    own = new_session_id()
    ask(iam_agent.base_url, own, "My name is Nemo.", end_user=name)
    assert (iam_agent.actors / f"sha256-{hashlib.sha256(name.encode()).hexdigest()[:40]}" / f"session_{own}").is_dir()


def test_unsafe_end_user_is_hashed_into_its_own_namespace(iam_agent):
    session_id = new_session_id()
    ask(iam_agent.base_url, session_id, "My name is Eve.", end_user="../../eve@example.com")

    owner = [p for p in iam_agent.actors.iterdir() if (p / f"session_{session_id}").exists()]
    assert len(owner) == 1 and owner[0].name.startswith("sha256-") and len(owner[0].name) == len("sha256-") + 40
    assert ask(iam_agent.base_url, session_id, REMEMBER, end_user="../../eve@example.com") == "Your name is Eve."


def test_empty_end_user_header_is_400_naming_the_header(iam_agent):
    response = invoke(iam_agent.base_url, new_session_id(), "hi", end_user="", request_id="req-empty-user")

    message = (
        f"header {END_USER_HEADER} is empty: name the end user, "
        "or omit the header to call as the shared 'anonymous' caller"
    )
    assert response.status_code == 400
    assert response.json() == {
        "error": message,
        "code": "invalid_user_id",
        "message": message,
        "request_id": "req-empty-user",
    }


def test_iam_mode_ignores_authorization(iam_agent):
    """AgentCore never forwards Authorization to an IAM runtime; if one arrives, it names nobody."""
    session_id = new_session_id()
    ask(iam_agent.base_url, session_id, "My name is Alice.", end_user="alice", subject="alice-sub")

    assert (
        ask(iam_agent.base_url, session_id, REMEMBER, end_user="alice", subject="mallory-sub") == "Your name is Alice."
    )
    assert invoke(iam_agent.base_url, session_id, REMEMBER, end_user="mallory", subject="alice-sub").status_code == 403


def test_end_user_header_is_honoured_only_in_iam_mode(iam_agent, shared_agent):
    """Defence in depth: a JWT runtime (the default) never reads the header, even if it arrives."""
    for server in (iam_agent, shared_agent):
        session_id = new_session_id()
        ask(server.base_url, session_id, "My name is Alice.", end_user="alice")
        foreign = invoke(server.base_url, session_id, REMEMBER, end_user="bob")
        if server is iam_agent:
            assert foreign.status_code == 403
        else:
            assert foreign.json()["response"] == "Your name is Alice."  # both are the anonymous caller

    session_id = new_session_id()
    ask(shared_agent.base_url, session_id, "My name is Alice.", subject="alice-sub", end_user="alice")
    assert (
        invoke(shared_agent.base_url, session_id, REMEMBER, subject="mallory-sub", end_user="alice").status_code == 403
    )
    assert (
        ask(shared_agent.base_url, session_id, REMEMBER, subject="alice-sub", end_user="mallory")
        == "Your name is Alice."
    )


def test_request_log_names_the_end_user_actor(iam_agent):
    session_id = new_session_id()
    response = invoke(iam_agent.base_url, session_id, "hello", end_user="carol", request_id="req-iam-log")

    assert response.status_code == 200
    [line] = request_log(iam_agent.server.log_text(), "req-iam-log")
    assert line["actor_id"] == "carol"


def test_store_is_namespaced_by_end_user(iam_agent):
    first, second = new_session_id(), new_session_id()
    ask(iam_agent.base_url, first, "My name is Dora.", end_user="dora")
    ask(iam_agent.base_url, second, "My name is Finn.", end_user="finn")

    assert [p.name for p in (iam_agent.actors / "dora").iterdir()] == [f"session_{first}"]
    assert [p.name for p in (iam_agent.actors / "finn").iterdir()] == [f"session_{second}"]


def test_authorizer_type_defaults_to_jwt_and_reads_iam():
    from agent.settings import Settings

    assert Settings.from_env({}).authorizer_type == "jwt"
    assert Settings.from_env({"AUTHORIZER_TYPE": "IAM"}).authorizer_type == "iam"


def test_unknown_authorizer_type_is_named():
    from agent.settings import Settings, SettingsError

    with pytest.raises(SettingsError) as raised:
        Settings.from_env({"AUTHORIZER_TYPE": "cognito"})

    [problem] = raised.value.problems
    assert (problem.key, problem.value) == ("AUTHORIZER_TYPE", "cognito")
    assert "'jwt' or 'iam'" in problem.allowed
