"""Fixtures: the real agent server (uvicorn subprocess with the scripted model) and the AWS emulator."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from local.aws_emulator import Emulator, start_emulator
from tests.support.model_gate import ModelGate
from tests.support.processes import ServerProcess
from tests.support.run_agent import start_agent

AgentStarter = Callable[..., ServerProcess]


@pytest.fixture
def agent_starter(tmp_path: Path) -> Iterator[AgentStarter]:
    """Start agent servers for one test (env merged over a file store in tmp_path); all stopped afterwards."""
    started: list[ServerProcess] = []
    counter = itertools.count()

    def start(env: dict[str, str] | None = None, **kwargs: object) -> ServerProcess:
        full_env = {"SESSION_STORE": "file", "SESSION_DIR": str(tmp_path / "sessions"), "LOG_LEVEL": "INFO", **(env or {})}
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
    server = start_agent(log_path=root / "agent.log", env={"SESSION_STORE": "file", "SESSION_DIR": str(root / "sessions"),
                                                            "LOG_LEVEL": "INFO", "MAX_PROMPT_CHARS": "200"})
    yield server
    server.stop()


@pytest.fixture(scope="module")
def emulator() -> Iterator[Emulator]:
    """moto in server mode with the ListEvents extension, over HTTP."""
    running = start_emulator()
    yield running
    running.stop()


@pytest.fixture
def model_gate() -> Iterator[ModelGate]:
    """The scripted model's gate: pass ``model_gate.env`` to the agent, then ``wait_entered()`` a held turn."""
    gate = ModelGate()
    yield gate
    gate.close()
