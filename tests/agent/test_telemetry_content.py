"""Prompts and answers stay out of telemetry unless the stage opts in (``AGENT_TELEMETRY_CAPTURE_CONTENT``).

The real ``python -m agent`` in the deployed configuration (observability on, so it re-executes under
``opentelemetry-instrument``; the Bedrock provider, here the local stand-in) exports over OTLP/HTTP to the local
sink (``local/otlp_sink.py``), a real HTTP server decoding ``ExportTraceServiceRequest``. A turn's prompt is
searched for in every string the sink received, spans and log records alike, once the turn's spans arrived.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from local.bedrock_runtime import BedrockRuntimeStandIn, start_bedrock_runtime
from local.otlp_sink import OtlpSink, start_otlp_sink
from local.processes import free_port, start_server
from tests.support.agent_http import ask, new_session_id
from tests.support.polling import poll_until

PROMPT_SECRET = "plum-7781-quokka"  # appears in the prompt, and in the stand-in's answer ("You said: …")
EXPORT_DEADLINE_SECONDS = 60.0  # bounds a failing wait only
POLL_SECONDS = 0.1


@pytest.fixture(scope="module")
def bedrock() -> Iterator[BedrockRuntimeStandIn]:
    stand_in = start_bedrock_runtime()
    yield stand_in
    stand_in.stop()


@pytest.fixture
def sink() -> Iterator[OtlpSink]:
    running = start_otlp_sink()
    yield running
    running.stop()


def _exported_turn(tmp_path: Path, bedrock: BedrockRuntimeStandIn, sink: OtlpSink, **extra: str) -> list[str]:
    """Run one turn through ``python -m agent`` with observability on (after the start's ``/ping`` probes);
    return every string it exported."""
    port = free_port()
    env = {
        "AGENT_OBSERVABILITY_ENABLED": "true",
        "OTEL_EXPORTER_OTLP_ENDPOINT": sink.url,
        "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
        "OTEL_METRICS_EXPORTER": "none",  # the distro's default (awsemf) writes to CloudWatch Logs
        "OTEL_BSP_SCHEDULE_DELAY": "100",
        "OTEL_BLRP_SCHEDULE_DELAY": "100",
        "MODEL_PROVIDER": "bedrock",
        "AWS_ENDPOINT_URL_BEDROCK_RUNTIME": bedrock.endpoint_url,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_REGION": "us-east-1",
        "SESSION_STORE": "file",
        "SESSION_DIR": str(tmp_path / "sessions"),
        "PORT": str(port),
        **extra,
    }
    server = start_server(
        [sys.executable, "-m", "agent"], port=port, log_path=tmp_path / "agent.log", env=env, timeout=90
    )
    try:
        answer = ask(server.base_url, new_session_id(), f"My secret is {PROMPT_SECRET}.")
        poll_until(lambda: _turn_exported(sink), bool, timeout=EXPORT_DEADLINE_SECONDS, interval=POLL_SECONDS)
    finally:
        server.stop()
    assert PROMPT_SECRET in answer
    assert _turn_exported(sink), "the agent's spans never reached the sink"
    return sink.texts()


def _turn_exported(sink: OtlpSink) -> bool:
    """The agent span (Strands ends it last) and the model call's span have arrived."""
    names = [span["name"] for span in sink.spans()]
    return any(name.startswith("invoke_agent") for name in names) and any(name.startswith("chat") for name in names)


def test_prompt_and_answer_are_not_exported_by_default(tmp_path, bedrock, sink):
    texts = _exported_turn(tmp_path, bedrock, sink)

    assert [text for text in texts if PROMPT_SECRET in text] == []
    assert any("[REDACTED]" in text for text in texts)  # the content attributes are there, their values are not


def test_health_checks_make_no_spans(tmp_path, bedrock, sink):
    _exported_turn(tmp_path, bedrock, sink)

    assert [span["name"] for span in sink.spans() if "/ping" in span["name"]] == []
    assert "POST /invocations" in [span["name"] for span in sink.spans()]


def test_prompt_and_answer_are_exported_when_the_stage_opts_in(tmp_path, bedrock, sink):
    texts = _exported_turn(tmp_path, bedrock, sink, AGENT_TELEMETRY_CAPTURE_CONTENT="true")

    assert any(PROMPT_SECRET in text for text in texts)
