"""The Bedrock model round trip alone: ConverseStream sent straight to the stand-in, minus the agent and botocore.

The Bedrock targets' floor, as :class:`bench.stub_conversation.StubConversations` is the OpenAI targets':
the same conversations (Strands' 40-message sliding window), the request body ``BedrockModel`` sends
(``messages``, ``system``, ``toolConfig`` with the weather tool and ``toolChoice``, ``inferenceConfig``), posted
unsigned over a kept-alive connection to ``/model/{modelId}/converse-stream``, and the event stream read
back with botocore's own decoder (``botocore.eventstream.EventStreamBuffer``). Its latency is what the
stand-in itself costs; what an agent adds on top (HTTP server, Strands, botocore's serializer, signer and
parser, the store) is the agent's own overhead.
"""

from __future__ import annotations

import json
import time
from typing import Any
from urllib.parse import quote

import httpx
from botocore.eventstream import EventStreamBuffer

from bench.client import Call
from bench.stub_conversation import SYSTEM_PROMPT, WEATHER_FUNCTION, WindowedConversations

# The weather tool as BedrockModel.format_request writes it (strands/models/bedrock.py).
TOOL_CONFIG = {
    "tools": [
        {
            "toolSpec": {
                "name": WEATHER_FUNCTION["name"],
                "description": WEATHER_FUNCTION["description"],
                "inputSchema": {"json": WEATHER_FUNCTION["parameters"]},
            }
        }
    ],
    "toolChoice": {"auto": {}},
}


def streamed_text(body: bytes) -> str:
    """Concatenate the text deltas of a ConverseStream event stream."""
    buffer = EventStreamBuffer()
    buffer.add_data(body)
    text = []
    for message in buffer:
        # botocore-stubs types `headers` as int; botocore's EventStreamMessage holds the parsed header dict.
        headers: dict[str, Any] = message.headers  # type: ignore[assignment]
        if headers.get(":event-type") == "contentBlockDelta":
            text.append(json.loads(message.payload)["delta"].get("text", ""))
    return "".join(text)


class StandInConversations(WindowedConversations):
    """Calls the Bedrock stand-in directly with per-session histories; usable as an interleave ``Invoker``."""

    def __init__(self, client: httpx.Client, stand_in_base_url: str, model_id: str) -> None:
        super().__init__()
        self._client = client
        self._url = f"{stand_in_base_url}/model/{quote(model_id, safe='')}/converse-stream"

    def request(self, session_id: str, prompt: str) -> dict[str, Any]:
        """The body for the next turn of ``session_id`` (its history plus the new user message)."""
        history = self.next_turn(session_id, {"role": "user", "content": [{"text": prompt}]})
        return {
            "messages": list(history),
            "system": [{"text": SYSTEM_PROMPT}],
            "toolConfig": TOOL_CONFIG,
            "inferenceConfig": {},
        }

    def __call__(self, session_id: str, prompt: str) -> Call:
        body = self.request(session_id, prompt)
        started = time.perf_counter()
        try:
            response = self._client.post(self._url, json=body)
            text = streamed_text(response.content) if response.status_code == 200 else ""
        except httpx.HTTPError as error:
            return Call(status=0, answer=type(error).__name__, seconds=time.perf_counter() - started)
        seconds = time.perf_counter() - started
        self.remember(session_id, {"role": "assistant", "content": [{"text": text}]})
        return Call(status=response.status_code, answer=text, seconds=seconds)
