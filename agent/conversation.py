"""Runs one turn of a session's agent, plain or streamed, and maps failures to API errors."""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any

from strands.hooks import MessageAddedEvent
from strands.types.exceptions import SessionException

from agent.errors import ApiError, InternalError, ModelError, StoreError

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class TurnResult:
    """The answer of one turn."""

    text: str
    usage: dict[str, int] = field(default_factory=dict)


def to_api_error(error: BaseException) -> ApiError:
    """Classify an exception from a turn; the message never carries the exception's own text."""
    if isinstance(error, ApiError):
        return error
    if isinstance(error, SessionException):
        return StoreError(f"the session store failed ({type(error).__name__}); see server logs for this request id")
    if isinstance(error, Exception):
        return ModelError(f"the model call failed ({type(error).__name__}); see server logs for this request id")
    return InternalError("internal error; see server logs for this request id")


def _turn_result(result: Any) -> TurnResult:
    usage = dict(getattr(getattr(result, "metrics", None), "accumulated_usage", {}) or {})
    keys = ("inputTokens", "outputTokens", "totalTokens")
    return TurnResult(text=str(result).strip(), usage={k: int(usage[k]) for k in keys if k in usage})


UNANSWERED_TEXT = "(no answer: the model call for this message failed)"


def close_unanswered_turn(agent: Any) -> None:
    """After a failed turn, answer the dangling user message with a placeholder, through the hooks.

    Strands has already stored the user message; left alone, the next turn would send two user
    messages in a row, which model APIs such as Bedrock Converse reject — the session would stay
    broken after a single model outage. The placeholder is persisted like any message.
    """
    messages = getattr(agent, "messages", None)
    if not messages or messages[-1].get("role") != "user":
        return
    placeholder = {"role": "assistant", "content": [{"text": UNANSWERED_TEXT}]}
    try:
        agent.messages.append(placeholder)
        agent.hooks.invoke_callbacks(MessageAddedEvent(agent=agent, message=placeholder))
    except Exception:  # noqa: BLE001 - best effort; the original failure is what the caller hears about
        logger.exception("outcome=<error> | could not close the unanswered turn")


def run_turn(agent: Any, prompt: str) -> TurnResult:
    """Invoke the agent synchronously (called from a worker thread)."""
    try:
        return _turn_result(agent(prompt))
    except Exception:
        close_unanswered_turn(agent)
        raise


@dataclass(frozen=True)
class StreamEvent:
    """``delta`` (text), ``done`` (result), ``error`` (api error) or ``disconnected`` (client went away)."""

    kind: str
    text: str = ""
    result: TurnResult | None = None
    error: ApiError | None = None


def stream_turn(checkout: AbstractContextManager[Any], prompt: str, on_finish: Callable[[StreamEvent], None]) -> Iterator[StreamEvent]:
    """Stream one turn; the turn runs to completion in its own thread even if the client goes away.

    The producer thread owns ``checkout`` (the session lock), so the lock is released when the agent
    finishes, never left to the garbage collection of an abandoned generator.
    """
    events: queue.Queue[StreamEvent] = queue.Queue()

    async def consume(agent: Any) -> None:
        async for event in agent.stream_async(prompt):
            if isinstance(event, dict) and isinstance(event.get("data"), str) and event["data"]:
                events.put(StreamEvent("delta", text=event["data"]))
            elif isinstance(event, dict) and "result" in event:
                events.put(StreamEvent("done", result=_turn_result(event["result"])))

    def run(agent: Any) -> None:
        try:
            asyncio.run(consume(agent))
        except Exception:
            close_unanswered_turn(agent)
            raise

    def produce() -> None:
        final: StreamEvent = StreamEvent("error", error=InternalError("the stream ended without a result"))
        try:
            with checkout as agent:
                run(agent)
            final = StreamEvent("end")
        except BaseException as error:  # noqa: BLE001 - every failure becomes an error event
            if not isinstance(error, ApiError):
                logger.exception("outcome=<error> | streamed turn failed")
            final = StreamEvent("error", error=to_api_error(error))
        finally:
            events.put(final)

    threading.Thread(target=produce, name="agent-stream", daemon=True).start()
    last = StreamEvent("disconnected")  # stays so only if the client goes away before the end
    try:
        while True:
            event = events.get()
            if event.kind == "end":
                if last.kind != "done":
                    last = StreamEvent("error", error=InternalError("the stream ended without a result"))
                    yield last
                break
            last = event
            yield event
            if event.kind == "error":
                break
    finally:
        on_finish(last)
