"""A scripted Strands ``Model``: the shared reply script (``local/reply_script.py``) replayed as stream events.

It is the in-process form of the project's one test double: it stands in for Bedrock or an OpenAI endpoint
so tests can run the real agent server offline. The rules (what each prompt answers, ``fail the model``,
``meet N sessions``, ``How many turns?``) live in :mod:`local.reply_script`; the events are exactly the
ConverseStream events the Bedrock stand-in sends over the wire (``local.bedrock_runtime``).

Two things only the in-process model does:
- ``hold <name>`` (only when ``SCRIPTED_MODEL_GATE`` names a Unix socket) → every model call of that turn
  connects to the socket, sends ``<name>``, and waits for the test's word: ``go`` answers by the script,
  ``fail`` raises a plain ``RuntimeError`` (an exception no provider raises). The test thus knows the model is
  answering *now* (to ``kill -9`` the server, or to keep a session busy) without any sleep;
  ``tests/support/model_gate.py`` is the test's side.
- Like Bedrock's Converse, it refuses a conversation Bedrock refuses (``local.converse_validation``: not
  starting with a user message, roles not alternating, a tool use without its result…) with Bedrock's
  ``ValidationException`` message, so every test also checks what the server sends the model.
"""

from __future__ import annotations

import asyncio
import os
import re
import socket
from collections.abc import AsyncGenerator, AsyncIterable
from typing import Any

from botocore.exceptions import ClientError
from strands.models.model import Model

from local.bedrock_runtime import converse_stream_events
from local.converse_validation import ConverseValidationError, validate_converse_request
from local.reply_script import ReplyScriptError, answer, rendezvous_parties, reply_for, user_text_turns

HOLD_PATTERN = re.compile(r"\bhold ([A-Za-z0-9_-]+)", re.IGNORECASE)
GATE_ENV = "SCRIPTED_MODEL_GATE"


class ScriptedModelError(ClientError):
    """Raised by the scripted model when a prompt asks it to fail or Bedrock would refuse the conversation.

    It is what Bedrock raises for a failed model call (a botocore ``ClientError`` of ``ConverseStream``), so
    the server classifies it by the same rule as the real provider's errors.
    """

    def __init__(self, message: str, *, code: str = "ModelErrorException") -> None:
        super().__init__({"Error": {"Code": code, "Message": message}}, "ConverseStream")


def _hold_name(messages: list[dict[str, Any]]) -> str | None:
    turns = user_text_turns(messages)
    match = HOLD_PATTERN.search(turns[-1]) if turns and os.environ.get(GATE_ENV) else None
    return match.group(1) if match else None


def _wait_at_gate(name: str) -> str:
    """Tell the test's gate this call is inside the model and return its word (``go`` or ``fail``)."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as gate:
        gate.connect(os.environ[GATE_ENV])
        gate.sendall(f"{name}\n".encode())
        return gate.makefile("r", encoding="utf-8").readline().strip()


class ScriptedModel(Model):
    """Strands model that answers from the reply script.

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
        conversation = list(messages)
        try:
            validate_converse_request({"messages": conversation, "toolConfig": tool_specs})
        except ConverseValidationError as error:
            raise ScriptedModelError(str(error), code="ValidationException") from None
        if self._config["delay_seconds"]:
            await asyncio.sleep(self._config["delay_seconds"])
        if (hold := _hold_name(conversation)) is not None and await asyncio.to_thread(_wait_at_gate, hold) != "go":
            raise RuntimeError("scripted failure that no model provider raises")
        try:
            if rendezvous_parties(conversation) is None:
                reply = reply_for(conversation)
            else:  # the rendezvous blocks a thread, not the event loop
                reply = await asyncio.to_thread(answer, conversation)
        except ReplyScriptError as error:
            raise ScriptedModelError(str(error)) from None
        for event_type, event in converse_stream_events(conversation, reply):
            yield {event_type: event}


class SharedScriptedModel:
    """A model factory as ``agent/model_factory.py`` ``model_factory_for`` is one: the first call builds the
    process's one model, later calls hand it out; ``built`` shows how many were built, and when."""

    def __init__(self, model: ScriptedModel | None = None) -> None:
        self._model = model
        self.built: list[ScriptedModel] = []

    def __call__(self) -> ScriptedModel:
        if not self.built:
            self.built.append(self._model or ScriptedModel())
        return self.built[0]
