"""Reading the agent's answers: SSE events through httpx-sse, the agent's event contract, and broken streams.

Normal answers come from the real agent behind the local runtime (bearer and SigV4); broken streams from an HTTP
peer, since no real part of the project sends one.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator

import boto3
import httpx
import pytest
from botocore.config import Config
from starlette.responses import Response, StreamingResponse

from client.agent_client import AgentClient
from client.errors import CliError
from client.invocation import BearerInvoker, SigV4Invoker
from client.session_book import new_session_id
from client.targets import local_target
from tests.client.client_runs import outputs_file
from tests.support.runtime_peer import RuntimePeer

MALFORMED = "runtime sent a malformed event stream"


def _event(**fields: object) -> str:
    return f"data: {json.dumps(fields)}\n\n"


def _stream(*pieces: str | bytes) -> Callable[[], Response]:
    """An event-stream answer sent in exactly these pieces (each one a separate chunk on the wire)."""

    def chunks() -> Iterator[bytes]:
        for piece in pieces:
            yield piece.encode() if isinstance(piece, str) else piece

    return lambda: StreamingResponse(chunks(), media_type="text/event-stream")


def _bearer(peer: RuntimePeer, pieces: list[str]) -> str:
    with httpx.Client() as http:
        invoker = BearerInvoker(target=peer.target, http=http)
        answer = invoker.invoke(
            prompt="hi", session_id=new_session_id(), access_token="t", stream=True, on_text=pieces.append
        )
    return answer.text


def _sigv4(peer: RuntimePeer, pieces: list[str]) -> str:
    agentcore = boto3.client(
        "bedrock-agentcore",
        region_name="us-east-1",
        endpoint_url=peer.url,
        aws_access_key_id="peer",
        aws_secret_access_key="peer",
        config=Config(retries={"total_max_attempts": 1}),
    )
    invoker = SigV4Invoker(target=peer.target, agentcore=agentcore)
    return invoker.invoke(prompt="hi", session_id=new_session_id(), stream=True, on_text=pieces.append).text


def test_streamed_answer_over_sigv4_arrives_in_several_pieces(iam_runtime):
    """The normal path of the SigV4 invoker: boto3's streaming body read by the same event reader."""
    client = AgentClient(target=local_target(iam_runtime.settings.outputs_path))
    pieces: list[str] = []
    answer = client.ask("ines", "My name is Ines Duarte.", new_session=True, on_text=pieces.append)
    assert answer.text == "Nice to meet you, Ines Duarte."
    assert pieces == ["Nice ", "to ", "meet ", "you, ", "Ines ", "Duarte."]


def test_agent_error_event_is_one_line(cli, user):
    result = cli("invoke", "Please fail the model.", "--user", user)
    assert (result.code, result.out) == (1, "")
    assert result.err == (
        "agentcore-client: agent failed: the model call failed (ScriptedModelError); "
        "see server logs for this request id (model_error)\n"
    )


@pytest.mark.parametrize("read", [_bearer, _sigv4], ids=["bearer", "sigv4"])
def test_stream_framed_by_the_sse_rules_is_read_whole(runtime_peer, read):
    """Comments, `id`/`retry` fields, CRLF and CR line ends, data split over two lines and over chunks (even
    inside a UTF-8 character): all valid SSE, and none of it may lose text."""
    peer = runtime_peer(
        _stream(
            ": keep-alive comment\n\n",
            "id: 1\r\nretry: 1000\r\n",
            'data: {"type": "delta",\r\ndata: "text": "Gr"}\r\n\r\n',
            b'data:{"type": "delta", "text": "\xc3',  # the first byte of "\u00fc"
            b'\xbc\xc3\x9f "}\r\r',
            _event(type="delta", text="Ana")[:9],
            _event(type="delta", text="Ana")[9:],
            _event(type="done", response="Grüß Ana"),
        )
    )
    pieces: list[str] = []
    assert read(peer, pieces) == "Grüß Ana"
    assert pieces == ["Gr", "üß ", "Ana"]


@pytest.mark.parametrize(
    ("pieces", "message", "shown"),
    [
        (
            (_event(type="delta", text="Hel"), "data: {not json\n\n", _event(type="done", response="Hello")),
            f"{MALFORMED}: event 2 is not JSON: '{{not json'",
            ["Hel"],
        ),
        (
            ("data: [1, 2]\n\n",),
            f"{MALFORMED}: event 1 is not an agent event (a JSON object with \"type\"): '[1, 2]'",
            [],
        ),
        (
            ('data: {"text": "Hi"}\n\n',),
            f'{MALFORMED}: event 1 is not an agent event (a JSON object with "type"): \'{{"text": "Hi"}}\'',
            [],
        ),
        (
            (_event(type="tool", name="get_weather"),),
            f"{MALFORMED}: event 1 has type 'tool', not one of delta, done, error",
            [],
        ),
        (
            (_event(type="delta", text=7),),
            f'{MALFORMED}: event 1 is a delta without "text": \'{{"type": "delta", "text": 7}}\'',
            [],
        ),
        (
            (_event(type="delta", text="Hel"),),
            f'{MALFORMED}: it ended after 1 event without the agent\'s "done" event',
            ["Hel"],
        ),
        (
            (_event(type="delta", text="Hel"), _event(type="done", response="Hello").rstrip("\n")),
            f'{MALFORMED}: it ended after 1 event without the agent\'s "done" event',
            ["Hel"],
        ),
        ((": only a comment\n\n",), f'{MALFORMED}: it ended after 0 events without the agent\'s "done" event', []),
    ],
    ids=[
        "not-json",
        "not-an-object",
        "no-type",
        "unknown-type",
        "delta-without-text",
        "no-done",
        "unterminated-done",
        "empty",
    ],
)
@pytest.mark.parametrize("read", [_bearer, _sigv4], ids=["bearer", "sigv4"])
def test_malformed_stream_fails_naming_the_event(runtime_peer, read, pieces, message, shown):
    peer = runtime_peer(_stream(*pieces))
    received: list[str] = []
    with pytest.raises(CliError) as raised:
        read(peer, received)
    assert raised.value.message == message
    assert received == shown  # what arrived before the broken event was shown, nothing after it


def test_malformed_stream_is_one_line_through_the_cli(cli, local_runtime, user, tmp_path, runtime_peer):
    peer = runtime_peer(_stream("data: <html>oops</html>\n\n"))
    path = outputs_file(tmp_path, local_runtime, InvocationBaseUrl=peer.url)
    result = cli("invoke", "hi", "--user", user, target=("--local", "--outputs-file", str(path)))
    assert (result.code, result.out) == (1, "")
    assert result.err == f"agentcore-client: {MALFORMED}: event 1 is not JSON: '<html>oops</html>'\n"
    assert peer.requests[0]["accept"] == "text/event-stream"
