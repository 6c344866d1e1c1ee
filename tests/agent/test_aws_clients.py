"""One set of AWS clients per process, shared by every conversation's store (agent/aws_clients.py).

Through the real server: a census of every botocore client the server process builds
(``tests/agent/aws_client_census``) shows that a store's clients are built once, not once per conversation,
while each conversation's turns still land in its own caller's namespace. In-process: which arguments share a
client and which get their own. Client counts, not timings, are asserted.
"""

from __future__ import annotations

import os
import threading
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import botocore.credentials
import pytest
from botocore.config import Config

from agent.aws_clients import STRANDS_CLIENT_CONFIG, SharedClientSession, shared_session
from agent.settings import Settings
from agent.warm_up import warm_up
from local.container_credentials import start_container_credentials
from tests.support.agent_http import ask, new_session_id
from tests.support.stored_conversation import roles, s3_messages

CENSUS_DIR = Path(__file__).resolve().parent / "aws_client_census"
CALLERS = ("alice-sub", "bob-sub")
SESSIONS_PER_CALLER = 3


@dataclass(frozen=True)
class Census:
    """The file the server's census writes: one line per botocore client built, naming its service."""

    path: Path

    @property
    def env(self) -> dict[str, str]:
        """Environment that makes the server count its clients into ``path``."""
        python_path = [str(CENSUS_DIR), *filter(None, [os.environ.get("PYTHONPATH")])]
        return {"AWS_CLIENT_CENSUS": str(self.path), "PYTHONPATH": os.pathsep.join(python_path)}

    def counts(self) -> Counter[str]:
        """Clients built so far, by service."""
        return Counter(self.path.read_text(encoding="utf-8").split() if self.path.exists() else [])


@pytest.fixture
def census(tmp_path: Path) -> Census:
    return Census(tmp_path / "aws-clients.txt")


def _conversations(base_url: str) -> list[tuple[str, str, list[str]]]:
    """Two turns in each of three new sessions per caller; returns (caller, session id, answers)."""
    sessions = [(caller, new_session_id()) for caller in CALLERS for _ in range(SESSIONS_PER_CALLER)]
    return [
        (
            caller,
            session_id,
            [
                ask(base_url, session_id, f"My name is {caller}.", subject=caller),
                ask(base_url, session_id, "Do you remember my name?", subject=caller),
            ],
        )
        for caller, session_id in sessions
    ]


def test_s3_store_builds_one_s3_client_for_every_conversation(agent_starter, s3_store, census):
    server = agent_starter({**s3_store.env, **census.env})
    at_start = census.counts()

    conversations = _conversations(server.base_url)

    assert at_start == {}  # no client before a platform V2 snapshot could be taken (agent/lifecycle.py)
    assert census.counts() == {"s3": 1}  # ... and every conversation's S3SessionManager got that one
    for caller, session_id, answers in conversations:
        assert answers == [f"Nice to meet you, {caller}.", f"Your name is {caller}."]
        stored = s3_messages(s3_store.client, s3_store.bucket, s3_store.prefix, caller, session_id)
        assert roles(stored) == ["user", "assistant"] * 2


def test_memory_store_builds_its_clients_once_for_every_conversation(agent_starter, memory_store, census):
    server = agent_starter({**memory_store.env, **census.env})
    at_start = census.counts()
    first = ask(server.base_url, new_session_id(), "My name is Solo.", subject="solo-sub")
    after_first_conversation = census.counts()

    conversations = _conversations(server.base_url)

    assert at_start == {}  # no client before a platform V2 snapshot could be taken (agent/lifecycle.py)
    # The first conversation adds the clients MemoryClient builds with its own user agent (data and control
    # plane) and the manager's control-plane client; its data-plane client is the owner records' one.
    assert after_first_conversation == {"bedrock-agentcore": 2, "bedrock-agentcore-control": 2}
    assert census.counts() == after_first_conversation  # six more conversations, no new client
    assert first == "Nice to meet you, Solo."
    for caller, _, answers in conversations:
        assert answers == [f"Nice to meet you, {caller}.", f"Your name is {caller}."]


def test_equal_arguments_share_one_client():
    session = SharedClientSession(region_name="eu-west-1")

    first = session.client("s3", config=STRANDS_CLIENT_CONFIG)

    # What S3SessionManager passes (keywords, its own equal Config, the default endpoint), and the session's
    # region spelled out, are the same arguments.
    assert session.client(service_name="s3", config=Config(user_agent_extra="strands-agents"), endpoint_url=None) is (
        first
    )
    assert session.client("s3", region_name="eu-west-1", config=STRANDS_CLIENT_CONFIG) is first
    assert first.meta.region_name == "eu-west-1"


@pytest.mark.parametrize(
    "different",
    [
        {"service_name": "bedrock-agentcore"},
        {"region_name": "us-west-2"},
        {"endpoint_url": "http://127.0.0.1:9"},
        {"config": Config(user_agent_extra="strands-agents", retries={"max_attempts": 1})},
        {"config": None},
        {"aws_access_key_id": "other", "aws_secret_access_key": "other"},
    ],
    ids=["service", "region", "endpoint", "config-option", "no-config", "credentials"],
)
def test_different_arguments_get_a_client_of_their_own(different):
    session = SharedClientSession(region_name="eu-west-1")
    arguments = {"service_name": "s3", "config": STRANDS_CLIENT_CONFIG}

    control, other = session.client(**arguments), session.client(**{**arguments, **different})

    assert other is not control
    assert session.client(**{**arguments, **different}) is other


def test_concurrent_first_calls_build_one_client():
    session = SharedClientSession(region_name="eu-west-1")
    built: list[str] = []
    session.events.register("creating-client-class", lambda event_name, **_: built.append(event_name))
    callers = 8
    start = threading.Barrier(callers)
    clients: list[object] = []

    def call() -> None:
        start.wait(timeout=60)
        clients.append(session.client("s3", config=STRANDS_CLIENT_CONFIG))

    threads = [threading.Thread(target=call) for _ in range(callers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert len(clients) == callers and all(client is clients[0] for client in clients)
    assert built == ["creating-client-class.s3"]


STARTUP_REGION = "eu-central-2"  # no other test's shared session (agent/aws_clients.py caches one per region)


def test_startup_builds_the_credential_chain_and_fetches_no_credentials(monkeypatch):
    """Startup builds botocore's credential resolver (agent/warm_up.py) without asking it; the first client after
    restore then fetches through it. The control: the same client build fetches once and builds no chain."""
    endpoint = start_container_credentials()
    built: list[object] = []
    original = botocore.credentials.create_credential_resolver

    def counting(*args: object, **kwargs: object) -> object:
        built.append(args[0])
        return original(*args, **kwargs)

    try:
        for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
            monkeypatch.delenv(name, raising=False)
        for name, value in {
            **endpoint.env,
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
            "AWS_EC2_METADATA_DISABLED": "true",
        }.items():
            monkeypatch.setenv(name, value)
        monkeypatch.setattr(botocore.credentials, "create_credential_resolver", counting)
        settings = Settings(
            model_provider="bedrock", session_store="s3", session_bucket="bucket", aws_region=STARTUP_REGION
        )
        warm_up(settings)
        at_startup = (len(built), len(endpoint.issued()))
        client = shared_session(STARTUP_REGION).client("s3", config=STRANDS_CLIENT_CONFIG)
        after_client = (len(built), [key.access_key_id for key in endpoint.issued()])
    finally:
        endpoint.stop()

    assert at_startup == (1, 0)
    assert built[0] is shared_session(STARTUP_REGION).botocore_session
    assert after_client[0] == 1  # the client used the chain startup built
    assert len(after_client[1]) == 1  # ... and fetched through it once, after "restore"
    assert client.meta.region_name == STARTUP_REGION
