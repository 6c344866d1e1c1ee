"""Runs one turn of a session's agent, plain or streamed, inside the worker thread that holds the session."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from agent.errors import ApiError


@dataclass(frozen=True)
class TurnResult:
    """The answer of one turn."""

    text: str
    usage: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class StreamEvent:
    """``delta`` (text), ``done`` (result), ``error`` (api error), ``end`` or ``disconnected`` (client went away)."""

    kind: str
    text: str = ""
    result: TurnResult | None = None
    error: ApiError | None = None


def _turn_result(result: Any) -> TurnResult:
    usage = dict(getattr(getattr(result, "metrics", None), "accumulated_usage", {}) or {})
    keys = ("inputTokens", "outputTokens", "totalTokens")
    return TurnResult(text=str(result).strip(), usage={k: int(usage[k]) for k in keys if k in usage})


def run_turn(agent: Any, prompt: str) -> TurnResult:
    """Invoke the agent synchronously (called in the worker thread that holds the session)."""
    return _turn_result(agent(prompt))


def stream_turn(agent: Any, prompt: str, emit: Callable[[StreamEvent], None]) -> None:
    """Run one streamed turn to completion, handing each text delta and the result to ``emit``.

    Called in the worker thread that holds the session; ``emit`` must be thread-safe. Failures propagate.
    """

    async def consume() -> None:
        async for event in agent.stream_async(prompt):
            if isinstance(event, dict) and isinstance(event.get("data"), str) and event["data"]:
                emit(StreamEvent("delta", text=event["data"]))
            elif isinstance(event, dict) and "result" in event:
                emit(StreamEvent("done", result=_turn_result(event["result"])))

    asyncio.run(consume())
