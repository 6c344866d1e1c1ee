"""The model round trip alone: a pseudo-target that sends the stub what an agent would, minus the agent.

It keeps each session's conversation the way Strands' default conversation manager does (a sliding
window of the last 40 messages), sends it with the system prompt and the weather tool as a streamed
chat completion over a kept-alive connection, and reads the streamed answer. Its latency is the floor
the agents' "added latency" is measured against, for the very same conversations.
"""

from __future__ import annotations

import json
import time
from typing import Any

import httpx

from bench.client import Call
from bench.targets import STUB_MODEL_ID

SLIDING_WINDOW_MESSAGES = 40
SYSTEM_PROMPT = "You are a helpful assistant. Answer briefly. Use the get_weather tool for questions about the weather."
WEATHER_FUNCTION: dict[str, Any] = {
    "name": "get_weather",
    "description": "Get the current weather for a city.",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
}
WEATHER_TOOL_SPEC: dict[str, Any] = {"type": "function", "function": WEATHER_FUNCTION}


def streamed_text(body: str) -> str:
    """Concatenate the content deltas of a ``text/event-stream`` chat completion."""
    text = []
    for line in body.splitlines():
        if not line.startswith("data: ") or line == "data: [DONE]":
            continue
        for choice in json.loads(line[len("data: ") :]).get("choices", []):
            text.append(choice.get("delta", {}).get("content") or "")
    return "".join(text)


class WindowedConversations:
    """Per-session histories trimmed the way Strands' default conversation manager trims them.

    The one home of the floor's history rule, for every model stand-in called directly (the OpenAI stub
    here, the Bedrock stand-in in :mod:`bench.stand_in_conversation`); messages are in the wire shape of
    the stand-in being called.
    """

    def __init__(self) -> None:
        self._histories: dict[str, list[dict[str, Any]]] = {}

    def next_turn(self, session_id: str, user_message: dict[str, Any]) -> list[dict[str, Any]]:
        """The session's history with ``user_message`` appended (kept for the next turn)."""
        history = self._histories.setdefault(session_id, [])
        del history[:-SLIDING_WINDOW_MESSAGES]  # trimmed after each turn, before the new prompt, as Strands does
        history.append(user_message)
        return history

    def remember(self, session_id: str, assistant_message: dict[str, Any]) -> None:
        """Append the answer to the session's history."""
        self._histories[session_id].append(assistant_message)


class StubConversations(WindowedConversations):
    """Calls the stub directly with per-session histories; usable as an interleave ``Invoker``."""

    def __init__(self, client: httpx.Client, stub_base_url: str) -> None:
        super().__init__()
        self._client = client
        self._url = f"{stub_base_url}/v1/chat/completions"

    def request(self, session_id: str, prompt: str) -> dict[str, Any]:
        """The body for the next turn of ``session_id`` (its history plus the new user message)."""
        history = self.next_turn(session_id, {"role": "user", "content": [{"type": "text", "text": prompt}]})
        return {
            "model": STUB_MODEL_ID,
            "messages": [{"role": "system", "content": SYSTEM_PROMPT}, *history],
            "tools": [WEATHER_TOOL_SPEC],
            "stream": True,
            "stream_options": {"include_usage": True},
        }

    def __call__(self, session_id: str, prompt: str) -> Call:
        body = self.request(session_id, prompt)
        started = time.perf_counter()
        try:
            response = self._client.post(self._url, json=body)
            text = streamed_text(response.text)
        except httpx.HTTPError as error:
            return Call(status=0, answer=type(error).__name__, seconds=time.perf_counter() - started)
        seconds = time.perf_counter() - started
        self.remember(session_id, {"role": "assistant", "content": [{"type": "text", "text": text}]})
        return Call(status=response.status_code, answer=text, seconds=seconds)
