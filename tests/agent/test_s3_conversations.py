"""The S3 conversation manager (``agent/s3_conversations.py``) against moto in server mode, beside Strands' own.

What it changes is which requests a conversation costs; what it must not change is what is stored. So every
test runs a real Strands ``Agent`` with the scripted model, records the S3 requests the client sends (botocore's
``before-send`` event, registered on the boto3 session before its client exists), and reads the objects back
with the stock ``S3SessionManager``.
"""

from __future__ import annotations

import json
import uuid
from typing import Any
from urllib.parse import unquote, urlsplit

import boto3
import pytest
from strands import Agent
from strands.session.s3_session_manager import S3SessionManager
from strands.types.exceptions import SessionException

from agent.aws_clients import shared_session
from agent.s3_conversations import LeanS3SessionManager
from agent.session_store import SessionStore, build_session_store
from agent.settings import Settings
from tests.support.aws_env import CREDENTIALS, REGION
from tests.support.scripted_model import ScriptedModel

BUCKET = f"lean-conversations-{uuid.uuid4().hex[:8]}"
PREFIX = "sessions/actors/alice/"


@pytest.fixture(scope="module")
def s3(emulator) -> Any:
    client = boto3.client("s3", endpoint_url=emulator.endpoint_url, region_name=REGION, **CREDENTIALS)
    client.create_bucket(Bucket=BUCKET)
    return client


@pytest.fixture
def recorded_session(emulator, s3) -> tuple[boto3.Session, list[str]]:
    """A boto3 session whose S3 clients record ``"<METHOD> <key>[ if-none-match]"`` for every request sent."""
    session = boto3.Session(region_name=REGION, **CREDENTIALS)
    return session, _recorded_requests(session, under=f"/{BUCKET}/{PREFIX}", conditions=True)


def _recorded_requests(session: boto3.Session, *, under: str, conditions: bool) -> list[str]:
    """``"<METHOD> <key below under>"`` (and `` if-none-match`` when ``conditions``) of each S3 request sent."""
    sent: list[str] = []

    def record(request: Any, **_: Any) -> None:
        key = unquote(urlsplit(request.url).path).removeprefix(under)
        condition = " if-none-match" if conditions and "If-None-Match" in request.headers else ""
        sent.append(f"{request.method} {key}{condition}")

    session.events.register("before-send.s3", record)
    return sent


def _manager(manager_class: type[S3SessionManager], session: boto3.Session, session_id: str) -> S3SessionManager:
    return manager_class(session_id=session_id, bucket=BUCKET, prefix=PREFIX, boto_session=session)


def _agent(manager: S3SessionManager) -> Agent:
    return Agent(model=ScriptedModel(), session_manager=manager, callback_handler=None)


@pytest.fixture
def endpoint_env(emulator, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", emulator.endpoint_url)


def test_a_new_conversation_costs_five_requests_where_strands_makes_eight(endpoint_env, recorded_session):
    session, sent = recorded_session
    lean_id, stock_id = f"lean-{uuid.uuid4().hex}", f"stock-{uuid.uuid4().hex}"

    str(_agent(_manager(LeanS3SessionManager, session, lean_id))("My name is John Doe."))
    lean, sent[:] = list(sent), []
    str(_agent(_manager(S3SessionManager, session, stock_id))("My name is John Doe."))

    agent_dir = "agents/agent_default"
    assert lean == [
        f"GET session_{lean_id}/session.json",
        f"PUT session_{lean_id}/session.json if-none-match",
        f"PUT session_{lean_id}/{agent_dir}/agent.json",
        f"PUT session_{lean_id}/{agent_dir}/messages/message_0.json",
        f"PUT session_{lean_id}/{agent_dir}/messages/message_1.json",
    ]
    # The control: Strands' own manager, same turn.
    assert sent == [
        f"GET session_{stock_id}/session.json",
        f"HEAD session_{stock_id}/session.json",
        f"PUT session_{stock_id}/session.json",
        f"PUT session_{stock_id}/{agent_dir}/agent.json",
        f"PUT session_{stock_id}/{agent_dir}/messages/message_0.json",
        f"GET session_{stock_id}/{agent_dir}/agent.json",
        f"PUT session_{stock_id}/{agent_dir}/agent.json",
        f"PUT session_{stock_id}/{agent_dir}/messages/message_1.json",
    ]


def test_what_it_writes_restores_with_strands_own_manager_and_the_other_way_round(endpoint_env, recorded_session):
    session, _ = recorded_session
    written_here, written_by_strands = f"lean-{uuid.uuid4().hex}", f"stock-{uuid.uuid4().hex}"
    _agent(_manager(LeanS3SessionManager, session, written_here))("My name is John Doe.")
    _agent(_manager(S3SessionManager, session, written_by_strands))("My name is Jane Roe.")

    by_strands = _agent(_manager(S3SessionManager, session, written_here))
    here = _agent(_manager(LeanS3SessionManager, session, written_by_strands))

    assert str(by_strands("Do you remember my name?")).strip() == "Your name is John Doe."
    assert str(here("Do you remember my name?")).strip() == "Your name is Jane Roe."


def test_an_agent_update_keeps_its_creation_time_and_is_written_only_when_it_changed(
    endpoint_env, recorded_session, s3
):
    session, sent = recorded_session
    session_id = f"lean-{uuid.uuid4().hex}"
    key = f"{PREFIX}session_{session_id}/agents/agent_default/agent.json"
    manager = _manager(LeanS3SessionManager, session, session_id)
    agent = _agent(manager)
    created = json.loads(s3.get_object(Bucket=BUCKET, Key=key)["Body"].read())
    sent.clear()

    agent.state.set("city", "Paris")
    manager.sync_agent(agent)
    manager.sync_agent(agent)
    updated = json.loads(s3.get_object(Bucket=BUCKET, Key=key)["Body"].read())

    assert sent == [f"PUT session_{session_id}/agents/agent_default/agent.json"]  # once, and no GET before it
    assert updated["state"] == {"city": "Paris"}
    assert updated["created_at"] == created["created_at"]


def test_creating_a_session_that_exists_fails_as_strands_does_and_leaves_it_as_it_was(
    endpoint_env, recorded_session, s3
):
    session, _ = recorded_session
    session_id = f"lean-{uuid.uuid4().hex}"
    manager = _manager(LeanS3SessionManager, session, session_id)
    key = f"{PREFIX}session_{session_id}/session.json"
    stored = s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()

    with pytest.raises(SessionException):
        manager.create_session(manager.session)

    assert s3.get_object(Bucket=BUCKET, Key=key)["Body"].read() == stored


def test_an_identifier_with_a_path_separator_is_refused_before_any_request(endpoint_env, recorded_session):
    session, sent = recorded_session
    manager = _manager(LeanS3SessionManager, session, f"lean-{uuid.uuid4().hex}")
    sent.clear()

    with pytest.raises(ValueError):
        manager.create_session(type(manager.session)(session_id="a/b", session_type=manager.session.session_type))

    assert sent == []


@pytest.fixture
def s3_store(endpoint_env, monkeypatch: pytest.MonkeyPatch) -> tuple[SessionStore, list[str]]:
    """The agent's S3 store on moto, in a region of its own (so a shared session of its own), recording requests."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", CREDENTIALS["aws_access_key_id"])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", CREDENTIALS["aws_secret_access_key"])
    region = f"us-west-{uuid.uuid4().int % 10_000}"  # any name: moto serves every region
    store = build_session_store(Settings(session_store="s3", session_bucket=BUCKET, aws_region=region))
    return store, _recorded_requests(shared_session(region), under=f"/{BUCKET}/sessions/", conditions=False)


def _store_agent(store: SessionStore, session_id: str, actor: str) -> Agent:
    manager = store.session_manager(session_id=session_id, actor_id=actor)
    return Agent(model=ScriptedModel(), session_manager=manager, callback_handler=None)


def test_a_session_id_the_owner_check_just_claimed_is_not_read_before_it_is_created(s3_store):
    store, sent = s3_store
    session_id = f"new-{uuid.uuid4().hex}"

    assert store.owners.is_owner(session_id, "alice")
    _store_agent(store, session_id, "alice")("My name is John Doe.")
    first_turn, sent[:] = list(sent), []
    resumed = _store_agent(store, session_id, "alice")  # a later agent of the same session: read, not created

    conversation = f"actors/alice/session_{session_id}"
    assert first_turn == [
        f"PUT owners/{session_id}.json",
        f"PUT {conversation}/session.json",
        f"PUT {conversation}/agents/agent_default/agent.json",
        f"PUT {conversation}/agents/agent_default/messages/message_0.json",
        f"PUT {conversation}/agents/agent_default/messages/message_1.json",
    ]
    assert sent[0] == f"GET {conversation}/session.json"
    assert str(resumed("Do you remember my name?")).strip() == "Your name is John Doe."


def test_a_conversation_left_by_an_interrupted_erasure_fails_once_then_resumes(s3_store, s3):
    store, _ = s3_store
    session_id = f"left-{uuid.uuid4().hex}"
    assert store.owners.is_owner(session_id, "alice")
    _store_agent(store, session_id, "alice")("My name is John Doe.")
    # What forget-me leaves when it stops after deleting the owner record (agent/erasure.py: record first).
    s3.delete_object(Bucket=BUCKET, Key=f"sessions/owners/{session_id}.json")
    store.owners.forget_actor("alice")

    assert store.owners.is_owner(session_id, "alice")
    with pytest.raises(SessionException):
        store.session_manager(session_id=session_id, actor_id="alice")
    resumed = _store_agent(store, session_id, "alice")

    assert str(resumed("Do you remember my name?")).strip() == "Your name is John Doe."
