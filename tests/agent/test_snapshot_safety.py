"""Platform V2 snapshot safety: ids and ``random`` differ in two processes made from one memory image, a restore
is noticed once from the clocks, and ``/ping`` then reports the restore's time, not the snapshot's.

The twins are made by a raw libc ``fork()`` in a subprocess (``tests/agent/snapshot_twins.py``), which, like a
restore, runs none of CPython's or OpenTelemetry's after-fork hooks; the unsafe run shows the problem is real.
"""

from __future__ import annotations

import contextlib
import json
import queue
import random
import subprocess
import sys
import threading
import time
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route, WebSocketRoute
from starlette.testclient import TestClient
from starlette.websockets import WebSocket

from agent.app import create_app
from agent.health import Health
from agent.lifecycle import AgentLifecycle, RequestsInFlight
from agent.restore_watch import JUMP_SECONDS, RestoreDetector, RestoreWatch, ResumeWatcher, sleep_until_wall_clock
from agent.settings import Settings
from tests.support.agent_http import new_session_id
from tests.support.agentcore_headers import SESSION_HEADER
from tests.support.scripted_model import ScriptedModel, SharedScriptedModel

TWINS_TIMEOUT_SECONDS = 120  # bounds a hung child only


def _twins(mode: str) -> tuple[dict[str, Any], dict[str, Any]]:
    done = subprocess.run(
        [sys.executable, "-m", "tests.agent.snapshot_twins", mode],
        capture_output=True,
        text=True,
        timeout=TWINS_TIMEOUT_SECONDS,
        check=True,
    )
    drawn = json.loads(done.stdout)
    return drawn["parent"], drawn["child"]


def test_without_the_fix_twins_share_span_ids_trace_ids_and_random_draws():
    parent, child = _twins("unsafe")

    assert parent["span_id"] == child["span_id"]
    assert parent["trace_id"][8:] == child["trace_id"][8:]  # all but X-Ray's time prefix
    assert parent["random"] == child["random"]


def test_with_the_fix_twins_draw_their_own_ids_instance_ids_and_random_numbers():
    parent, child = _twins("safe")

    assert parent["span_id"] != child["span_id"]
    assert parent["trace_id"][8:] != child["trace_id"][8:]
    assert parent["instance_id"] != child["instance_id"]
    assert parent["instance_id"] is not None and child["instance_id"] is not None
    assert parent["random"] != child["random"]
    for twin in (parent, child):  # X-Ray format kept: the first 32 bits are the Unix time in seconds
        assert twin["time_before"] <= int(twin["trace_id"][:8], 16) <= twin["time_after"]


class Clocks:
    """A wall clock and a monotonic clock the test moves."""

    def __init__(self) -> None:
        self.wall, self.monotonic = 1_800_000_000.0, 500.0

    def run(self, seconds: float) -> None:
        """Both advance: the process runs."""
        self.wall += seconds
        self.monotonic += seconds

    def restore_after(self, seconds: float) -> None:
        """Only the wall clock advances: the image was frozen that long."""
        self.wall += seconds


@pytest.fixture
def clocks() -> Clocks:
    return Clocks()


def _detector(clocks: Clocks) -> RestoreDetector:
    return RestoreDetector(wall=lambda: clocks.wall, monotonic=lambda: clocks.monotonic)


def test_a_restore_is_noticed_once(clocks):
    detector = _detector(clocks)
    clocks.run(600)
    running = detector.restored()
    clocks.restore_after(3600)

    assert running is False
    assert [detector.restored(), detector.restored()] == [True, False]
    assert detector.generation == 1


def test_a_frozen_spell_shorter_than_the_threshold_or_a_clock_stepped_back_is_no_restore(clocks):
    detector = _detector(clocks)
    clocks.restore_after(JUMP_SECONDS / 2)
    short = detector.restored()
    clocks.wall -= 3600  # stepped back by an hour
    back = detector.restored()
    clocks.restore_after(JUMP_SECONDS * 2)  # measured from the new baseline

    assert [short, back, detector.restored()] == [False, False, True]


def test_ping_reports_the_restore_time_once_and_keeps_it(clocks):
    health = Health(clock=lambda: clocks.wall)
    renewed: list[int] = []

    def after_restore() -> None:
        renewed.append(1)
        health.stamp()

    app = Starlette(
        routes=[Route("/ping", health.ping)],
        middleware=[
            Middleware(
                RestoreWatch,
                detector=_detector(clocks),
                after_restore=after_restore,
                serving=RequestsInFlight().serving,
            )
        ],
    )
    with TestClient(app) as client:
        at_startup = client.get("/ping").json()
        clocks.run(30)
        before_snapshot = client.get("/ping").json()
        clocks.restore_after(86_400)
        after_restore_ping = client.get("/ping").json()
        clocks.run(30)
        later = client.get("/ping").json()

    assert at_startup == before_snapshot == {"status": "Healthy", "time_of_last_update": 1_800_000_000}
    assert after_restore_ping == later == {"status": "Healthy", "time_of_last_update": 1_800_000_000 + 30 + 86_400}
    assert renewed == [1]


def test_the_app_renews_instance_state_once_when_its_first_request_after_a_restore_arrives(clocks, tmp_path):
    """The real app (startup included), in-process, on clocks the test moves: a restore between two requests."""
    settings = Settings(session_store="none", session_dir=tmp_path)
    lifecycle = AgentLifecycle(settings, health=Health(clock=lambda: clocks.wall), detector=_detector(clocks))
    model = ScriptedModel()
    app = create_app(settings, model_factory=lambda: model, lifecycle=lifecycle)
    with TestClient(app) as client:
        before = client.get("/ping").json()
        instance_before, random_before = lifecycle.telemetry.instance_ids.instance_id, random.getstate()
        clocks.restore_after(86_400)
        answer = client.post(
            "/invocations", json={"prompt": "My name is Restored."}, headers={SESSION_HEADER: new_session_id()}
        )
        instance_after, random_after = lifecycle.telemetry.instance_ids.instance_id, random.getstate()
        clocks.run(5)
        after = client.get("/ping").json()

    assert answer.status_code == 200 and answer.json()["response"] == "Nice to meet you, Restored."
    assert after["time_of_last_update"] - before["time_of_last_update"] == 86_400
    assert instance_after != instance_before
    assert random_after != random_before
    assert lifecycle.detector.generation == 1


PREPARE_JOIN_SECONDS = 30.0  # bounds a hung preparation only


def test_the_first_ping_after_a_restore_prepares_the_clients_and_nothing_before_it(clocks, tmp_path):
    """Clients (here the model, which builds the Bedrock client) are built once, right after the restore is
    noticed on a ``/ping``; pings before the snapshot build none, and the invocation after it builds no more."""
    settings = Settings(session_store="none", session_dir=tmp_path)
    lifecycle = AgentLifecycle(settings, health=Health(clock=lambda: clocks.wall), detector=_detector(clocks))
    model_factory = SharedScriptedModel()
    built = model_factory.built
    app = create_app(settings, model_factory=model_factory, lifecycle=lifecycle)
    with TestClient(app) as client:
        client.get("/ping")
        before_snapshot = (len(built), lifecycle.preparing)
        clocks.restore_after(86_400)
        client.get("/ping")
        preparing = lifecycle.preparing
        assert preparing is not None
        preparing.join(PREPARE_JOIN_SECONDS)
        prepared = len(built)
        answer = client.post(
            "/invocations", json={"prompt": "My name is Restored."}, headers={SESSION_HEADER: new_session_id()}
        )

    assert before_snapshot == (0, None)
    assert prepared == 1 and not preparing.is_alive()
    assert answer.status_code == 200 and len(built) == 1
    assert lifecycle.preparing is preparing  # one preparation per restore


def test_a_failed_preparation_is_left_to_the_request_that_needs_it(clocks, tmp_path):
    settings = Settings(session_store="none", session_dir=tmp_path)
    lifecycle = AgentLifecycle(settings, health=Health(clock=lambda: clocks.wall), detector=_detector(clocks))
    calls: list[str] = []

    def model_factory() -> ScriptedModel:
        calls.append("model")
        if len(calls) == 1:
            raise ConnectionError("credentials endpoint unreachable")
        return ScriptedModel()

    app = create_app(settings, model_factory=model_factory, lifecycle=lifecycle)
    with TestClient(app) as client:
        clocks.restore_after(86_400)
        ping = client.get("/ping")
        assert lifecycle.preparing is not None
        lifecycle.preparing.join(PREPARE_JOIN_SECONDS)
        answer = client.post(
            "/invocations", json={"prompt": "My name is Restored."}, headers={SESSION_HEADER: new_session_id()}
        )

    assert ping.status_code == 200
    assert answer.status_code == 200 and calls == ["model", "model"]


def test_after_a_restore_the_clients_are_built_first_and_warmed_only_while_no_request_is_served(clocks, tmp_path):
    """A warm-up is work the request does itself as it goes; done alongside it, it only competes for the
    interpreter. So warm-ups run while nothing is served and stop at the first request, builds always run."""
    lifecycle = AgentLifecycle(Settings(session_store="none", session_dir=tmp_path), detector=_detector(clocks))
    steps: list[str] = []
    request = contextlib.ExitStack()

    def first_warm_up() -> None:
        steps.append("warm 1")
        request.enter_context(lifecycle.requests.serving())  # a request arrives while the first warm-up runs

    lifecycle.prepare_after_restore(
        builds=[lambda: steps.append("build")], warm_ups=[first_warm_up, lambda: steps.append("warm 2")]
    )
    outcomes = []
    for served_at_restore in (False, True):
        clocks.restore_after(86_400)
        with lifecycle.requests.serving() if served_at_restore else contextlib.nullcontext():
            assert lifecycle.notice_restore()
            assert lifecycle.preparing is not None
            lifecycle.preparing.join(PREPARE_JOIN_SECONDS)
        request.close()
        outcomes.append(list(steps))
        steps.clear()

    assert outcomes == [["build", "warm 1"], ["build"]]
    assert not lifecycle.requests.any()


def test_every_request_but_ping_counts_as_served_while_it_is_handled_even_when_it_fails():
    requests = RequestsInFlight()
    seen: dict[str, bool] = {}

    async def record(request: Request) -> PlainTextResponse:
        seen[request.url.path] = requests.any()
        if request.url.path == "/fails":
            raise RuntimeError("handler failed")
        return PlainTextResponse("ok")

    async def websocket(socket: WebSocket) -> None:
        seen["/ws"] = requests.any()
        await socket.accept()
        await socket.close()

    app = Starlette(
        routes=[
            Route("/ping", record),
            Route("/invocations", record, methods=["POST"]),
            Route("/fails", record),
            WebSocketRoute("/ws", websocket),
        ],
        middleware=[
            Middleware(RestoreWatch, detector=RestoreDetector(), after_restore=lambda: None, serving=requests.serving)
        ],
    )
    with TestClient(app, raise_server_exceptions=False) as client:
        statuses = [client.get("/ping").status_code, client.post("/invocations").status_code]
        statuses.append(client.get("/fails").status_code)
        with client.websocket_connect("/ws"):
            pass

    assert statuses == [200, 200, 500]
    assert seen == {"/ping": False, "/invocations": True, "/fails": True, "/ws": True}
    assert not requests.any()


WAKE_SECONDS = 30.0  # bounds a hung watcher only


def test_the_watcher_notices_a_restore_with_no_request_and_the_next_ping_reports_it(clocks, tmp_path):
    """The watcher's wake-ups (released by the test, as the wall-clock deadline would) run after_restore once,
    before any request: the clients are prepared, and the first ping after it neither notices it again nor
    reports the snapshot's time. A wake-up without a restore does nothing."""
    settings = Settings(session_store="none", session_dir=tmp_path)
    lifecycle = AgentLifecycle(settings, health=Health(clock=lambda: clocks.wall), detector=_detector(clocks))
    model_factory = SharedScriptedModel()
    built = model_factory.built
    app = create_app(settings, model_factory=model_factory, lifecycle=lifecycle)
    wake: queue.Queue[None] = queue.Queue()
    noticed: queue.Queue[bool] = queue.Queue()
    watcher = ResumeWatcher(
        notice=lambda: noticed.put(lifecycle.notice_restore()),
        sleep_until=lambda deadline: wake.get(timeout=WAKE_SECONDS),
        wall=lambda: clocks.wall,
    ).start()
    try:
        wake.put(None)
        running = noticed.get(timeout=WAKE_SECONDS)
        clocks.restore_after(86_400)
        wake.put(None)
        restored = noticed.get(timeout=WAKE_SECONDS)
        assert lifecycle.preparing is not None
        lifecycle.preparing.join(PREPARE_JOIN_SECONDS)
        with TestClient(app) as client:
            ping = client.get("/ping").json()
    finally:
        watcher.stop()
        wake.put(None)

    assert [running, restored] == [False, True]
    assert ping == {"status": "Healthy", "time_of_last_update": 1_800_000_000 + 86_400}
    assert lifecycle.detector.generation == 1 and len(built) == 1


def test_the_wall_clock_sleep_ends_at_its_deadline_and_at_once_when_it_is_past():
    deadline = time.time() + 0.05
    sleep_until_wall_clock(deadline)
    woke_at = time.time()
    past = threading.Thread(target=sleep_until_wall_clock, args=(time.time() - 86_400,))
    past.start()
    past.join(WAKE_SECONDS)

    assert woke_at >= deadline
    assert not past.is_alive()
