"""Runs one turn of a session's agent, plain or streamed, inside the worker thread that holds the session."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from agent.conversation_repair import closing_messages
from agent.errors import ApiError, InternalError

CANCELLED_STOP_REASON = "cancelled"  # Strands' stop_reason when a cancel signal interrupted the turn


@dataclass(frozen=True)
class TurnResult:
    """The answer of one turn."""

    text: str
    usage: dict[str, int] = field(default_factory=dict)
    cancelled: bool = False


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
    return TurnResult(
        text=str(result).strip(),
        usage={k: int(usage[k]) for k in keys if k in usage},
        cancelled=getattr(result, "stop_reason", None) == CANCELLED_STOP_REASON,
    )


def run_turn(agent: Any, prompt: str) -> TurnResult:
    """Invoke the agent synchronously (called in the worker thread that holds the session)."""
    return _turn_result(agent(prompt))


def stream_turn(
    agent: Any, prompt: str, emit: Callable[[StreamEvent], None], cancel_signal: threading.Event | None = None
) -> None:
    """Run one streamed turn to completion, handing each text delta and the result to ``emit``.

    Called in the worker thread that holds the session; ``emit`` must be thread-safe. Failures propagate.
    ``cancel_signal`` (set from any thread) stops the turn at Strands' next cancellation point; Strands then
    appends its own closing assistant message, which the session manager stores (Strands 1.62
    ``Agent.stream_async(cancel_signal=...)`` and ``event_loop.py``'s ``"cancelled"`` stop). Should a cancelled
    turn ever end without that answer, it fails instead, so the registry drops the agent and the restore closes
    the turn (``agent/conversation_repair.py``).
    """
    options = {} if cancel_signal is None else {"cancel_signal": cancel_signal}

    async def consume() -> None:
        async for event in agent.stream_async(prompt, **options):
            if isinstance(event, dict) and isinstance(event.get("data"), str) and event["data"]:
                emit(StreamEvent("delta", text=event["data"]))
            elif isinstance(event, dict) and "result" in event:
                result = _turn_result(event["result"])
                if result.cancelled and closing_messages(agent.messages):
                    raise InternalError("the cancelled turn was left without an answer; it is closed on next use")
                emit(StreamEvent("done", result=result))

    asyncio.run(consume())
