"""Two processes from one memory image, without CPython's after-fork hooks: a stand-in for two V2 restores.

``python -m tests.agent.snapshot_twins safe|unsafe`` sets up telemetry as aws-opentelemetry-distro does (an SDK
``TracerProvider`` with ``AwsXRayIdGenerator``), then, before any thread exists, forks through libc directly
(``ctypes``), which skips ``os.register_at_fork`` hooks: CPython's reseeding of ``random`` and the
OpenTelemetry SDK's renewal of ``service.instance.id``. Each twin then starts a span and draws from ``random``
and prints what it got as one JSON line: ``{"parent": {...}, "child": {...}}``. With ``safe`` the agent's
startup (``SnapshotSafeTelemetry.install``) runs before the fork and its ``after_restore`` in the child.
"""

from __future__ import annotations

import ctypes
import json
import os
import random
import sys
import threading
import time
from typing import Any

from opentelemetry import trace
from opentelemetry.sdk.extension.aws.trace import AwsXRayIdGenerator
from opentelemetry.sdk.trace import TracerProvider

from agent.lifecycle import AgentLifecycle
from agent.settings import Settings
from agent.telemetry_ids import INSTANCE_ID_ATTRIBUTE


def _draw(tracer: trace.Tracer) -> dict[str, Any]:
    before = int(time.time())
    with tracer.start_as_current_span("turn") as span:
        context = span.get_span_context()
        attributes = dict(span.attributes or {})  # type: ignore[attr-defined]  # an SDK span
    return {
        "trace_id": f"{context.trace_id:032x}",
        "span_id": f"{context.span_id:016x}",
        "instance_id": attributes.get(INSTANCE_ID_ATTRIBUTE),
        "random": random.random(),
        "time_before": before,
        "time_after": int(time.time()),
    }


def main() -> None:
    """Set up, fork raw, draw in both, print both."""
    safe = sys.argv[1] == "safe"
    trace.set_tracer_provider(TracerProvider(id_generator=AwsXRayIdGenerator()))
    lifecycle = AgentLifecycle(Settings())
    if safe:
        lifecycle.telemetry.install()
    tracer = trace.get_tracer("twins")
    assert threading.active_count() == 1, "fork only before any thread starts"
    read_end, write_end = os.pipe()
    pid = ctypes.CDLL(None, use_errno=True).fork()
    if pid == 0:
        if safe:
            lifecycle.after_restore()
        os.write(write_end, json.dumps(_draw(tracer)).encode())
        os._exit(0)
    os.close(write_end)
    parent = _draw(tracer)
    with os.fdopen(read_end, "rb") as pipe:
        child = json.loads(pipe.read())
    os.waitpid(pid, 0)
    print(json.dumps({"parent": parent, "child": child}))


if __name__ == "__main__":
    main()
