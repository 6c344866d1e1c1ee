"""The conversation rules Bedrock's Converse and ConverseStream enforce, so a stand-in refuses what Bedrock refuses.

WHY: a conversation store or repair step that writes two user turns in a row, a blank text block or a
tool use without its result works against a lenient stand-in and fails on Bedrock with a 400 on every
later turn of that session. The stand-in applies the same rules, with the same messages, so tests catch it.

The messages are Bedrock's own, as users of the public SDKs report them from the service (the API
reference documents the rules but not the wording):
- "A conversation must start with a user message. ..." (langgenius/dify#12340, elastic/kibana#246393)
- "A conversation must alternate between user and assistant roles. ..." (langchain-ai/langchain-aws#130,
  microsoft/semantic-kernel#10281)
- "The text field in the ContentBlock object at messages.N.content.M is blank. ..." (botocore#3525,
  bedrock-agentcore-sdk-python#185)
- "Expected toolResult blocks at messages.N.content for the following Ids: ..." (agno-agi/agno#6698)
- "The number of toolResult blocks at messages.N.content exceeds the number of toolUse blocks of previous turn."
- "The toolConfig field must be defined when using toolUse and toolResult content blocks."
"""

from __future__ import annotations

import itertools
from typing import Any

MUST_START_WITH_USER = (
    "A conversation must start with a user message. Try again with a conversation that starts with a user message."
)
MUST_ALTERNATE = (
    "A conversation must alternate between user and assistant roles. "
    "Make sure the conversation alternates between user and assistant roles and try again."
)
TOOL_CONFIG_REQUIRED = "The toolConfig field must be defined when using toolUse and toolResult content blocks."
ROLES = ("user", "assistant")


class ConverseValidationError(ValueError):
    """A request Bedrock answers with 400 ValidationException; the message is Bedrock's."""


def validate_converse_request(request: dict[str, Any]) -> None:
    """Raise :class:`ConverseValidationError` with Bedrock's message for the first rule the request breaks."""
    messages = request.get("messages")
    if not isinstance(messages, list) or not messages:
        raise ConverseValidationError("The messages field is required and must contain at least one message.")
    for index, message in enumerate(messages):
        _check_message(index, message)
    if messages[0]["role"] != "user":
        raise ConverseValidationError(MUST_START_WITH_USER)
    if any(earlier["role"] == later["role"] for earlier, later in itertools.pairwise(messages)):
        raise ConverseValidationError(MUST_ALTERNATE)
    _check_tool_turns(messages, has_tool_config=bool(request.get("toolConfig")))


def _check_message(index: int, message: Any) -> None:
    if not isinstance(message, dict) or message.get("role") not in ROLES:
        raise ConverseValidationError(f"messages.{index}.role must be one of: {', '.join(ROLES)}.")
    content = message.get("content")
    if not isinstance(content, list) or not content:
        raise ConverseValidationError(f"messages.{index}.content must contain at least one content block.")
    for block_index, block in enumerate(content):
        if isinstance(block, dict) and "text" in block and not str(block["text"]).strip():
            raise ConverseValidationError(
                f"The text field in the ContentBlock object at messages.{index}.content.{block_index} is blank. "
                "Add text to the text field, and try again."
            )


def _ids(message: dict[str, Any], kind: str) -> list[str]:
    return [block[kind]["toolUseId"] for block in message["content"] if isinstance(block, dict) and kind in block]


def _check_tool_turns(messages: list[dict[str, Any]], *, has_tool_config: bool) -> None:
    """Every toolUse is answered by a toolResult with its id in the next message, and vice versa."""
    for index, message in enumerate(messages):
        uses, results = _ids(message, "toolUse"), _ids(message, "toolResult")
        if (uses or results) and not has_tool_config:
            raise ConverseValidationError(TOOL_CONFIG_REQUIRED)
        previous_uses = _ids(messages[index - 1], "toolUse") if index else []
        if len(results) > len(previous_uses):
            raise ConverseValidationError(
                f"The number of toolResult blocks at messages.{index}.content exceeds the number of toolUse blocks "
                "of previous turn."
            )
        if uses and index + 1 < len(messages):
            missing = [tool_id for tool_id in uses if tool_id not in _ids(messages[index + 1], "toolResult")]
            if missing:
                raise ConverseValidationError(
                    f"Expected toolResult blocks at messages.{index + 1}.content for the following Ids: "
                    f"{', '.join(missing)}"
                )
