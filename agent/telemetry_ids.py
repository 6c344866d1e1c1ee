"""Trace ids, span ids and the instance id that differ in every instance restored from one snapshot.

With observability on, aws-opentelemetry-distro builds the tracer provider at interpreter start with
``AwsXRayIdGenerator`` (opentelemetry-sdk-extension-aws 2.1 ``trace/aws_xray_id_generator.py``), which draws
from Python's ``random``; the SDK's ``RandomIdGenerator`` does too. ``random``'s state is part of a platform V2
snapshot, so every restored instance would emit the same span ids and trace ids differing only in their time
prefix. :class:`SnapshotSafeIdGenerator` draws from ``os.urandom`` (the kernel's generator, which a VM
generation change or a CRIU restore does not replay) and keeps X-Ray's format: the first 32 bits of a trace id
are the Unix time in seconds (X-Ray developer guide, "Sending trace data", trace id format).

It is given to the provider through the SDK's public ``TracerProvider.id_generator`` attribute (opentelemetry-sdk
1.44 ``trace/__init__.py``: every ``get_tracer`` passes it to the new tracer) at startup, before the app and
Strands ask for their tracers. Tracers that instrumentations took earlier (botocore's, httpx's) keep the
distro's generator; ``random`` is reseeded after a restore (``agent/lifecycle.py``) so they differ too.

``service.instance.id``: the SDK puts one in the provider's resource at startup and renews it only when the
PID changes (``ServiceInstanceIdResourceDetector``), which a restore does not; the resource cannot be replaced
through public API. :class:`InstanceIdSpanProcessor` therefore stamps every span with the instance id as a span
attribute of the same name, renewed after each restore. AgentCore's own views tell sessions apart by the
``session.id`` span attribute (one session = one microVM on V2), which the agent sets on every agent span.
"""

from __future__ import annotations

import logging
import os
import time
import uuid
from typing import Any

from opentelemetry import context, trace
from opentelemetry.sdk.trace import ReadableSpan, Span, SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.id_generator import IdGenerator

logger = logging.getLogger(__name__)

INSTANCE_ID_ATTRIBUTE = "service.instance.id"


class SnapshotSafeIdGenerator(IdGenerator):
    """X-Ray-format ids from ``os.urandom``: 32 bits of Unix time and 96 random bits; random 64-bit span ids."""

    def generate_span_id(self) -> int:
        span_id = 0
        while span_id == trace.INVALID_SPAN_ID:
            span_id = int.from_bytes(os.urandom(8), "big")
        return span_id

    def generate_trace_id(self) -> int:
        return (int(time.time()) << 96) | int.from_bytes(os.urandom(12), "big")


class InstanceIdSpanProcessor(SpanProcessor):
    """Stamps ``service.instance.id`` (a UUID4, renewed by :meth:`renew`) on every span as it starts."""

    def __init__(self) -> None:
        self.instance_id = str(uuid.uuid4())

    def renew(self) -> None:
        """A new instance id: called after a restore."""
        self.instance_id = str(uuid.uuid4())

    def on_start(self, span: Span, parent_context: context.Context | None = None) -> None:
        span.set_attribute(INSTANCE_ID_ATTRIBUTE, self.instance_id)

    def on_end(self, span: ReadableSpan) -> None:
        return None


class SnapshotSafeTelemetry:
    """What startup installs on the global tracer provider and what ``after_restore`` renews."""

    def __init__(self) -> None:
        self.instance_ids = InstanceIdSpanProcessor()
        self.installed = False

    def install(self) -> None:
        """Give the SDK tracer provider (when telemetry is on) the safe id generator and the instance stamp."""
        provider = trace.get_tracer_provider()
        if not isinstance(provider, TracerProvider):
            return  # telemetry is off: the API's no-op provider makes no ids
        # Declared by the SDK as the generator its constructor chose (RandomIdGenerator); any IdGenerator works.
        sdk_provider: Any = provider
        sdk_provider.id_generator = SnapshotSafeIdGenerator()
        provider.add_span_processor(self.instance_ids)
        self.installed = True
        logger.debug("instance_id=<%s> | snapshot-safe trace ids installed", self.instance_ids.instance_id)

    def after_restore(self) -> None:
        """A new instance id for this restored instance."""
        self.instance_ids.renew()
