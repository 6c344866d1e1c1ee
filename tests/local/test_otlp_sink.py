"""The OTLP sink accepts an export and refuses a longer body after reading no more of it than its limit."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)

from local.otlp_sink import MAX_BODY_BYTES, PROTOBUF, Received, create_app

HEADERS = {"content-type": PROTOBUF}


def _post(body: bytes | AsyncIterator[bytes]) -> httpx.Response:
    """POST to the sink's app in process (httpx's ASGI transport hands the app the body chunk by chunk)."""

    async def post() -> httpx.Response:
        transport = httpx.ASGITransport(app=create_app(Received()))
        async with httpx.AsyncClient(transport=transport, base_url="http://sink") as client:
            return await client.post("/v1/traces", content=body, headers=HEADERS)

    return asyncio.run(post())


def test_an_export_within_the_limit_is_answered_with_the_empty_response() -> None:
    response = _post(ExportTraceServiceRequest().SerializeToString())

    assert response.status_code == 200
    assert response.content == ExportTraceServiceResponse().SerializeToString()


def test_a_longer_chunked_body_is_refused_before_the_rest_is_read() -> None:
    sent: list[int] = []

    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: only reading tells the length
        for size in (MAX_BODY_BYTES + 1, *([1024] * 10)):
            sent.append(size)
            yield b"\0" * size

    response = _post(chunks())

    assert response.status_code == 413
    assert response.json() == {
        "error": f"export body is longer than {MAX_BODY_BYTES} bytes",
        "message": f"export body is longer than {MAX_BODY_BYTES} bytes",
    }
    assert sent == [MAX_BODY_BYTES + 1]
