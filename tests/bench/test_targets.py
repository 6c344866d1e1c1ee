"""The servers the benchmark measures start as the benchmark starts them and answer through the stub.

The baseline is expected to be wrong in exactly the way the benchmark detects: one module-level agent
means session B is told session A's name. Ours, started from the same spec code, keeps them apart.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from bench.client import invoke, new_session_id
from bench.memory import measure_memory, rss_kib
from bench.targets import AGENT_FILE, AGENT_NONE, BASELINE, started_target, target_spec
from local.processes import ServerProcess, health_answers
from tests.bench.two_sessions import two_sessions


@pytest.fixture(scope="module")
def http() -> Iterator[httpx.Client]:
    with httpx.Client() as client:
        yield client


@pytest.fixture(scope="module")
def baseline(stub: ServerProcess, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    spec = target_spec(BASELINE, stub_url=f"{stub.base_url}/v1")
    with started_target(spec, log_dir=Path(tmp_path_factory.mktemp("baseline-logs"))) as server:
        yield server


def test_baseline_answers_and_leaks_across_sessions(baseline: ServerProcess, http: httpx.Client) -> None:
    answers, _ = two_sessions(baseline, http)
    assert health_answers(baseline.base_url)
    assert rss_kib(baseline.process.pid) > 10_000
    assert answers == ("Nice to meet you, Ann.", "Your name is Ann.", "Your name is Ann.")


def test_baseline_weather_tool_round_trip(baseline: ServerProcess, http: httpx.Client) -> None:
    call = invoke(http, baseline.base_url, new_session_id(), "What is the weather in Seattle?")
    assert (call.status, call.answer) == (200, "The weather in Seattle is rainy, 12 °C.")


@pytest.mark.parametrize("target", [AGENT_NONE, AGENT_FILE])
def test_agent_target_keeps_sessions_apart(
    stub: ServerProcess, http: httpx.Client, tmp_path: Path, target: str
) -> None:
    with started_target(target_spec(target, stub_url=f"{stub.base_url}/v1"), log_dir=tmp_path) as server:
        answers, _ = two_sessions(server, http)
    assert answers == ("Nice to meet you, Ann.", "Your name is Ann.", "I don't know your name.")


def test_unknown_target_is_refused() -> None:
    with pytest.raises(
        ValueError,
        match="target 'reference' is not one of baseline, agent-none, agent-file, baseline-bedrock, "
        "agent-bedrock, agent-none-bedrock, agent-bedrock-prebuilt",
    ):
        target_spec("reference", stub_url="http://127.0.0.1:1/v1")


def test_agent_target_env_selects_store_and_registry_size() -> None:
    spec = target_spec(AGENT_FILE, stub_url="http://127.0.0.1:9/v1", max_sessions=1000)
    assert (spec.module, spec.uses_session_dir) == ("agent", True)
    assert {k: spec.env[k] for k in ("MODEL_PROVIDER", "OPENAI_BASE_URL", "SESSION_STORE", "MAX_SESSIONS")} == {
        "MODEL_PROVIDER": "openai",
        "OPENAI_BASE_URL": "http://127.0.0.1:9/v1",
        "SESSION_STORE": "file",
        "MAX_SESSIONS": "1000",
    }


def test_memory_stops_creating_sessions_once_rss_passed_the_limit(baseline: ServerProcess) -> None:
    limited = measure_memory(baseline, checkpoints=(3, 5), max_growth_kib=-(10**9), warmup_sessions=1)
    full = measure_memory(baseline, checkpoints=(3, 5), warmup_sessions=1)

    assert [(p["sessions"], p["reached"], p.get("stopped")) for p in limited["checkpoints"]] == [
        (3, 1, "RSS grew by more than -976563 MiB")
    ]
    assert [(p["sessions"], p["reached"], p.get("stopped")) for p in full["checkpoints"]] == [
        (3, 3, None),
        (5, 5, None),
    ]
    assert (limited["errors"], full["errors"]) == (0, 0)
