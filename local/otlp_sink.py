"""A local OTLP/HTTP collector: receives what the agent's OpenTelemetry exporters send and keeps it for inspection.

Serves OTLP/HTTP with protobuf bodies (OTLP specification, "OTLP/HTTP": ``POST /v1/traces``, ``/v1/logs``,
``/v1/metrics``, ``Content-Type: application/x-protobuf``, optionally ``Content-Encoding: gzip``), decodes them
with the ``opentelemetry-proto`` messages (``ExportTraceServiceRequest`` and friends) and answers with the empty
export response, as a collector does. Point the agent at it with ``OTEL_EXPORTER_OTLP_ENDPOINT=<url>`` (the
exporters append ``/v1/<signal>``). Tests read the decoded spans and log records, and :meth:`OtlpSink.texts`
gives every string the agent exported, to check what leaves the process (e.g. that prompts do not).

``python -m local.otlp_sink --port N`` serves until terminated and prints one JSON line per export request.
"""

from __future__ import annotations

import argparse
import json
import threading
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from google.protobuf.json_format import MessageToDict  # type: ignore[import-untyped]
from google.protobuf.message import DecodeError, Message  # type: ignore[import-untyped]
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest, ExportLogsServiceResponse
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
    ExportMetricsServiceResponse,
)
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from local.http_server import BackgroundServer
from local.processes import LOOPBACK
from local.request_body import BodyTooLargeError, read_body

PROTOBUF = "application/x-protobuf"
MAX_BODY_BYTES = 32 * 1024 * 1024  # a batch of 512 spans with large attributes fits many times over
TOO_LONG = f"export body is longer than {MAX_BODY_BYTES} bytes"
SIGNALS: dict[str, tuple[type[Message], type[Message]]] = {
    "traces": (ExportTraceServiceRequest, ExportTraceServiceResponse),
    "logs": (ExportLogsServiceRequest, ExportLogsServiceResponse),
    "metrics": (ExportMetricsServiceRequest, ExportMetricsServiceResponse),
}


@dataclass
class Received:
    """Every decoded export request, by signal (as protobuf JSON mapping), in arrival order."""

    requests: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: {signal: [] for signal in SIGNALS})
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, signal: str, decoded: dict[str, Any]) -> None:
        with self.lock:
            self.requests[signal].append(decoded)

    def of(self, signal: str) -> list[dict[str, Any]]:
        with self.lock:
            return list(self.requests[signal])


def create_app(received: Received) -> Starlette:
    """The collector's routes, one per signal."""

    def route(signal: str) -> Route:
        request_type, response_type = SIGNALS[signal]

        async def export(request: Request) -> Response:
            if request.headers.get("content-type", "").split(";")[0].strip() != PROTOBUF:
                return _error(415, f"send {PROTOBUF}; OTLP/JSON is not served here")
            try:  # read only up to the limit: a longer body is refused before it is all in memory
                body = await read_body(request, MAX_BODY_BYTES)
            except BodyTooLargeError:
                return _error(413, TOO_LONG)
            if request.headers.get("content-encoding") == "gzip":
                # Bounded: at most one byte more than the limit is ever inflated.
                body = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(body, MAX_BODY_BYTES + 1)
            if len(body) > MAX_BODY_BYTES:
                return _error(413, TOO_LONG)
            message = request_type()
            try:
                message.ParseFromString(body)
            except DecodeError:
                return _error(400, f"body is not an {request_type.__name__}")
            received.add(signal, MessageToDict(message))
            return Response(response_type().SerializeToString(), media_type=PROTOBUF)

        return Route(f"/v1/{signal}", export, methods=["POST"])

    async def ping(request: Request) -> Response:
        return JSONResponse({"status": "Healthy"})

    return Starlette(routes=[*(route(signal) for signal in SIGNALS), Route("/ping", ping)])


def _error(status: int, message: str) -> Response:
    return JSONResponse({"error": message, "message": message}, status_code=status)


@dataclass
class OtlpSink:
    """The sink serving in a background thread; ``url`` is the ``OTEL_EXPORTER_OTLP_ENDPOINT``."""

    server: BackgroundServer
    received: Received

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>``."""
        return self.server.url

    def spans(self) -> list[dict[str, Any]]:
        """Every span received so far (protobuf JSON mapping: ``name``, ``attributes``, ``events``, …)."""
        return [
            span
            for request in self.received.of("traces")
            for resource_spans in request.get("resourceSpans", [])
            for scope_spans in resource_spans.get("scopeSpans", [])
            for span in scope_spans.get("spans", [])
        ]

    def log_records(self) -> list[dict[str, Any]]:
        """Every log record received so far."""
        return [
            record
            for request in self.received.of("logs")
            for resource_logs in request.get("resourceLogs", [])
            for scope_logs in resource_logs.get("scopeLogs", [])
            for record in scope_logs.get("logRecords", [])
        ]

    def texts(self) -> list[str]:
        """Every string value in everything received: names, attribute values, bodies, resource attributes."""
        return [text for signal in SIGNALS for request in self.received.of(signal) for text in _strings(request)]

    def stop(self) -> None:
        """Stop serving."""
        self.server.stop()


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def start_otlp_sink(port: int = 0, host: str = LOOPBACK) -> OtlpSink:
    """Serve the sink on ``host:port`` (0 picks a free port) in a background thread."""
    received = Received()
    return OtlpSink(server=BackgroundServer(create_app(received), port=port, host=host), received=received)


def main() -> None:
    """Serve on HOST:PORT until terminated, printing a summary line per export request."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--host", default=LOOPBACK)
    args = parser.parse_args()

    import uvicorn

    class Printing(Received):
        def add(self, signal: str, decoded: dict[str, Any]) -> None:
            super().add(signal, decoded)
            print(json.dumps({"signal": signal, "export": decoded}), flush=True)

    uvicorn.run(create_app(Printing()), host=args.host, port=args.port, log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
