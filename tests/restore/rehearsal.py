"""Platform V2 offline: the deployed agent checkpointed after its first healthy /ping and restored twice from one image.

One run (:func:`rehearse`, or :func:`rehearse_concurrently`) records everything the checks in
``test_snapshot_rehearsal.py`` judge:
- the agent runs in the deployed configuration (``tests/support/deployment.py``: the dev template's environment,
  Bedrock stand-in, S3 on moto) with observability on and traces exported to a local OTLP sink, and with its AWS
  credentials from a local container-credentials endpoint (``local/container_credentials.py``) instead of static
  keys: every fetch hands out a new access key, and moto's recorder and the stand-in record which key signed
  each call;
- it is started as a session leader, checkpointed with CRIU once ``/ping`` answered and inbound connections
  closed (``local/snapshot.py``), then restored, exercised through the HTTP contract, stopped and reaped — twice,
  one after the other, from the same images, in the host namespace;
- each instance's window (from its restore to its reaping) delimits what it did: the sink's spans, the calls
  moto and the stand-in recorded, the keys the endpoint issued. Instances never overlap, so the windows are exact.

:func:`rehearse_concurrently` checkpoints the agent in a network namespace of its own (``local/netns.py``: the
stand-ins at 169.254.170.2, this host's loopback seen through slirp4netns) and restores it twice at the same time,
each instance in new PID and network namespaces, same PID and port. Both run until both have served; they serve
one after the other, so each one's window (its scenario, until its spans arrived) holds its spans, signed calls and
draws. After restore an instance does nothing unasked but fetch its credentials (no span, no signed call), and the
keys issued while both ran are the pair's: each instance's are those, and no key may sign for both.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import signal
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from local.container_credentials import ContainerCredentialsEndpoint, IssuedKey
from local.netns import GATEWAY, IsolatedNetwork, isolated_network
from local.otlp_sink import OtlpSink
from local.processes import LOOPBACK, free_port, python_module
from local.snapshot import (
    Checkpoint,
    RestoredServer,
    SnapshotError,
    checkpoint,
    remove_images,
    restore,
    start_for_snapshot,
    tcp_connections,
    wait_inbound_closed,
)
from tests.support.agent_http import invoke, new_session_id
from tests.support.deployment import Deployment

PROBE_DIR = Path(__file__).resolve().parent / "random_probe"
ALICE, BOB = "alice-sub", "bob-sub"
STARTUP_SECONDS = 90.0
RESTORE_SECONDS = 30.0
WATCHER_NOTICE = "noticed_by=<resume-watcher> | restored from a snapshot"  # agent/restore_watch.py's log line
SETTLE_SECONDS = 10.0
SERVER_SPAN_KIND = "SPAN_KIND_SERVER"
INSTANCE_ID = "service.instance.id"
STATIC_KEYS = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")
# Inside a namespace of its own the agent listens as in its image (agent/Dockerfile: HOST=0.0.0.0, PORT=8080).
NAMESPACED_HOST, NAMESPACED_PORT = "0.0.0.0", 8080
CONCURRENT_RESTORES = 2
# Spans leave within 50 ms of ending: uvicorn re-raises SIGTERM after its shutdown, so the process dies by the
# signal and the SDK's atexit flush never runs; the rehearsal waits for an instance's spans before stopping it.
TELEMETRY_ENV = {
    "OTEL_TRACES_EXPORTER": "otlp",
    "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL": "http/protobuf",
    "OTEL_METRICS_EXPORTER": "none",
    "OTEL_LOGS_EXPORTER": "none",
    "OTEL_BSP_SCHEDULE_DELAY": "50",
}


@dataclass(frozen=True)
class ReceivedSpan:
    """One span the OTLP sink received: name, ids in hex, kind, and the ``service.instance.id`` it was exported with.

    The instance id is the span's attribute of that name when it has one, else its resource's (the SDK sets the
    resource's once per PID, and a restore keeps the PID).
    """

    name: str
    trace_id: str
    span_id: str
    kind: str
    instance_id: str | None


def _strings(attributes: list[dict[str, Any]]) -> dict[str, str]:
    return {a["key"]: a["value"]["stringValue"] for a in attributes if "stringValue" in a.get("value", {})}


def received_spans(sink: OtlpSink) -> list[ReceivedSpan]:
    """Every span the sink received, in arrival order (ids arrive base64-encoded in protobuf's JSON mapping)."""
    spans = []
    for export in sink.received.of("traces"):
        for resource_spans in export.get("resourceSpans", []):
            resource = _strings(resource_spans.get("resource", {}).get("attributes", []))
            for scope_spans in resource_spans.get("scopeSpans", []):
                for span in scope_spans.get("spans", []):
                    attributes = {**resource, **_strings(span.get("attributes", []))}
                    spans.append(
                        ReceivedSpan(
                            name=span.get("name", ""),
                            trace_id=base64.b64decode(span["traceId"]).hex(),
                            span_id=base64.b64decode(span["spanId"]).hex(),
                            kind=span.get("kind", ""),
                            instance_id=attributes.get(INSTANCE_ID),
                        )
                    )
    return spans


@dataclass(frozen=True)
class Answer:
    """One invocation: HTTP status, the JSON body."""

    status: int
    body: dict[str, Any]

    @property
    def text(self) -> str | None:
        """The answer's ``response`` text (None for an error)."""
        value = self.body.get("response")
        return value if isinstance(value, str) else None


@dataclass
class Instance:
    """What one restored instance did and what was seen of it.

    ``namespaces`` are its network and PID namespaces as /proc names them, ``pid_inside`` its PID in its own.
    """

    restore_started_wall: float
    restore_to_ping_seconds: float
    connections_after_restore: list[tuple[str, str, str]]
    ping: dict[str, Any]
    pinged_at_wall: float
    namespaces: tuple[str, str]
    pid_inside: int
    remembered: list[Answer] = field(default_factory=list)
    forgot: Answer | None = None
    foreign: Answer | None = None
    random_draws: list[str] = field(default_factory=list)
    spans: list[ReceivedSpan] = field(default_factory=list, repr=False)
    signing_keys: set[str] = field(default_factory=set)
    issued_keys: list[IssuedKey] = field(default_factory=list)
    log: str = field(default="", repr=False)

    @property
    def answers(self) -> list[Answer]:
        """Every invocation of the scenario, in order."""
        return [*self.remembered, *filter(None, [self.forgot, self.foreign])]

    @property
    def request_ids(self) -> set[str]:
        """The request ids the instance answered with."""
        return {a.body["request_id"] for a in self.answers if "request_id" in a.body}


@dataclass
class Rehearsal:
    """The snapshot and the instances restored from it, oldest first."""

    snapshot_ping: dict[str, Any]
    connections_at_checkpoint: list[tuple[str, str, str]]
    spans_before_checkpoint: list[ReceivedSpan]
    issued_before_checkpoint: list[IssuedKey]
    instances: list[Instance] = field(repr=False)
    directory: Path
    peers: dict[int, str] = field(default_factory=dict)
    # Concurrent rehearsal: every instance's /ping status once the last one had served (None: one after the other).
    pings_when_all_served: list[int] | None = None

    def named(self, connections: list[tuple[str, str, str]]) -> list[str]:
        """Connections as ``<state> to <peer>``, the peer named when it is one of the rehearsal's servers."""
        named = []
        for _, remote, state in connections:
            port = int(remote.rsplit(":", 1)[1])
            named.append(f"{state} to {self.peers.get(port, remote)}")
        return sorted(named)


@dataclass(frozen=True)
class _Marks:
    """How much each recorder held at one moment (the start of an instance's window)."""

    moto_lines: int
    bedrock_calls: int
    spans: int
    issued: int
    draws: int


class _Recorders:
    """The stand-ins' recordings and the draw probe's file, cut into per-instance windows."""

    def __init__(
        self, deployment: Deployment, sink: OtlpSink, credentials: ContainerCredentialsEndpoint, draws: Path
    ) -> None:
        self.deployment, self.sink, self.credentials, self.draws = deployment, sink, credentials, draws

    def mark(self) -> _Marks:
        return _Marks(
            moto_lines=len(self._moto_lines()),
            bedrock_calls=len(self.deployment.bedrock.calls),
            spans=len(received_spans(self.sink)),
            issued=len(self.credentials.issued()),
            draws=_draw_count(self.draws),
        )

    def since(self, marks: _Marks) -> tuple[list[ReceivedSpan], set[str], list[IssuedKey]]:
        """Spans, signing access key ids (S3 and Bedrock) and issued keys after ``marks``."""
        keys = {key for line in self._moto_lines()[marks.moto_lines :] if (key := _signing_key(json.loads(line)))}
        keys |= {c.access_key_id for c in self.deployment.bedrock.calls[marks.bedrock_calls :] if c.access_key_id}
        return received_spans(self.sink)[marks.spans :], keys, self.credentials.issued()[marks.issued :]

    def _moto_lines(self) -> list[str]:
        return self.deployment.emulator.recording.read_text(encoding="utf-8").splitlines()


def _signing_key(entry: dict[str, Any]) -> str | None:
    """The access key id of a recorded request's SigV4 ``Authorization`` header (None: unsigned, e.g. health)."""
    authorization = entry["headers"].get("Authorization", "")
    marker = "Credential="
    if marker not in authorization:
        return None
    return authorization.split(marker, 1)[1].split("/", 1)[0]


def agent_environment(
    deployment: Deployment, credentials: ContainerCredentialsEndpoint, sink: OtlpSink, *, port: int, draws: Path
) -> dict[str, str]:
    """The deployed environment with credentials from the endpoint, traces to the sink and the draw probe."""
    deployed = {k: v for k, v in deployment.agent_env.items() if k not in STATIC_KEYS}
    return {
        **deployed,
        **credentials.env,
        **TELEMETRY_ENV,
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": f"{sink.url}/v1/traces",
        "PORT": str(port),
        "PATH": os.environ.get("PATH", ""),
        "PYTHONUNBUFFERED": "1",
        "PYTHONPATH": str(PROBE_DIR),
        "RANDOM_DRAW_PROBE": str(draws),
    }


def _answer(response: httpx.Response) -> Answer:
    try:
        body = response.json()
    except ValueError:
        body = {"raw": response.text}
    return Answer(status=response.status_code, body=body if isinstance(body, dict) else {"raw": body})


def _wait_for(condition: Callable[[], bool], *, timeout: float, what: str) -> None:
    """Poll ``condition`` until true; raise naming ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(0.01)


def _exercise(instance: Instance, server: RestoredServer, draws: Path) -> None:
    """The contract through HTTP: remember, forget, 403 for another user; then one draw from ``random``."""
    url, session = server.base_url, new_session_id()
    instance.remembered = [
        _answer(invoke(url, session, "My name is John Doe.", subject=ALICE)),
        _answer(invoke(url, session, "Do you remember my name?", subject=ALICE)),
    ]
    instance.forgot = _answer(invoke(url, new_session_id(), "Do you remember my name?", subject=ALICE))
    instance.foreign = _answer(invoke(url, session, "Do you remember my name?", subject=BOB))
    drawn = _draw_count(draws)
    server.child.signal(signal.SIGUSR1)
    _wait_for(lambda: _draw_count(draws) > drawn, timeout=10, what="the draw asked for by SIGUSR1")


def _draw_count(draws: Path) -> int:
    return len(draws.read_text(encoding="utf-8").splitlines()) if draws.exists() else 0


def _namespaces(pid: int) -> tuple[str, str]:
    return os.readlink(f"/proc/{pid}/ns/net"), os.readlink(f"/proc/{pid}/ns/pid")


def _pid_inside(pid: int) -> int:
    """The PID the process has in its own PID namespace (the last ``NSpid`` field of /proc/<pid>/status)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("NSpid:"):
            return int(line.split()[-1])
    raise AssertionError(f"/proc/{pid}/status has no NSpid line")


def _await_restored(server: RestoredServer, index: int, *, at_checkpoint: list[tuple[str, str, str]]) -> Instance:
    """Wait for the restored instance to notice the restore and answer /ping; record what it holds and says."""
    # Before any request: only the agent's resume watcher can notice the restore (agent/restore_watch.py).
    _wait_for(
        lambda: WATCHER_NOTICE in server.output.text(),
        timeout=RESTORE_SECONDS,
        what=f"instance {index} to log {WATCHER_NOTICE!r} with no request sent",
    )
    to_ping = server.wait_healthy(RESTORE_SECONDS)
    # A connection crosses the snapshot when CRIU restored it: same local and remote address as one the process
    # held at checkpoint. Connections opened after the restore (the clients after_restore() prepares fetch
    # credentials at once) are new by construction; the health probe's inbound one may still be closing.
    dumped = {(local, remote) for local, remote, _ in at_checkpoint}
    connections = [
        c for c in tcp_connections(server.child.pid) if not c[0].endswith(f":{server.port}") and (c[0], c[1]) in dumped
    ]
    pinged_at = time.time()
    ping = httpx.get(f"{server.base_url}/ping", timeout=10).json()
    return Instance(
        restore_started_wall=server.restore_started_wall,
        restore_to_ping_seconds=to_ping,
        connections_after_restore=connections,
        ping=ping,
        pinged_at_wall=pinged_at,
        namespaces=_namespaces(server.child.pid),
        pid_inside=_pid_inside(server.child.pid),
    )


def _serve_scenario(
    instance: Instance, server: RestoredServer, recorders: _Recorders, marks: _Marks, index: int
) -> None:
    """The scenario through HTTP, then wait until its server spans reached the sink (they are exported in 50 ms)."""
    _exercise(instance, server, recorders.draws)
    invocations = len(instance.answers)
    _wait_for(
        lambda: sum(s.kind == SERVER_SPAN_KIND for s in recorders.since(marks)[0]) >= invocations,
        timeout=SETTLE_SECONDS,
        what=f"the server spans of instance {index}'s {invocations} invocations at the OTLP sink",
    )


def _record_window(instance: Instance, recorders: _Recorders, marks: _Marks) -> None:
    """Spans, signing keys, issued keys and ``random`` draws since ``marks``, as the instance's."""
    instance.spans, instance.signing_keys, instance.issued_keys = recorders.since(marks)
    drawn = recorders.draws.read_text(encoding="utf-8").splitlines()[marks.draws :]
    instance.random_draws = [line.split(" ", 2)[2] for line in drawn]


def _restore_and_exercise(
    snapshot: Checkpoint,
    recorders: _Recorders,
    directory: Path,
    index: int,
    *,
    at_checkpoint: list[tuple[str, str, str]],
) -> Instance:
    marks = recorders.mark()
    server = restore(snapshot, log_path=directory / f"instance-{index}.log", work_dir=directory / f"restore-{index}")
    try:
        instance = _await_restored(server, index, at_checkpoint=at_checkpoint)
        _serve_scenario(instance, server, recorders, marks, index)
    finally:
        server.stop()
    _record_window(instance, recorders, marks)
    instance.log = server.output.text()
    return instance


@dataclass(frozen=True)
class _Taken:
    """The checkpoint and what was seen of the process just before it."""

    snapshot: Checkpoint
    snapshot_ping: dict[str, Any]
    connections: list[tuple[str, str, str]]
    issued_before: list[IssuedKey]
    spans_before: list[ReceivedSpan]


def _take_checkpoint(
    env: dict[str, str], port: int, recorders: _Recorders, directory: Path, network: IsolatedNetwork | None = None
) -> _Taken:
    """Start the agent, checkpoint it after its first healthy /ping once the probes' connections closed."""
    server = start_for_snapshot(
        python_module("agent"), port=port, env=env, log_path=directory / "snapshotted.log", network=network
    )
    try:
        server.wait_healthy(STARTUP_SECONDS)
        snapshot_ping = httpx.get(f"{server.base_url}/ping", headers={"Connection": "close"}, timeout=10).json()
        wait_inbound_closed(server)
        connections = tcp_connections(server.pid)
        issued_before, spans_before = recorders.credentials.issued(), received_spans(recorders.sink)
        snapshot = checkpoint(server, directory / "images")
    finally:
        server.stop()
    return _Taken(snapshot, snapshot_ping, connections, issued_before, spans_before)


def _rehearsal(taken: _Taken, recorders: _Recorders, instances: list[Instance], directory: Path) -> Rehearsal:
    deployment, credentials, sink = recorders.deployment, recorders.credentials, recorders.sink
    return Rehearsal(
        snapshot_ping=taken.snapshot_ping,
        connections_at_checkpoint=taken.connections,
        spans_before_checkpoint=taken.spans_before,
        issued_before_checkpoint=taken.issued_before,
        instances=instances,
        directory=directory,
        peers={
            deployment.emulator.server.port: "moto (S3)",
            deployment.bedrock.server.port: "the Bedrock stand-in",
            credentials.server.port: "the credentials endpoint",
            sink.server.port: "the OTLP sink",
        },
    )


def rehearse(
    deployment: Deployment,
    credentials: ContainerCredentialsEndpoint,
    sink: OtlpSink,
    directory: Path,
    *,
    restores: int = 2,
) -> Rehearsal:
    """Start the agent, checkpoint it after its first healthy /ping, restore it ``restores`` times in a row."""
    draws = directory / "random-draws.txt"
    recorders = _Recorders(deployment, sink, credentials, draws)
    port = free_port()
    env = agent_environment(deployment, credentials, sink, port=port, draws=draws)
    taken = _take_checkpoint(env, port, recorders, directory)
    taken.snapshot.wait_until_aged()  # restored later, as on V2, so the agent can notice the restore
    try:
        instances = [
            _restore_and_exercise(taken.snapshot, recorders, directory, i, at_checkpoint=taken.connections)
            for i in range(restores)
        ]
    finally:
        remove_images(taken.snapshot)  # ~110 MB per agent image
    return _rehearsal(taken, recorders, instances, directory)


def _through_gateway(env: dict[str, str]) -> dict[str, str]:
    """``env`` with every URL on this host's loopback pointed at the namespace's gateway to it."""
    return {name: value.replace(f"://{LOOPBACK}:", f"://{GATEWAY}:") for name, value in env.items()}


def _restore_at_once(snapshot: Checkpoint, networks: list[IsolatedNetwork], directory: Path) -> list[RestoredServer]:
    """One ``criu restore`` per network, all running at the same time (a thread each), from the same images.

    Raises:
        SnapshotError: a restore failed (the instances that were restored are stopped first).
    """
    with ThreadPoolExecutor(len(networks)) as pool:
        futures = [
            pool.submit(
                restore,
                snapshot,
                log_path=directory / f"instance-{i}.log",
                work_dir=directory / f"restore-{i}",
                network=network,
            )
            for i, network in enumerate(networks)
        ]
    restored, failures = [], []
    for future in futures:
        if (error := future.exception()) is None:
            restored.append(future.result())
        else:
            failures.append(error)
    if failures:
        for server in restored:
            server.stop()
        raise SnapshotError(f"{len(failures)} of {len(networks)} concurrent restores failed: {failures[0]}")
    return restored


def rehearse_concurrently(
    deployment: Deployment, credentials: ContainerCredentialsEndpoint, sink: OtlpSink, directory: Path
) -> Rehearsal:
    """Checkpoint the agent in a network namespace of its own; restore it twice at once, each in new namespaces."""
    draws = directory / "random-draws.txt"
    recorders = _Recorders(deployment, sink, credentials, draws)
    env = agent_environment(deployment, credentials, sink, port=NAMESPACED_PORT, draws=draws)
    env = _through_gateway({**env, "HOST": NAMESPACED_HOST})
    with isolated_network(directory / "network-snapshotted") as network:
        taken = _take_checkpoint(env, NAMESPACED_PORT, recorders, directory, network)
    try:
        with contextlib.ExitStack() as running:
            networks = [
                running.enter_context(isolated_network(directory / f"network-{i}")) for i in range(CONCURRENT_RESTORES)
            ]
            taken.snapshot.wait_until_aged()
            from_restore = recorders.mark()
            servers = _restore_at_once(taken.snapshot, networks, directory)
            for server in servers:
                running.callback(server.stop)  # before its network closes (callbacks run last in, first out)
            instances = [_await_restored(s, i, at_checkpoint=taken.connections) for i, s in enumerate(servers)]
            for index, (instance, server) in enumerate(zip(instances, servers, strict=True)):
                marks = recorders.mark()
                _serve_scenario(instance, server, recorders, marks, index)
                _record_window(instance, recorders, marks)
            pings = [httpx.get(f"{s.base_url}/ping", timeout=10).status_code for s in servers]
    finally:
        remove_images(taken.snapshot)
    issued_while_running = recorders.since(from_restore)[2]
    for instance, server in zip(instances, servers, strict=True):
        instance.issued_keys, instance.log = issued_while_running, server.output.text()
    rehearsal = _rehearsal(taken, recorders, instances, directory)
    rehearsal.pings_when_all_served = pings
    return rehearsal
