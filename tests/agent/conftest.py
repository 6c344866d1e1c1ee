"""Fixtures: the real agent server (uvicorn subprocess with the scripted model) and stores on the AWS emulator
(tests/conftest.py's ``emulator``: one per worker; buckets are created idempotently and memories get new ids)."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest

from local.aws_emulator import Emulator
from local.processes import ServerProcess
from stacks.runtime.conversation_store import LONG_TERM_NAMESPACES
from tests.support.aws_env import CREDENTIALS, REGION, emulator_env
from tests.support.model_gate import ModelGate
from tests.support.run_agent import start_agent
from tests.support.stored_conversation import file_messages, s3_messages

AgentStarter = Callable[..., ServerProcess]


@pytest.fixture
def agent_starter(tmp_path: Path) -> Iterator[AgentStarter]:
    """Start agent servers for one test (env merged over a file store in tmp_path); all stopped afterwards."""
    started: list[ServerProcess] = []
    counter = itertools.count()

    def start(env: dict[str, str] | None = None, **kwargs: object) -> ServerProcess:
        full_env = {
            "SESSION_STORE": "file",
            "SESSION_DIR": str(tmp_path / "sessions"),
            "LOG_LEVEL": "INFO",
            **(env or {}),
        }
        server = start_agent(log_path=tmp_path / f"agent-{next(counter)}.log", env=full_env, **kwargs)  # type: ignore[arg-type]
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture(scope="module")
def shared_agent(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """One file-store agent shared by a module's read-mostly tests (each test uses fresh session ids)."""
    root = tmp_path_factory.mktemp("shared-agent")
    server = start_agent(
        log_path=root / "agent.log",
        env={
            "SESSION_STORE": "file",
            "SESSION_DIR": str(root / "sessions"),
            "LOG_LEVEL": "INFO",
            "MAX_PROMPT_CHARS": "200",
        },
    )
    yield server
    server.stop()


@pytest.fixture
def model_gate() -> Iterator[ModelGate]:
    """The scripted model's gate: pass ``model_gate.env`` to the agent, then ``wait_entered()`` a held turn."""
    gate = ModelGate()
    yield gate
    gate.close()


@dataclass(frozen=True)
class S3Store:
    """A bucket on the emulator and the agent environment that stores sessions in it."""

    client: Any
    bucket: str
    prefix: str
    env: dict[str, str]


@pytest.fixture(scope="module")
def s3_store(emulator: Emulator) -> S3Store:
    """``SESSION_STORE=s3`` on moto's S3 (server mode, over HTTP)."""
    client = boto3.client("s3", endpoint_url=emulator.endpoint_url, region_name=REGION, **CREDENTIALS)
    bucket, prefix = "agent-sessions-integrity", "sessions/"
    client.create_bucket(Bucket=bucket)
    env = {
        **emulator_env(emulator.endpoint_url),
        "SESSION_STORE": "s3",
        "SESSION_BUCKET": bucket,
        "SESSION_PREFIX": prefix,
    }
    return S3Store(client=client, bucket=bucket, prefix=prefix, env=env)


@dataclass(frozen=True)
class MemoryStore:
    """A memory on the emulator, its data-plane client and the agent environment that stores sessions in it."""

    client: Any
    memory_id: str
    env: dict[str, str]


@pytest.fixture(scope="module")
def memory_store(emulator: Emulator) -> MemoryStore:
    """``SESSION_STORE=agentcore-memory`` on the emulator's AgentCore Memory (a new memory per module's emulator)."""
    control = boto3.client(
        "bedrock-agentcore-control", endpoint_url=emulator.endpoint_url, region_name=REGION, **CREDENTIALS
    )
    memory_id = control.create_memory(name="agent_sessions", eventExpiryDuration=30)["memory"]["id"]
    client = boto3.client("bedrock-agentcore", endpoint_url=emulator.endpoint_url, region_name=REGION, **CREDENTIALS)
    env = {**emulator_env(emulator.endpoint_url), "SESSION_STORE": "agentcore-memory", "MEMORY_ID": memory_id}
    return MemoryStore(client=client, memory_id=memory_id, env=env)


@pytest.fixture(scope="module")
def long_term_store(emulator: Emulator) -> MemoryStore:
    """A memory with the stack's long-term strategies (stacks/runtime/conversation_store.py) on the emulator, whose
    stand-in extracts records from its events (local/memory_records.py); ``env`` turns recall on in the agent."""
    control = boto3.client(
        "bedrock-agentcore-control", endpoint_url=emulator.endpoint_url, region_name=REGION, **CREDENTIALS
    )
    strategies = [
        {"semanticMemoryStrategy": {"name": "facts", "namespaces": [LONG_TERM_NAMESPACES["facts"]]}},
        {"userPreferenceMemoryStrategy": {"name": "preferences", "namespaces": [LONG_TERM_NAMESPACES["preferences"]]}},
    ]
    memory_id = control.create_memory(name="agent_long_term", eventExpiryDuration=30, memoryStrategies=strategies)[
        "memory"
    ]["id"]
    client = boto3.client("bedrock-agentcore", endpoint_url=emulator.endpoint_url, region_name=REGION, **CREDENTIALS)
    env = {
        **emulator_env(emulator.endpoint_url),
        "SESSION_STORE": "agentcore-memory",
        "MEMORY_ID": memory_id,
        "LONG_TERM_MEMORY_NAMESPACES": ",".join(LONG_TERM_NAMESPACES.values()),
    }
    return MemoryStore(client=client, memory_id=memory_id, env=env)


@dataclass(frozen=True)
class Store:
    """A session store the agent can use, and how to read back what it stored."""

    env: dict[str, str]
    messages: Callable[[str], list[dict[str, Any]]]  # session id → stored messages of the anonymous caller


@pytest.fixture(params=["file", "s3"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Store:
    """The file store (``agent_starter``'s default, in tmp_path) and then ``s3_store``: a test runs once on each."""
    if request.param == "file":
        return Store(env={}, messages=lambda session: file_messages(tmp_path / "sessions", "anonymous", session))
    s3: S3Store = request.getfixturevalue("s3_store")
    return Store(
        env=s3.env, messages=lambda session: s3_messages(s3.client, s3.bucket, s3.prefix, "anonymous", session)
    )
