"""Warm per-invocation latency: the stub's own round trip, and one session × N sequential calls.

The stub round trip is the floor: the same kind of streamed chat completion the agents send, from a
kept-alive client straight to the stub. What an agent adds on top of it is its own overhead (HTTP
server, Strands' event loop, building the model request, a new model client per call, logging, store).
"""

from __future__ import annotations

import time
from typing import Any

import httpx

from bench.client import new_session_id
from bench.processes import Server
from bench.scenarios import cross_talk, run_session, warm_up
from bench.stats import summary_ms
from bench.targets import STUB_MODEL_ID

WEATHER_TOOL_SPEC = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Get the current weather for a city.",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    },
}


def stub_request(prompt: str) -> dict[str, Any]:
    """A first-turn request shaped like the one Strands' OpenAIModel sends."""
    return {
        "model": STUB_MODEL_ID,
        "messages": [{"role": "system", "content": "You are a helpful assistant."},
                     {"role": "user", "content": [{"type": "text", "text": prompt}]}],
        "tools": [WEATHER_TOOL_SPEC],
        "stream": True,
        "stream_options": {"include_usage": True},
    }


def measure_stub_round_trip(stub: Server, *, calls: int) -> dict[str, Any]:
    """Latency of the stub alone, client → stub → full streamed body."""
    seconds = []
    with httpx.Client() as client:
        for i in range(calls):
            started = time.perf_counter()
            response = client.post(f"{stub.base_url}/v1/chat/completions", json=stub_request(f"My name is Stub {i}."))
            response.read()
            seconds.append(time.perf_counter() - started)
            if response.status_code != 200:
                raise RuntimeError(f"stub answered {response.status_code}: {response.text[:200]}")
    return summary_ms(seconds)


def measure_single_session(server: Server, *, calls: int) -> dict[str, Any]:
    """One session, ``calls`` invocations back to back (the history grows the same way for every target)."""
    warm_up(server.base_url)
    with httpx.Client() as client:
        outcome = run_session(client, server.base_url, new_session_id("single"), "Solo", calls)
    return {
        **summary_ms([c.seconds for c in outcome.calls]),
        "errors": outcome.errors,
        "wrong_recalls": len(outcome.wrong_recalls),
        "cross_talk": cross_talk([outcome]),
    }
