"""A scripted Strands ``Model`` whose replies are a pure function of the conversation it receives.

It is the only test double of the project: it stands in for Bedrock or an OpenAI endpoint so tests
can run the real agent server offline. Because the reply depends only on the messages handed to the
model, a test can tell from the answer exactly which history the agent gave it: "Do you remember my
name?" is answered from earlier user turns *in those messages*, so cross-session leaks or a lost
history show up as wrong answers.

Script (case-insensitive, on the newest user turn):
- ``My name is X`` → ``Nice to meet you, X.``
- ``Do you remember my name?`` → ``Your name is X.`` (latest earlier "My name is X") or
  ``I don't know your name.``
- ``weather in <city>`` → calls the ``get_weather`` tool with ``{"city": <city>}``; once the tool result
  is in the conversation, answers with the tool's result text.
- ``How many turns?`` → ``You have sent N messages.`` (N = user text turns received, this one included)
- ``fail the model`` → the model raises :class:`ScriptedModelError` (to test 5xx handling).
- ``hold <name>`` (ScriptedModel only, and only when ``SCRIPTED_MODEL_GATE`` names a Unix socket) → every model
  call of that turn connects to the socket, sends ``<name>``, and waits for the test's word: ``go`` answers by the
  script, ``fail`` raises a plain ``RuntimeError`` (an exception no provider raises). The test thus knows the
  model is answering *now* (to ``kill -9`` the server, or to keep a session busy) without any sleep;
  ``tests/support/model_gate.py`` is the test's side.
- ``meet N sessions`` (ScriptedModel only, not the HTTP stub) → waits until N such turns are inside the
  model at the same moment, then answers ``All N sessions met.``; if they never overlap (the server
  serialized them) it gives up after ``RENDEZVOUS_TIMEOUT_SECONDS`` and answers ``Met no one.``.
  Concurrency is thus proven by the answers, not by timing.
- anything else → ``You said: <text>``.

Like Bedrock's Converse, the model refuses a conversation that does not start with a user message or whose
roles do not alternate (``ValidationException``), so every test also checks what the server sends the model.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import socket
import threading
from collections.abc import AsyncGenerator, AsyncIterable
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError
from strands.models.model import Model

NAME_PATTERN = re.compile(r"\bmy name is ([^.!?\n]+)", re.IGNORECASE)
REMEMBER_PATTERN = re.compile(r"\bdo you remember my name\b", re.IGNORECASE)
WEATHER_PATTERN = re.compile(r"\bweather in ([A-Za-z][A-Za-z .'-]*[A-Za-z])", re.IGNORECASE)
COUNT_PATTERN = re.compile(r"\bhow many turns\b", re.IGNORECASE)
FAIL_PATTERN = re.compile(r"\bfail the model\b", re.IGNORECASE)
RENDEZVOUS_PATTERN = re.compile(r"\bmeet (\d+) sessions\b", re.IGNORECASE)
RENDEZVOUS_TIMEOUT_SECONDS = 15.0
HOLD_PATTERN = re.compile(r"\bhold ([A-Za-z0-9_-]+)", re.IGNORECASE)
GATE_ENV = "SCRIPTED_MODEL_GATE"
WEATHER_TOOL = "get_weather"
# Bedrock Converse's answer to a conversation whose roles do not alternate (ValidationException).
ALTERNATION_MESSAGE = ("A conversation must alternate between user and assistant roles. "
                       "Make sure the conversation alternates between user and assistant roles and try again.")


class ScriptedModelError(ClientError):
    """Raised by the scripted model when a prompt asks it to fail, to exercise the server's 5xx path.

    It is what Bedrock raises for a failed model call (a botocore ``ClientError`` of ``ConverseStream``), so
    the server classifies it by the same rule as the real provider's errors.
    """

    def __init__(self, message: str, *, code: str = "ModelErrorException") -> None:
        super().__init__({"Error": {"Code": code, "Message": message}}, "ConverseStream")


@dataclass(frozen=True)
class ToolCall:
    """A tool call the script decided to make."""

    tool_use_id: str
    name: str
    arguments: dict[str, Any]


@dataclass(frozen=True)
class Reply:
    """What the model answers: either text or one tool call."""

    text: str | None = None
    tool_call: ToolCall | None = None


def _texts(message: dict[str, Any]) -> list[str]:
    return [block["text"] for block in message.get("content", []) if isinstance(block, dict) and "text" in block]


def _tool_result_text(message: dict[str, Any]) -> str | None:
    for block in message.get("content", []):
        if isinstance(block, dict) and "toolResult" in block:
            parts = [item.get("text", json.dumps(item.get("json"))) for item in block["toolResult"].get("content", [])]
            return " ".join(parts)
    return None


def _user_text_turns(messages: list[dict[str, Any]]) -> list[str]:
    return [" ".join(_texts(m)) for m in messages if m.get("role") == "user" and _texts(m)]


def reply_for(messages: list[dict[str, Any]]) -> Reply:
    """Decide the reply from the conversation alone (Strands/Bedrock message format).

    Raises:
        ScriptedModelError: when the newest user turn says "fail the model".
    """
    if not messages:
        return Reply(text="I received no messages.")
    last = messages[-1]
    tool_result = _tool_result_text(last)
    if tool_result is not None:
        return Reply(text=tool_result)
    turns = _user_text_turns(messages)
    prompt = turns[-1] if turns else ""
    if FAIL_PATTERN.search(prompt):
        raise ScriptedModelError("scripted model failure requested by the prompt")
    if REMEMBER_PATTERN.search(prompt):
        names = [m.group(1).strip() for t in turns[:-1] for m in [NAME_PATTERN.search(t)] if m]
        return Reply(text=f"Your name is {names[-1]}." if names else "I don't know your name.")
    if name := NAME_PATTERN.search(prompt):
        return Reply(text=f"Nice to meet you, {name.group(1).strip()}.")
    if city := WEATHER_PATTERN.search(prompt):
        call_id = f"tooluse_{len(messages)}"
        return Reply(tool_call=ToolCall(call_id, WEATHER_TOOL, {"city": city.group(1).strip()}))
    if COUNT_PATTERN.search(prompt):
        return Reply(text=f"You have sent {len(turns)} messages.")
    return Reply(text=f"You said: {prompt}")


def text_chunks(text: str) -> list[str]:
    """Split a reply into word-sized deltas so streaming clients see several events."""
    return re.findall(r"\S+\s*|\s+", text) or [""]


def _usage(messages: list[dict[str, Any]], reply: Reply) -> dict[str, int]:
    input_tokens = sum(len(" ".join(_texts(m)).split()) for m in messages)
    output_tokens = len((reply.text or json.dumps(reply.tool_call.arguments if reply.tool_call else {})).split())
    return {"inputTokens": input_tokens, "outputTokens": output_tokens, "totalTokens": input_tokens + output_tokens}


def stream_events(messages: list[dict[str, Any]], reply: Reply) -> list[dict[str, Any]]:
    """Render a reply as the Bedrock-style stream events Strands consumes."""
    events: list[dict[str, Any]] = [{"messageStart": {"role": "assistant"}}]
    if reply.tool_call is not None:
        call = reply.tool_call
        events += [
            {"contentBlockStart": {"start": {"toolUse": {"toolUseId": call.tool_use_id, "name": call.name}}}},
            {"contentBlockDelta": {"delta": {"toolUse": {"input": json.dumps(call.arguments)}}}},
            {"contentBlockStop": {}},
            {"messageStop": {"stopReason": "tool_use"}},
        ]
    else:
        events.append({"contentBlockStart": {"start": {}}})
        events += [{"contentBlockDelta": {"delta": {"text": chunk}}} for chunk in text_chunks(reply.text or "")]
        events += [{"contentBlockStop": {}}, {"messageStop": {"stopReason": "end_turn"}}]
    events.append({"metadata": {"usage": _usage(messages, reply), "metrics": {"latencyMs": 1}}})
    return events


class _Rendezvous:
    """One reusable barrier per party count, shared by every ScriptedModel in the process."""

    _lock = threading.Lock()
    _barriers: dict[int, threading.Barrier] = {}

    @classmethod
    def meet(cls, parties: int) -> bool:
        """Block until ``parties`` callers are waiting together; False if that never happens in time."""
        with cls._lock:
            barrier = cls._barriers.get(parties)
            if barrier is None or barrier.broken:
                barrier = cls._barriers[parties] = threading.Barrier(parties)
        try:
            barrier.wait(timeout=RENDEZVOUS_TIMEOUT_SECONDS)
        except threading.BrokenBarrierError:
            return False
        return True


def _rendezvous_parties(messages: list[dict[str, Any]]) -> int | None:
    turns = _user_text_turns(messages)
    match = RENDEZVOUS_PATTERN.search(turns[-1]) if turns and messages[-1].get("role") == "user" else None
    return int(match.group(1)) if match else None


def _hold_name(messages: list[dict[str, Any]]) -> str | None:
    turns = _user_text_turns(messages)
    match = HOLD_PATTERN.search(turns[-1]) if turns and os.environ.get(GATE_ENV) else None
    return match.group(1) if match else None


def _wait_at_gate(name: str) -> str:
    """Tell the test's gate this call is inside the model and return its word (``go`` or ``fail``)."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as gate:
        gate.connect(os.environ[GATE_ENV])
        gate.sendall(f"{name}\n".encode())
        return gate.makefile("r", encoding="utf-8").readline().strip()


def check_alternation(messages: list[dict[str, Any]]) -> None:
    """Refuse what Converse refuses: a first message that is not the user's, or two turns of one role in a row."""
    roles = [m.get("role") for m in messages]
    if (roles and roles[0] != "user") or any(a == b for a, b in zip(roles, roles[1:])):
        raise ScriptedModelError(ALTERNATION_MESSAGE, code="ValidationException")


class ScriptedModel(Model):
    """Strands model that replays :func:`reply_for` as stream events.

    Args:
        delay_seconds: pause before answering, so tests can make requests overlap deterministically.
    """

    def __init__(self, *, delay_seconds: float = 0.0) -> None:
        self._config: dict[str, Any] = {"model_id": "scripted", "delay_seconds": delay_seconds}

    def update_config(self, **model_config: Any) -> None:
        """Merge configuration overrides."""
        self._config.update(model_config)

    def get_config(self) -> dict[str, Any]:
        """Return the configuration."""
        return dict(self._config)

    async def structured_output(
        self, output_model: Any, prompt: Any, system_prompt: str | None = None, **kwargs: Any
    ) -> AsyncGenerator[dict[str, Any], None]:
        """Structured output is not part of the script."""
        raise NotImplementedError("the scripted model does not produce structured output")
        yield {}  # pragma: no cover - makes this an async generator

    async def stream(
        self,
        messages: Any,
        tool_specs: Any = None,
        system_prompt: str | None = None,
        **kwargs: Any,
    ) -> AsyncIterable[dict[str, Any]]:
        """Yield the scripted reply for exactly the messages received."""
        check_alternation(list(messages))
        if self._config["delay_seconds"]:
            await asyncio.sleep(self._config["delay_seconds"])
        if (hold := _hold_name(list(messages))) is not None and await asyncio.to_thread(_wait_at_gate, hold) != "go":
            raise RuntimeError("scripted failure that no model provider raises")
        parties = _rendezvous_parties(list(messages))
        if parties is not None:
            met = await asyncio.to_thread(_Rendezvous.meet, parties)
            reply = Reply(text=f"All {parties} sessions met." if met else "Met no one.")
        else:
            reply = reply_for(list(messages))
        for event in stream_events(list(messages), reply):
            yield event
