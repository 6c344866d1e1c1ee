"""Closes a conversation whose last turn was never answered, so the model never sees two user turns in a row.

A turn can stop after Strands stored its user message and before the answer was stored: the process was
killed, the model or a store write failed, the microVM ended. Restored as is, the next prompt would follow
that message directly, and model APIs such as Bedrock's Converse reject two user messages in a row ("A
conversation must alternate between user and assistant roles"), so one crash would break the session for
good. On restore the unanswered turn is *closed*, not dropped or merged: an assistant placeholder is appended
(after error results for any tool call left open, so every ``toolUse`` keeps its ``toolResult``).

Why closed: every store supports it as a plain append (AgentCore Memory's events cannot be rewritten, and
dropping or merging would mean deleting or rewriting the messages Strands' file and S3 managers wrote), what
the user said is neither lost nor silently changed, and the stored conversation stays alternating.
"""

from __future__ import annotations

from typing import Any

UNANSWERED_TEXT = "(no answer: this turn was interrupted before the answer was stored)"
INTERRUPTED_TOOL_TEXT = "the tool call was interrupted before its result was stored"


def closing_messages(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The messages that close an unanswered last turn; empty when the conversation ends with an answer."""
    if not messages:
        return []
    last = messages[-1]
    closing: list[dict[str, Any]] = []
    if last.get("role") == "assistant":
        open_calls = [block["toolUse"]["toolUseId"] for block in last.get("content", []) if "toolUse" in block]
        if not open_calls:
            return []
        results = [
            {"toolResult": {"toolUseId": call, "status": "error", "content": [{"text": INTERRUPTED_TOOL_TEXT}]}}
            for call in open_calls
        ]
        closing.append({"role": "user", "content": results})
    closing.append({"role": "assistant", "content": [{"text": UNANSWERED_TEXT}]})
    return closing


def close_unanswered_turn(agent: Any, session_manager: Any | None) -> int:
    """Append the closing messages to ``agent.messages`` and, when given, to the store; return how many."""
    closing = closing_messages(agent.messages)
    for message in closing:
        agent.messages.append(message)
        if session_manager is not None:
            session_manager.append_message(message, agent)
    return len(closing)
