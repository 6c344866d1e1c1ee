"""Warm per-invocation latency, one session × N sequential calls, every target interleaved with the stand-ins alone.

The stub pseudo-target (:class:`bench.stub_conversation.StubConversations`) sends the stub the same
conversation an agent would, over a kept-alive connection: its latency is the model round trip, and
what an agent adds on top of it (HTTP server, Strands' event loop, a new model client per call,
logging, the store) is the agent's own overhead. The stand-in pseudo-target
(:class:`bench.stand_in_conversation.StandInConversations`) is the same for the Bedrock path.
"""

from __future__ import annotations

from typing import Any

from bench.client import Call
from bench.interleave import Invoker, one_session, run_interleaved
from bench.scenarios import SessionOutcome, cross_talk
from bench.stats import summary_ms

STUB = "stub"
STAND_IN = "stand-in"


def latency_summary(calls: list[Call], outcomes: list[SessionOutcome]) -> dict[str, Any]:
    """Percentiles plus what went wrong."""
    return {
        **summary_ms([c.seconds for c in calls]),
        "errors": sum(o.errors for o in outcomes),
        "wrong_recalls": sum(len(o.wrong_recalls) for o in outcomes),
        "cross_talk": cross_talk(outcomes),
    }


def measure_single_session(invokers: dict[str, Invoker], *, calls: int) -> dict[str, dict[str, Any]]:
    """One session per target, ``calls`` invocations, interleaved call by call.

    The stand-ins alone (:data:`STUB`, :data:`STAND_IN`) are targets like any other: include them as the floor.
    """
    runs = run_interleaved(invokers, calls=calls, plan=one_session, label="single")
    return {name: latency_summary(ordered, outcomes) for name, (ordered, outcomes) in runs.items()}
