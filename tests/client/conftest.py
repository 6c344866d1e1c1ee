"""Fixtures for client tests: the real local runtime (moto Cognito + front door + agent with the scripted model)."""

from __future__ import annotations

import io
import secrets
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from starlette.responses import Response

from client.cli import main
from local.http_server import BackgroundServer
from local.runtime import LocalRuntime, LocalRuntimeSettings
from tests.client.client_runs import signed_in_user
from tests.support.run_agent import RUN_AGENT
from tests.support.runtime_peer import RuntimePeer, start_runtime_peer


@pytest.fixture(scope="session")
def local_runtime(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalRuntime]:
    """moto Cognito, the JWT front door and the real agent server (scripted model, file store)."""
    settings = LocalRuntimeSettings(state_dir=tmp_path_factory.mktemp("local-runtime"), agent_command=RUN_AGENT)
    with LocalRuntime(settings) as runtime:
        yield runtime


@pytest.fixture(scope="session")
def iam_runtime(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalRuntime]:
    """`make local AUTHORIZER=iam`: the SigV4 front door with its generated key pair, and the real agent server."""
    state_dir = tmp_path_factory.mktemp("iam-runtime")
    settings = LocalRuntimeSettings(state_dir=state_dir, agent_command=RUN_AGENT, authorizer="iam")
    with LocalRuntime(settings) as runtime:
        yield runtime


@pytest.fixture(scope="session")
def long_term_runtime(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalRuntime]:
    """`make local LONG_TERM_MEMORY=1`: the Memory store with long-term strategies on the emulator and its stand-in."""
    state_dir = tmp_path_factory.mktemp("long-term-runtime")
    settings = LocalRuntimeSettings(state_dir=state_dir, agent_command=RUN_AGENT, long_term_memory=True)
    with LocalRuntime(settings) as runtime:
        yield runtime


@pytest.fixture(autouse=True)
def cache_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own XDG cache directory (tokens, sessions) and no AWS environment leaks in."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("AGENTCORE_USER", raising=False)
    return tmp_path / "cache"


@dataclass(frozen=True)
class Result:
    code: int
    out: str
    err: str


@pytest.fixture
def cli(
    local_runtime: LocalRuntime, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> Callable[..., Result]:
    """`cli("invoke", "hi", stdin="...")` runs `agentcore-client --local …` in-process against the local runtime."""

    def run(*args: str, stdin: str = "", target: tuple[str, ...] | None = None) -> Result:
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        capsys.readouterr()
        chosen = (
            target if target is not None else ("--local", "--outputs-file", str(local_runtime.settings.outputs_path))
        )
        code = main([*chosen, *args])
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return run


@pytest.fixture
def cognito(local_runtime: LocalRuntime) -> Any:
    """Admin access to moto's Cognito (as an operator with AWS credentials would have)."""
    return boto3.client(
        "cognito-idp",
        region_name="us-east-1",
        endpoint_url=local_runtime.aws_endpoint_url,
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )


@pytest.fixture
def user(cli: Callable[..., Result]) -> str:
    """A new confirmed user who has logged in."""
    return signed_in_user(cli, f"user-{secrets.token_hex(4)}")


@pytest.fixture
def runtime_peer() -> Iterator[Callable[..., RuntimePeer]]:
    """`runtime_peer(answer_1, answer_2, …)` starts a `RuntimePeer` (tests/support/runtime_peer.py) for one test."""
    servers: list[BackgroundServer] = []

    def start(*answers: Callable[[], Response]) -> RuntimePeer:
        peer, server = start_runtime_peer(*answers)
        servers.append(server)
        return peer

    yield start
    for server in servers:
        server.stop()
