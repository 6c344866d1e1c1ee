"""A local OTLP/HTTP trace sink: receives the spans an agent exports and keeps their ids and resource.

WHY: with ``AGENT_OBSERVABILITY_ENABLED=true`` (the deployed default) the agent exports spans through the OTLP
exporter; pointed here (``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT``), every exported span's trace id, span id and the
exporting process's ``service.instance.id`` can be compared across instances restored from one snapshot.
Wire format: OTLP/HTTP, ``POST /v1/traces`` with a binary protobuf ``ExportTraceServiceRequest``, answered by an
empty ``ExportTraceServiceResponse`` (OpenTelemetry protocol specification, "OTLP/HTTP").
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from local.http_server import BackgroundServer

TRACES_PATH = "/v1/traces"
PROTOBUF = "application/x-protobuf"


@dataclass(frozen=True)
class ReceivedSpan:
    """One exported span: ids in hex, name, kind (OTLP enum value), resource attributes, arrival time."""

    trace_id: str
    span_id: str
    name: str
    kind: int
    resource: dict[str, str]
    received_at: float


@dataclass
class OtlpSink:
    """The sink's server and what it received, in arrival order."""

    server: BackgroundServer | None = None
    _spans: list[ReceivedSpan] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def traces_endpoint(self) -> str:
        """The URL to give as ``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT``."""
        assert self.server is not None
        return f"{self.server.url}{TRACES_PATH}"

    def spans(self) -> list[ReceivedSpan]:
        """Every span received so far, oldest first."""
        with self._lock:
            return list(self._spans)

    async def receive(self, request: Request) -> Response:
        """Decode one export request; 400 for a body that is not an ExportTraceServiceRequest."""
        export = ExportTraceServiceRequest()
        try:
            export.ParseFromString(await request.body())
        except Exception:  # protobuf's DecodeError; anything undecodable is the exporter's mistake
            return Response(b"not an ExportTraceServiceRequest", status_code=400, media_type="text/plain")
        now = time.time()
        received = [
            ReceivedSpan(
                trace_id=span.trace_id.hex(),
                span_id=span.span_id.hex(),
                name=span.name,
                kind=span.kind,
                resource={a.key: a.value.string_value for a in resource_spans.resource.attributes},
                received_at=now,
            )
            for resource_spans in export.resource_spans
            for scope_spans in resource_spans.scope_spans
            for span in scope_spans.spans
        ]
        with self._lock:
            self._spans.extend(received)
        return Response(ExportTraceServiceResponse().SerializeToString(), media_type=PROTOBUF)

    def stop(self) -> None:
        """Stop serving."""
        if self.server is not None:
            self.server.stop()


def start_otlp_sink() -> OtlpSink:
    """Serve the sink on a free port of 127.0.0.1 in a background thread."""
    sink = OtlpSink()
    sink.server = BackgroundServer(Starlette(routes=[Route(TRACES_PATH, sink.receive, methods=["POST"])]))
    return sink
