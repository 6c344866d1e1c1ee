"""The OpenAI-compatible stub answers chat completions (plain and streamed) from the conversation it is sent."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import openai
import pytest

from local.openai_stub import OpenAIStub, start_openai_stub
from local.processes import free_port, python_module, running


@pytest.fixture(scope="module")
def stub() -> Iterator[OpenAIStub]:
    running_stub = start_openai_stub()
    yield running_stub
    running_stub.stop()


def _chat(stub: OpenAIStub, messages: list[dict], **extra) -> httpx.Response:
    return httpx.post(
        f"{stub.base_url}/chat/completions", json={"model": "bench-stub", "messages": messages, **extra}, timeout=30
    )


def _sse_payloads(text: str) -> list[str]:
    return [line[len("data: ") :] for line in text.splitlines() if line.startswith("data: ")]


def _content_deltas(text: str) -> list[str]:
    chunks = [json.loads(p) for p in _sse_payloads(text)[:-1]]
    return [c["choices"][0]["delta"]["content"] for c in chunks if c["choices"] and c["choices"][0]["delta"]]


def test_ping_answers_200(stub: OpenAIStub) -> None:
    response = httpx.get(f"{stub.server.url}/ping", timeout=5)
    assert (response.status_code, response.json()) == (200, {"status": "ok"})


def test_models_lists_the_stub(stub: OpenAIStub) -> None:
    assert httpx.get(f"{stub.base_url}/models", timeout=5).json() == {
        "object": "list",
        "data": [{"id": "stub", "object": "model", "owned_by": "agentcore-session"}],
    }


def test_plain_completion_has_openai_shape(stub: OpenAIStub) -> None:
    response = _chat(stub, [{"role": "user", "content": "My name is Ann."}])
    assert response.status_code == 200
    body = response.json()
    assert body["object"] == "chat.completion"
    assert body["model"] == "bench-stub"
    assert body["choices"] == [
        {"index": 0, "message": {"role": "assistant", "content": "Nice to meet you, Ann."}, "finish_reason": "stop"}
    ]
    assert body["usage"] == {"prompt_tokens": 4, "completion_tokens": 5, "total_tokens": 9}


def test_recall_uses_last_name_in_the_messages_it_receives(stub: OpenAIStub) -> None:
    messages = [
        {"role": "user", "content": "My name is Ann."},
        {"role": "assistant", "content": "Nice to meet you, Ann."},
        {"role": "user", "content": [{"type": "text", "text": "My name is Bob."}]},
        {"role": "assistant", "content": "Nice to meet you, Bob."},
        {"role": "user", "content": "Do you remember my name?"},
    ]
    assert _chat(stub, messages).json()["choices"][0]["message"]["content"] == "Your name is Bob."


def test_recall_without_a_name_says_so(stub: OpenAIStub) -> None:
    answer = _chat(stub, [{"role": "user", "content": "Do you remember my name?"}]).json()
    assert answer["choices"][0]["message"]["content"] == "I don't know your name."


def test_streamed_completion_is_one_delta_per_word_then_usage_then_done(stub: OpenAIStub) -> None:
    response = _chat(
        stub, [{"role": "user", "content": "My name is Ann."}], stream=True, stream_options={"include_usage": True}
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/event-stream"
    payloads = _sse_payloads(response.text)
    assert payloads[-1] == "[DONE]"
    chunks = [json.loads(p) for p in payloads[:-1]]
    assert {c["object"] for c in chunks} == {"chat.completion.chunk"}
    assert _content_deltas(response.text) == ["", "Nice ", "to ", "meet ", "you, ", "Ann."]
    assert [c["choices"][0]["finish_reason"] for c in chunks if c["choices"]][-1] == "stop"
    assert chunks[-1]["choices"] == [] and chunks[-1]["usage"]["total_tokens"] == 9


def test_one_delta_streams_the_whole_reply_at_once(tmp_path: Path) -> None:
    port = free_port()
    command = python_module("local.openai_stub", "--port", str(port), "--one-delta")  # as the benchmark runs it
    with running(command, port=port, log_path=tmp_path / "stub.log", name="openai stub") as server:
        response = httpx.post(
            f"{server.base_url}/v1/chat/completions",
            json={"messages": [{"role": "user", "content": "My name is Ann."}], "stream": True},
            timeout=30,
        )

    assert _content_deltas(response.text) == ["", "Nice to meet you, Ann."]


def test_weather_prompt_calls_the_tool_then_answers_with_its_result(stub: OpenAIStub) -> None:
    first = _chat(stub, [{"role": "user", "content": "What is the weather in Paris?"}]).json()["choices"][0]
    assert first["finish_reason"] == "tool_calls"
    call = first["message"]["tool_calls"][0]
    assert (call["type"], call["function"]["name"], json.loads(call["function"]["arguments"])) == (
        "function",
        "get_weather",
        {"city": "Paris"},
    )
    followup = [
        {"role": "user", "content": "What is the weather in Paris?"},
        {"role": "assistant", "content": None, "tool_calls": [call]},
        {"role": "tool", "tool_call_id": call["id"], "content": "The weather in Paris is sunny, 22 °C."},
    ]
    assert _chat(stub, followup).json()["choices"][0]["message"]["content"] == "The weather in Paris is sunny, 22 °C."


def test_meet_n_sessions_waits_for_its_peers_without_blocking_the_others(stub: OpenAIStub) -> None:
    answers: list[str] = []

    def meet() -> None:
        body = _chat(stub, [{"role": "user", "content": "meet 2 sessions"}]).json()
        answers.append(body["choices"][0]["message"]["content"])

    threads = [threading.Thread(target=meet) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert answers == ["All 2 sessions met."] * 2


def test_official_openai_client_streams_from_it(stub: OpenAIStub) -> None:
    client = openai.OpenAI(base_url=stub.base_url, api_key="bench")
    stream = client.chat.completions.create(
        model="bench-stub", stream=True, messages=[{"role": "user", "content": "hello there"}]
    )
    text = "".join(chunk.choices[0].delta.content or "" for chunk in stream if chunk.choices)
    client.close()
    assert text == "You said: hello there"


def test_fail_the_model_is_a_500_server_error(stub: OpenAIStub) -> None:
    response = _chat(stub, [{"role": "user", "content": "Please fail the model."}])

    assert (response.status_code, response.json()) == (
        500,
        {"error": {"message": "scripted model failure requested by the prompt", "type": "server_error"}},
    )


@pytest.mark.parametrize(("method", "path"), [("GET", "/v1/chat/completions"), ("POST", "/v1/completions")])
def test_unknown_route_is_404(stub: OpenAIStub, method: str, path: str) -> None:
    response = httpx.request(method, f"{stub.server.url}{path}", timeout=5)
    assert response.status_code == 404
    assert response.json() == {"error": {"message": f"no route {method} {path}", "type": "not_found"}}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"not json", "bad request: Expecting value: line 1 column 1 (char 0)"),
        (b'{"model": "x"}', "bad request: 'messages'"),
        (b'{"messages": "hi"}', "bad request: messages must be a list"),
    ],
)
def test_bad_request_is_400(stub: OpenAIStub, body: bytes, message: str) -> None:
    response = httpx.post(f"{stub.base_url}/chat/completions", content=body, timeout=5)
    assert response.status_code == 400
    assert response.json() == {"error": {"message": message, "type": "invalid_request_error"}}
