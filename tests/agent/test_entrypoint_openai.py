"""``python -m agent`` as shipped: MODEL_PROVIDER=openai against the OpenAI-compatible stub, OTel switch."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from local.openai_stub import OpenAIStub, start_openai_stub
from local.processes import ServerProcess, free_port, start_server
from tests.support.agent_http import ask, invoke, new_session_id, sse_events


@pytest.fixture(scope="module")
def openai_stub() -> Iterator[OpenAIStub]:
    stub = start_openai_stub()
    yield stub
    stub.stop()


def _start(tmp_path: Path, stub: OpenAIStub, **extra: str) -> ServerProcess:
    port = free_port()
    env = {
        "MODEL_PROVIDER": "openai",
        "OPENAI_BASE_URL": stub.base_url,
        "OPENAI_API_KEY": "test-key",
        "MODEL_ID": "scripted",
        "SESSION_STORE": "file",
        "SESSION_DIR": str(tmp_path / "sessions"),
        "PORT": str(port),
        **extra,
    }
    return start_server(
        [sys.executable, "-m", "agent"], port=port, log_path=tmp_path / "agent.log", env=env, timeout=60
    )


@pytest.fixture(scope="module")
def agent_main(tmp_path_factory: pytest.TempPathFactory, openai_stub: OpenAIStub) -> Iterator[ServerProcess]:
    server = _start(tmp_path_factory.mktemp("agent-main"), openai_stub, AGENT_OBSERVABILITY_ENABLED="false")
    yield server
    server.stop()


def test_two_session_scenario_through_openai_provider(agent_main):
    first, second = new_session_id(), new_session_id()

    assert ask(agent_main.base_url, first, "My name is John Doe.") == "Nice to meet you, John Doe."
    assert ask(agent_main.base_url, first, "Do you remember my name?") == "Your name is John Doe."
    assert ask(agent_main.base_url, second, "Do you remember my name?") == "I don't know your name."
    assert (
        ask(agent_main.base_url, second, "What is the weather in New York?")
        == "The weather in New York is cloudy, 18 °C."
    )


def test_streaming_through_openai_provider(agent_main):
    events = sse_events(invoke(agent_main.base_url, new_session_id(), "My name is Ada Lovelace.", stream=True).text)

    assert "".join(e["text"] for e in events if e["type"] == "delta") == "Nice to meet you, Ada Lovelace."
    assert events[-1]["type"] == "done" and events[-1]["response"] == "Nice to meet you, Ada Lovelace."


def test_upstream_failure_is_502_model_error(agent_main):
    response = invoke(agent_main.base_url, new_session_id(), "Please fail the model.", request_id="req-openai-fail")

    assert response.status_code == 502
    assert response.json() == {
        "error": "the model call failed (InternalServerError); see server logs for this request id",
        "code": "model_error",
        "message": "the model call failed (InternalServerError); see server logs for this request id",
        "request_id": "req-openai-fail",
    }
    assert httpx.get(f"{agent_main.base_url}/ping").status_code == 200


def test_32_concurrent_sessions_share_the_production_model_client_without_cross_talk(agent_main):
    """``python -m agent`` builds one OpenAIModel for all agents (agent/model_factory.py); no session hears another."""

    def conversation(index: int) -> list[str]:
        session_id = new_session_id()
        return [
            ask(agent_main.base_url, session_id, f"My name is Shared{index:02d}."),
            ask(agent_main.base_url, session_id, "Do you remember my name?"),
        ]

    with ThreadPoolExecutor(max_workers=32) as pool:
        transcripts = list(pool.map(conversation, range(32)))

    assert transcripts == [[f"Nice to meet you, Shared{i:02d}.", f"Your name is Shared{i:02d}."] for i in range(32)]


def test_observability_switch_runs_under_opentelemetry_instrument(tmp_path, openai_stub):
    server = _start(
        tmp_path,
        openai_stub,
        AGENT_OBSERVABILITY_ENABLED="true",
        OTEL_TRACES_EXPORTER="none",
        OTEL_METRICS_EXPORTER="none",
        OTEL_LOGS_EXPORTER="none",
    )
    try:
        environ = Path(f"/proc/{server.process.pid}/environ").read_bytes().split(b"\0")

        assert b"AGENT_OTEL_BOOTSTRAPPED=1" in environ
        assert any(v.startswith(b"PYTHONPATH=") and b"auto_instrumentation" in v for v in environ)
        assert ask(server.base_url, new_session_id(), "My name is Otto.") == "Nice to meet you, Otto."
    finally:
        server.stop()
