"""The one reply script every model stand-in answers from: a pure function of the conversation it is sent.

Used by the Bedrock Runtime stand-in (``local/bedrock_runtime.py``), the OpenAI-compatible stub
(``local/openai_stub.py``, which the tests and the benchmark share) and the tests' scripted Strands ``Model``.
Because a reply depends only on the messages handed to the model, a caller can tell from the answer exactly which
history the agent sent: "Do you remember my name?" is answered from earlier user turns *in those
messages*, so a cross-session leak or a lost history shows up as a wrong answer.

Recalled context: AgentCore Memory's Strands integration prepends the long-term records it retrieved to the user's
turn as one text block wrapped in a tag (``<user_context>...</user_context>``, its ``context_tag``); such a block is
context, not the user's words: the script reads a recalled name from it and nothing else.

Messages are in the Converse / Strands shape (``{"role": ..., "content": [{"text": ...} | {"toolUse": ...} |
{"toolResult": ...}]}``); :func:`converse_from_openai` converts an OpenAI chat-completions conversation.

Script (case-insensitive, on the newest user text turn):
- a tool result last → the tool's result text (ends the tool loop);
- ``fail the model`` → :class:`ReplyScriptError` (stand-ins turn it into their service's model error);
- ``Do you remember my name?`` → ``Your name is X.`` (latest earlier "My name is X", else the newest "The user's
  name is X" that long-term memory recalled into a turn's context) or ``I don't know your name.``;
- ``My name is X`` → ``Nice to meet you, X.``;
- ``weather in <city>`` → a ``get_weather`` tool call with ``{"city": <city>}``;
- ``How many turns?`` → ``You have sent N messages.`` (N = user text turns received, this one included);
- ``meet N sessions`` → only through :func:`answer` (servers and models that run each call on its own
  thread): waits until N such calls are inside the script at the same moment, then ``All N sessions met.``;
  if they never overlap (the caller serialized them) it gives up after ``RENDEZVOUS_TIMEOUT_SECONDS`` and
  answers ``Met no one.``. Concurrency is thus proven by answers, not by timing;
- anything else → ``You said: <text>``.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass
from typing import Any, ClassVar

from starlette.concurrency import run_in_threadpool

NAME_PATTERN = re.compile(r"\bmy name is ([^.!?\n]+)", re.IGNORECASE)
RECALLED_NAME_PATTERN = re.compile(r"\bthe user's name is ([^.!?\n<]+)", re.IGNORECASE)
CONTEXT_BLOCK = re.compile(r"^<([A-Za-z_][\w-]*)>.*</\1>$", re.DOTALL)
REMEMBER_PATTERN = re.compile(r"\bdo you remember my name\b", re.IGNORECASE)
WEATHER_PATTERN = re.compile(r"\bweather in ([A-Za-z][A-Za-z .'-]*[A-Za-z])", re.IGNORECASE)
COUNT_PATTERN = re.compile(r"\bhow many turns\b", re.IGNORECASE)
FAIL_PATTERN = re.compile(r"\bfail the model\b", re.IGNORECASE)
RENDEZVOUS_PATTERN = re.compile(r"\bmeet (\d+) sessions\b", re.IGNORECASE)
RENDEZVOUS_TIMEOUT_SECONDS = 15.0
# One prompt for each rule a person would try by hand (the banners of `make local` and `make dev` list them).
EXAMPLE_PROMPTS = ("My name is Alice.", "Do you remember my name?", "What is the weather in Paris?", "How many turns?")
WEATHER_TOOL = "get_weather"
FAILURE_MESSAGE = "scripted model failure requested by the prompt"

Message = dict[str, Any]


class ReplyScriptError(RuntimeError):
    """The prompt asked the model to fail, to exercise the caller's model-error path."""


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


def _all_texts(message: Message) -> list[str]:
    return [block["text"] for block in message.get("content", []) if isinstance(block, dict) and "text" in block]


def _texts(message: Message) -> list[str]:
    """The message's own words: its text blocks except recalled context."""
    return [text for text in _all_texts(message) if not CONTEXT_BLOCK.match(text)]


def recalled_names(messages: list[Message]) -> list[str]:
    """Names long-term memory put in the user turns' context blocks, oldest first."""
    contexts = [t for m in messages if m.get("role") == "user" for t in _all_texts(m) if CONTEXT_BLOCK.match(t)]
    return [match.group(1).strip() for text in contexts for match in RECALLED_NAME_PATTERN.finditer(text)]


def _tool_result_text(message: Message) -> str | None:
    for block in message.get("content", []):
        if isinstance(block, dict) and "toolResult" in block:
            parts = [item.get("text", json.dumps(item.get("json"))) for item in block["toolResult"].get("content", [])]
            return " ".join(parts)
    return None


def user_text_turns(messages: list[Message]) -> list[str]:
    """The text of every user message that has text (tool-result turns carry none)."""
    return [" ".join(_texts(m)) for m in messages if m.get("role") == "user" and _texts(m)]


def reply_for(messages: list[Message]) -> Reply:
    """Decide the reply from the conversation alone.

    Raises:
        ReplyScriptError: when the newest user turn says "fail the model".
    """
    if not messages:
        return Reply(text="I received no messages.")
    tool_result = _tool_result_text(messages[-1])
    if tool_result is not None:
        return Reply(text=tool_result)
    turns = user_text_turns(messages)
    prompt = turns[-1] if turns else ""
    if FAIL_PATTERN.search(prompt):
        raise ReplyScriptError(FAILURE_MESSAGE)
    if REMEMBER_PATTERN.search(prompt):
        names = [m.group(1).strip() for t in turns[:-1] for m in [NAME_PATTERN.search(t)] if m]
        names = names or recalled_names(messages)
        return Reply(text=f"Your name is {names[-1]}." if names else "I don't know your name.")
    if name := NAME_PATTERN.search(prompt):
        return Reply(text=f"Nice to meet you, {name.group(1).strip()}.")
    if city := WEATHER_PATTERN.search(prompt):
        return Reply(tool_call=ToolCall(f"tooluse_{len(messages)}", WEATHER_TOOL, {"city": city.group(1).strip()}))
    if COUNT_PATTERN.search(prompt):
        return Reply(text=f"You have sent {len(turns)} messages.")
    return Reply(text=f"You said: {prompt}")


def text_chunks(text: str) -> list[str]:
    """Split a reply into word-sized deltas so streaming clients see several events."""
    return re.findall(r"\S+\s*|\s+", text) or [""]


def token_usage(messages: list[Message], reply: Reply) -> tuple[int, int]:
    """(input, output) token counts: whitespace-separated words, so usage is deterministic."""
    input_tokens = sum(len(" ".join(_texts(m)).split()) for m in messages)
    output = reply.text or json.dumps(reply.tool_call.arguments if reply.tool_call else {})
    return input_tokens, len(output.split())


class _Rendezvous:
    """One reusable barrier per party count, shared by every caller in the process."""

    _lock: ClassVar[threading.Lock] = threading.Lock()
    _barriers: ClassVar[dict[int, threading.Barrier]] = {}

    @classmethod
    def meet(cls, parties: int, timeout_seconds: float) -> bool:
        """Block until ``parties`` callers are waiting together; False if that does not happen in time."""
        with cls._lock:
            barrier = cls._barriers.get(parties)
            if barrier is None or barrier.broken:
                barrier = cls._barriers[parties] = threading.Barrier(parties)
        try:
            barrier.wait(timeout=timeout_seconds)
        except threading.BrokenBarrierError:
            return False
        return True


def rendezvous_parties(messages: list[Message]) -> int | None:
    """N when the newest message is a user turn saying "meet N sessions", else None."""
    turns = user_text_turns(messages)
    match = RENDEZVOUS_PATTERN.search(turns[-1]) if turns and messages[-1].get("role") == "user" else None
    return int(match.group(1)) if match else None


def answer(messages: list[Message], *, rendezvous_timeout_seconds: float = RENDEZVOUS_TIMEOUT_SECONDS) -> Reply:
    """:func:`reply_for`, plus the "meet N sessions" rendezvous; blocks the calling thread while it waits.

    Args:
        messages: the conversation sent to the model.
        rendezvous_timeout_seconds: how long "meet N sessions" waits for its peers before "Met no one.".

    Raises:
        ReplyScriptError: when the newest user turn says "fail the model".
    """
    parties = rendezvous_parties(messages)
    if parties is None:
        return reply_for(messages)
    met = _Rendezvous.meet(parties, rendezvous_timeout_seconds)
    return Reply(text=f"All {parties} sessions met." if met else "Met no one.")


async def answer_on_loop(messages: list[Message]) -> Reply:
    """:func:`answer` for an asyncio server: only a "meet N sessions" turn, which blocks until its peers
    arrive, leaves the event loop (for Starlette's thread pool).

    WHY not always a thread: a thread hop per call was a fixed cost of every round trip the benchmark measures
    as the floor (docs/bench.md); the script itself is a few regular expressions over the conversation.
    """
    if rendezvous_parties(messages) is None:
        return reply_for(messages)
    return await run_in_threadpool(answer, messages)  # the rendezvous blocks its thread, not the loop


def openai_text(content: Any) -> str:
    """Text of an OpenAI message ``content`` (a string, one typed part or a list of them)."""
    if isinstance(content, dict):
        return str(content.get("text", ""))
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(part.get("text", "") for part in content if isinstance(part, dict))
    return ""


def converse_from_openai(openai_messages: list[dict[str, Any]]) -> list[Message]:
    """Convert OpenAI chat-completions messages into the Converse shape the script reads (system dropped)."""
    converted: list[Message] = []
    for message in openai_messages:
        role = message.get("role")
        if role == "tool":
            result = {
                "toolUseId": message.get("tool_call_id", ""),
                "content": [{"text": openai_text(message.get("content"))}],
            }
            converted.append({"role": "user", "content": [{"toolResult": result}]})
        elif role in ("user", "assistant"):
            content = message.get("content")
            parts = content if isinstance(content, list) else [content]  # one block a part: context stays apart
            blocks: list[dict[str, Any]] = [{"text": text} for part in parts if (text := openai_text(part))]
            calls = message.get("tool_calls") or []
            blocks += [{"toolUse": {"toolUseId": c.get("id", ""), "name": c["function"]["name"]}} for c in calls]
            converted.append({"role": role, "content": blocks})
    return converted
