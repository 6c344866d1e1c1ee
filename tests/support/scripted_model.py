"""A scripted Strands ``Model``: the shared reply script (``local/reply_script.py``) replayed as stream events.

It is the in-process form of the project's one test double: it stands in for Bedrock or an OpenAI endpoint
so tests can run the real agent server offline. The rules (what each prompt answers, ``fail the model``,
``meet N sessions``, ``How many turns?``) live in :mod:`local.reply_script`; the events are exactly the
ConverseStream events the Bedrock stand-in sends over the wire (``local.bedrock_runtime``).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, AsyncIterable
from typing import Any

from strands.models.model import Model

from local.bedrock_runtime import converse_stream_events
from local.reply_script import ReplyScriptError, answer, rendezvous_parties, reply_for


class ScriptedModelError(ReplyScriptError):
    """Raised by the scripted model when a prompt asks it to fail, to exercise the server's 5xx path."""


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
        if self._config["delay_seconds"]:
            await asyncio.sleep(self._config["delay_seconds"])
        conversation = list(messages)
        try:
            if rendezvous_parties(conversation) is None:
                reply = reply_for(conversation)
            else:  # the rendezvous blocks a thread, not the event loop
                reply = await asyncio.to_thread(answer, conversation)
        except ReplyScriptError as error:
            raise ScriptedModelError(str(error)) from None
        for event_type, event in converse_stream_events(conversation, reply):
            yield {event_type: event}
