"""The Bedrock Runtime stand-in, through boto3/botocore and through the unchanged Strands BedrockModel."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import boto3
import botocore.exceptions
import httpx
import pytest
from strands import Agent
from strands.models.bedrock import BedrockModel

from agent.tools import TOOLS
from local.bedrock_runtime import BedrockRuntimeStandIn, ConverseCall, start_bedrock_runtime
from local.converse_validation import MUST_ALTERNATE, MUST_START_WITH_USER, TOOL_CONFIG_REQUIRED
from tests.support.agentcore_sdk import refusal

MODEL_ID = "global.anthropic.claude-sonnet-4-6"
REGION = "us-east-1"
TOOL_CONFIG = {"tools": [{"toolSpec": {"name": "get_weather", "inputSchema": {"json": {"type": "object"}}}}]}


@pytest.fixture(scope="module")
def stand_in() -> Iterator[BedrockRuntimeStandIn]:
    running = start_bedrock_runtime()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def bedrock(stand_in: BedrockRuntimeStandIn) -> Any:
    return boto3.client(
        "bedrock-runtime",
        region_name=REGION,
        endpoint_url=stand_in.endpoint_url,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


@pytest.fixture
def endpoint_env(stand_in: BedrockRuntimeStandIn, monkeypatch: pytest.MonkeyPatch) -> None:
    """What the deployed agent gets, plus the one variable that points botocore at the stand-in."""
    for name, value in {
        "AWS_ENDPOINT_URL_BEDROCK_RUNTIME": stand_in.endpoint_url,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_REGION": REGION,
    }.items():
        monkeypatch.setenv(name, value)


def _user(text: str) -> dict[str, Any]:
    return {"role": "user", "content": [{"text": text}]}


def _assistant(text: str) -> dict[str, Any]:
    return {"role": "assistant", "content": [{"text": text}]}


def _stream_text(response: dict[str, Any]) -> str:
    return "".join(
        e["contentBlockDelta"]["delta"].get("text", "") for e in response["stream"] if "contentBlockDelta" in e
    )


def test_converse_stream_sends_bedrocks_event_sequence(bedrock: Any) -> None:
    response = bedrock.converse_stream(modelId=MODEL_ID, messages=[_user("My name is Ann.")])

    events = list(response["stream"])

    assert response["ResponseMetadata"]["HTTPHeaders"]["content-type"] == "application/vnd.amazon.eventstream"
    assert [next(iter(e)) for e in events] == ["messageStart"] + ["contentBlockDelta"] * 5 + [
        "contentBlockStop",
        "messageStop",
        "metadata",
    ]
    assert "".join(e["contentBlockDelta"]["delta"]["text"] for e in events[1:6]) == "Nice to meet you, Ann."
    assert events[-2] == {"messageStop": {"stopReason": "end_turn"}}
    assert events[-1]["metadata"] == {
        "usage": {"inputTokens": 4, "outputTokens": 5, "totalTokens": 9},
        "metrics": {"latencyMs": 1},
    }


def test_converse_stream_tool_use_starts_a_block_with_id_and_name(bedrock: Any) -> None:
    events = list(
        bedrock.converse_stream(
            modelId=MODEL_ID, messages=[_user("What is the weather in Paris?")], toolConfig=TOOL_CONFIG
        )["stream"]
    )

    assert events[1:5] == [
        {
            "contentBlockStart": {
                "start": {"toolUse": {"toolUseId": "tooluse_1", "name": "get_weather"}},
                "contentBlockIndex": 0,
            }
        },
        {"contentBlockDelta": {"delta": {"toolUse": {"input": '{"city": "Paris"}'}}, "contentBlockIndex": 0}},
        {"contentBlockStop": {"contentBlockIndex": 0}},
        {"messageStop": {"stopReason": "tool_use"}},
    ]


def test_converse_answers_the_whole_message(bedrock: Any) -> None:
    messages = [_user("My name is Ann."), _assistant("Nice to meet you, Ann."), _user("Do you remember my name?")]

    response = bedrock.converse(modelId=MODEL_ID, messages=messages)

    assert response["output"] == {"message": {"role": "assistant", "content": [{"text": "Your name is Ann."}]}}
    assert (response["stopReason"], response["usage"]["totalTokens"]) == ("end_turn", 18)


def test_converse_tool_round_trip_answers_with_the_tool_result(bedrock: Any) -> None:
    first = bedrock.converse(modelId=MODEL_ID, messages=[_user("weather in Seattle")], toolConfig=TOOL_CONFIG)
    tool_use = first["output"]["message"]["content"][0]["toolUse"]
    result = {"toolResult": {"toolUseId": tool_use["toolUseId"], "content": [{"text": "Rainy, 12 °C."}]}}

    second = bedrock.converse(
        modelId=MODEL_ID,
        toolConfig=TOOL_CONFIG,
        messages=[_user("weather in Seattle"), first["output"]["message"], {"role": "user", "content": [result]}],
    )

    assert (first["stopReason"], tool_use["input"]) == ("tool_use", {"city": "Seattle"})
    assert second["output"]["message"]["content"] == [{"text": "Rainy, 12 °C."}]


@pytest.mark.parametrize(
    ("messages", "extra", "message"),
    [
        ([_user("hi"), _user("hi again")], {}, MUST_ALTERNATE),
        ([_user("hi"), _assistant("hello"), _assistant("again")], {}, MUST_ALTERNATE),
        ([_assistant("hello"), _user("hi")], {}, MUST_START_WITH_USER),
        (
            [_user("hi"), _assistant(" \n"), _user("and?")],
            {},
            "The text field in the ContentBlock object at messages.1.content.0 is blank. "
            "Add text to the text field, and try again.",
        ),
        (
            [
                _user("w"),
                {
                    "role": "assistant",
                    "content": [{"toolUse": {"toolUseId": "t1", "name": "get_weather", "input": {}}}],
                },
                _user("no result"),
            ],
            {"toolConfig": TOOL_CONFIG},
            "Expected toolResult blocks at messages.2.content for the following Ids: t1",
        ),
        (
            [
                _user("w"),
                _assistant("ok"),
                {"role": "user", "content": [{"toolResult": {"toolUseId": "t9", "content": [{"text": "x"}]}}]},
            ],
            {"toolConfig": TOOL_CONFIG},
            "The number of toolResult blocks at messages.2.content exceeds the number of toolUse blocks "
            "of previous turn.",
        ),
        (
            [
                _user("w"),
                {
                    "role": "assistant",
                    "content": [{"toolUse": {"toolUseId": "t1", "name": "get_weather", "input": {}}}],
                },
                {"role": "user", "content": [{"toolResult": {"toolUseId": "t1", "content": [{"text": "x"}]}}]},
            ],
            {},
            TOOL_CONFIG_REQUIRED,
        ),
    ],
    ids=[
        "two-users",
        "two-assistants",
        "assistant-first",
        "blank-text",
        "tool-use-without-result",
        "orphan-tool-result",
        "tools-without-tool-config",
    ],
)
def test_conversation_bedrock_refuses_is_a_validation_exception(bedrock: Any, messages, extra, message) -> None:
    assert refusal(lambda: bedrock.converse(modelId=MODEL_ID, messages=messages, **extra)) == (
        400,
        "ValidationException",
        message,
    )
    assert refusal(lambda: bedrock.converse_stream(modelId=MODEL_ID, messages=messages, **extra)) == (
        400,
        "ValidationException",
        message,
    )


def test_the_same_conversation_repaired_is_accepted(bedrock: Any) -> None:
    # Control for the refusals: alternate roles, results for every tool use, tool config present.
    messages = [
        _user("w"),
        {"role": "assistant", "content": [{"toolUse": {"toolUseId": "t1", "name": "get_weather", "input": {}}}]},
        {"role": "user", "content": [{"toolResult": {"toolUseId": "t1", "content": [{"text": "Sunny."}]}}]},
    ]

    assert (
        _stream_text(bedrock.converse_stream(modelId=MODEL_ID, messages=messages, toolConfig=TOOL_CONFIG)) == "Sunny."
    )


def test_fail_the_model_is_a_model_error_exception(bedrock: Any) -> None:
    assert refusal(lambda: bedrock.converse_stream(modelId=MODEL_ID, messages=[_user("Please fail the model.")])) == (
        424,
        "ModelErrorException",
        "scripted model failure requested by the prompt",
    )


def test_malformed_body_is_a_validation_exception(stand_in: BedrockRuntimeStandIn) -> None:
    response = httpx.post(f"{stand_in.endpoint_url}/model/{MODEL_ID}/converse", content=b"{not json", timeout=10)

    assert response.status_code == 400
    assert response.headers["x-amzn-errortype"].split(":")[0] == "ValidationException"
    assert response.json()["message"].startswith("Malformed request body: ")


def test_calls_record_operation_model_and_sigv4_scope(bedrock: Any, stand_in: BedrockRuntimeStandIn) -> None:
    profile_arn = f"arn:aws:bedrock:{REGION}:123456789012:inference-profile/{MODEL_ID}"

    bedrock.converse(modelId=profile_arn, messages=[_user("recorded call")])

    assert stand_in.calls[-1] == ConverseCall(
        operation="Converse",
        model_id=profile_arn,
        signing_service="bedrock",
        signing_region=REGION,
        messages=[_user("recorded call")],
        status=200,
        access_key_id="testing",
    )


def test_meet_n_sessions_rendezvous_across_concurrent_calls(bedrock: Any) -> None:
    answers: list[str] = []

    def call() -> None:
        answers.append(_stream_text(bedrock.converse_stream(modelId=MODEL_ID, messages=[_user("meet 2 sessions")])))

    threads = [threading.Thread(target=call) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert answers == ["All 2 sessions met.", "All 2 sessions met."]


def test_bedrock_model_reaches_it_through_the_service_endpoint_variable(
    stand_in: BedrockRuntimeStandIn, endpoint_env: None
) -> None:
    agent = Agent(model=BedrockModel(model_id=MODEL_ID), callback_handler=None)

    first = str(agent("My name is John Doe.")).strip()
    second = str(agent("Do you remember my name?")).strip()

    assert (first, second) == ("Nice to meet you, John Doe.", "Your name is John Doe.")
    assert stand_in.calls[-1].messages[-1] == _user("Do you remember my name?")
    assert stand_in.calls[-1].operation == "ConverseStream"


def test_bedrock_model_weather_tool_round_trip(stand_in: BedrockRuntimeStandIn, endpoint_env: None) -> None:
    agent = Agent(model=BedrockModel(model_id=MODEL_ID), tools=list(TOOLS), callback_handler=None)

    answer = str(agent("What is the weather in Paris?")).strip()

    assert answer == "The weather in Paris is sunny, 22 °C."
    tool_turn = stand_in.calls[-1].messages[-1]["content"][0]["toolResult"]
    assert tool_turn["content"] == [{"text": "The weather in Paris is sunny, 22 °C."}]
    assert tool_turn["toolUseId"] == "tooluse_1"


def test_bedrock_model_surfaces_the_refusal_of_a_broken_history(
    stand_in: BedrockRuntimeStandIn, endpoint_env: None
) -> None:
    agent = Agent(model=BedrockModel(model_id=MODEL_ID), messages=[_user("left dangling")], callback_handler=None)

    with pytest.raises(botocore.exceptions.ClientError) as caught:
        agent("hello")

    assert caught.value.response["Error"] == {"Code": "ValidationException", "Message": MUST_ALTERNATE}
