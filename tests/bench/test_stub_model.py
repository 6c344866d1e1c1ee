"""The benchmark's stub answers OpenAI-shaped chat completions (plain and streamed) from what it is sent."""

from __future__ import annotations

import json

import httpx
import openai
import pytest

from local.processes import ServerProcess


def _chat(stub: ServerProcess, messages: list[dict], **extra) -> httpx.Response:
    return httpx.post(
        f"{stub.base_url}/v1/chat/completions", json={"model": "bench-stub", "messages": messages, **extra}, timeout=10
    )


def _sse_payloads(text: str) -> list[str]:
    return [line[len("data: ") :] for line in text.splitlines() if line.startswith("data: ")]


def test_ping_answers_200(stub: ServerProcess) -> None:
    response = httpx.get(f"{stub.base_url}/ping", timeout=5)
    assert (response.status_code, response.json()) == (200, {"status": "ok"})


def test_plain_completion_has_openai_shape(stub: ServerProcess) -> None:
    response = _chat(stub, [{"role": "user", "content": "My name is Ann."}])
    assert response.status_code == 200
    body = response.json()
    assert body["object"] == "chat.completion"
    assert body["model"] == "bench-stub"
    assert body["choices"] == [
        {"index": 0, "message": {"role": "assistant", "content": "Nice to meet you, Ann."}, "finish_reason": "stop"}
    ]
    assert body["usage"] == {"prompt_tokens": 4, "completion_tokens": 5, "total_tokens": 9}


def test_recall_uses_last_name_in_the_messages_it_receives(stub: ServerProcess) -> None:
    messages = [
        {"role": "user", "content": "My name is Ann."},
        {"role": "assistant", "content": "Nice to meet you, Ann."},
        {"role": "user", "content": [{"type": "text", "text": "My name is Bob."}]},
        {"role": "assistant", "content": "Nice to meet you, Bob."},
        {"role": "user", "content": "Do you remember my name?"},
    ]
    assert _chat(stub, messages).json()["choices"][0]["message"]["content"] == "Your name is Bob."


def test_recall_without_a_name_says_so(stub: ServerProcess) -> None:
    answer = _chat(stub, [{"role": "user", "content": "Do you remember my name?"}]).json()
    assert answer["choices"][0]["message"]["content"] == "I don't know your name."


def test_streamed_completion_is_chunks_then_usage_then_done(stub: ServerProcess) -> None:
    response = _chat(
        stub, [{"role": "user", "content": "My name is Ann."}], stream=True, stream_options={"include_usage": True}
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/event-stream"
    payloads = _sse_payloads(response.text)
    assert payloads[-1] == "[DONE]"
    chunks = [json.loads(p) for p in payloads[:-1]]
    assert {c["object"] for c in chunks} == {"chat.completion.chunk"}
    text = "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks if c["choices"])
    assert text == "Nice to meet you, Ann."
    assert [c["choices"][0]["finish_reason"] for c in chunks if c["choices"]][-1] == "stop"
    assert chunks[-1]["choices"] == [] and chunks[-1]["usage"]["total_tokens"] == 9


def test_weather_prompt_calls_the_tool_then_answers_with_its_result(stub: ServerProcess) -> None:
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


def test_official_openai_client_streams_from_it(stub: ServerProcess) -> None:
    client = openai.OpenAI(base_url=f"{stub.base_url}/v1", api_key="bench")
    stream = client.chat.completions.create(
        model="bench-stub", stream=True, messages=[{"role": "user", "content": "hello there"}]
    )
    text = "".join(chunk.choices[0].delta.content or "" for chunk in stream if chunk.choices)
    client.close()
    assert text == "You said: hello there"


@pytest.mark.parametrize(("method", "path"), [("GET", "/v1/chat/completions"), ("POST", "/v1/completions")])
def test_unknown_route_is_404(stub: ServerProcess, method: str, path: str) -> None:
    response = httpx.request(method, f"{stub.base_url}{path}", timeout=5)
    assert response.status_code == 404
    assert response.json()["error"]["message"] == f"no route {method} {path}"


@pytest.mark.parametrize("body", [b"not json", b'{"model": "x"}', b'{"messages": "hi"}'])
def test_bad_request_is_400(stub: ServerProcess, body: bytes) -> None:
    response = httpx.post(f"{stub.base_url}/v1/chat/completions", content=body, timeout=5)
    assert response.status_code == 400
    assert response.json()["error"]["type"] == "invalid_request_error"
