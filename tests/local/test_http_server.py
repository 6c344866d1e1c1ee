"""The front door's server sheds idle, slow and surplus connections (local/http_server.py).

It serves the real front door (the session fixture's authorizer and recording upstream) with short limits.
Every wait ends when the server answers or closes a connection; the timeouts under test are the server's.
"""

from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import sys
from collections.abc import Iterator
from urllib.parse import quote

import httpx
import pytest

from local.front_door import FrontDoorConfig, create_front_door
from local.http_server import BackgroundServer
from local.processes import listening_addresses, python_module
from tests.local.runtime_values import ENDPOINT, RUNTIME_ARN
from tests.support.agentcore_headers import SESSION_HEADER
from tests.support.local_banner import read_banner
from tests.support.paths import REPO
from tests.support.raw_connections import HALF_HEAD, connect, read_until_closed, response_parts


@pytest.fixture
def strict_front_door(jwt_authorizer, upstream) -> Iterator[BackgroundServer]:
    config = FrontDoorConfig(runtime_arn=RUNTIME_ARN, endpoint_name=ENDPOINT, upstream_url=upstream.server.url)
    server = BackgroundServer(
        create_front_door(config=config, authorizer=jwt_authorizer),
        header_timeout_seconds=1,
        body_timeout_seconds=1,
        max_connections=8,
    )
    yield server
    server.stop()


def test_idle_and_half_sent_connections_are_closed(strict_front_door):
    idle, half_sent = connect(strict_front_door.url), connect(strict_front_door.url, HALF_HEAD)

    assert read_until_closed(idle) == b""
    assert read_until_closed(half_sent) == b""
    assert httpx.get(f"{strict_front_door.url}/ping").json() == {"status": "Healthy"}


def test_connection_over_the_limit_is_refused_with_503(jwt_authorizer, upstream):
    config = FrontDoorConfig(runtime_arn=RUNTIME_ARN, endpoint_name=ENDPOINT, upstream_url=upstream.server.url)
    server = BackgroundServer(
        create_front_door(config=config, authorizer=jwt_authorizer), max_connections=8, header_timeout_seconds=600
    )
    try:
        held = [connect(server.url) for _ in range(8)]
        status, headers, body = response_parts(read_until_closed(connect(server.url)))
        for connection in held:
            connection.close()
        assert status == b"HTTP/1.1 503 Service Unavailable" and headers["retry-after"] == "1"
        message = "the server already has 8 open connections, its limit; retry later"
        assert body == {"error": message, "code": "too_many_connections", "message": message}
        assert headers["x-amzn-errortype"] == "RuntimeClientError"
        assert httpx.get(f"{server.url}/ping").status_code == 200
    finally:
        server.stop()


def test_body_that_stops_arriving_is_408(strict_front_door, upstream, tokens):
    upstream.calls.clear()
    path = f"/runtimes/{quote(RUNTIME_ARN, safe='')}/invocations?qualifier={ENDPOINT}"
    head = (
        f"POST {path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 100\r\n"
        f"Authorization: Bearer {tokens['AccessToken']}\r\n{SESSION_HEADER}: session-{'x' * 40}\r\n\r\n"
    )

    status, headers, body = response_parts(read_until_closed(connect(strict_front_door.url, head.encode() + b"{")))

    assert status == b"HTTP/1.1 408 Request Timeout" and headers["connection"] == "close"
    message = "the request body did not arrive within 1 seconds"
    assert body == {"error": message, "code": "request_timeout", "message": message}
    assert headers["x-amzn-errortype"] == "ValidationException"
    assert upstream.calls == []


def test_complete_request_is_forwarded(strict_front_door, tokens):
    url = f"{strict_front_door.url}/runtimes/{quote(RUNTIME_ARN, safe='')}/invocations?qualifier={ENDPOINT}"
    headers = {"Authorization": f"Bearer {tokens['AccessToken']}", SESSION_HEADER: f"session-{'y' * 40}"}

    assert httpx.post(url, headers=headers, json={"prompt": "hi"}).json() == {"response": "echo: hi"}


def test_front_door_listens_on_the_given_host(jwt_authorizer, upstream):
    config = FrontDoorConfig(runtime_arn=RUNTIME_ARN, endpoint_name=ENDPOINT, upstream_url=upstream.server.url)
    default = BackgroundServer(create_front_door(config=config, authorizer=jwt_authorizer))
    everywhere = BackgroundServer(create_front_door(config=config, authorizer=jwt_authorizer), host="0.0.0.0")  # nosec B104
    try:
        assert listening_addresses(default.port) == {"127.0.0.1"}
        assert listening_addresses(everywhere.port) == {"0.0.0.0"}
        assert httpx.get(f"{everywhere.url}/ping").status_code == 200
    finally:
        default.stop()
        everywhere.stop()


@pytest.mark.slow  # real `python -m local` or agent processes
@pytest.mark.parametrize(
    ("host", "front_door_address"),
    [(None, "127.0.0.1"), ("0.0.0.0", "0.0.0.0")],  # nosec B104
    ids=["default", "HOST=0.0.0.0"],
)
def test_python_m_local_puts_the_front_door_on_host(tmp_path, host, front_door_address):
    """The agent listens on no port whatever HOST says (tests/local/test_agent_socket.py)."""
    env = {k: v for k, v in os.environ.items() if k != "HOST"}
    env.update(
        {"MODEL_PROVIDER": "openai", "OPENAI_BASE_URL": "http://127.0.0.1:9/v1", **({"HOST": host} if host else {})}
    )
    process = subprocess.Popen(
        python_module("local", "--state-dir", str(tmp_path)),
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        read_banner(process)  # printed once everything answers
        outputs = json.loads((tmp_path / "outputs.json").read_text())
        front_door_url = outputs["AgentCoreSession-local-Local"]["InvocationBaseUrl"]

        assert listening_addresses(int(front_door_url.rsplit(":", 1)[1])) == {front_door_address}
    finally:
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=30)


@pytest.mark.slow  # real `python -m local` or agent processes
def test_python_m_local_sheds_a_flood_with_few_descriptors_quietly(tmp_path):
    def few_descriptors() -> None:  # in the child: 128 descriptors, so the front door takes at most 64 connections
        resource.setrlimit(resource.RLIMIT_NOFILE, (128, 128))

    env = {**os.environ, "MODEL_PROVIDER": "openai", "OPENAI_BASE_URL": "http://127.0.0.1:9/v1"}
    with (tmp_path / "stderr.log").open("w") as errors:
        process = subprocess.Popen(
            python_module("local", "--state-dir", str(tmp_path / "state")),
            cwd=REPO,
            env=env,
            stdout=subprocess.PIPE,
            stderr=errors,
            text=True,
            preexec_fn=few_descriptors,
        )
    try:
        read_banner(process)  # the banner: everything answers
        front_door = json.loads((tmp_path / "state" / "outputs.json").read_text())["AgentCoreSession-local-Local"][
            "InvocationBaseUrl"
        ]
        flood = [connect(front_door, HALF_HEAD if i % 2 else b"") for i in range(300)]  # more than 64 at once

        answers = [read_until_closed(connection) for connection in flood]  # refused at once, or closed after 10 s

        assert httpx.get(f"{front_door}/ping").json() == {"status": "Healthy"}
        refused = [a for a in answers if a]
        assert refused and all(response_parts(a)[2]["code"] == "too_many_connections" for a in refused)
    finally:
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=30)
    log = (tmp_path / "stderr.log").read_text().splitlines()
    assert len(log) <= 5, log
    assert sum("refused a connection over the limit" in line for line in log) == 1


def test_the_agents_guard_module_imports_nothing_else_from_agent():
    """local/ reuses agent/http_server.py (the container ships only agent/): that must not pull agent internals in."""
    probe = "import sys, agent.http_server; print(sorted(m for m in sys.modules if m.split('.')[0] == 'agent'))"

    loaded = subprocess.run(
        [sys.executable, "-c", probe], cwd=REPO, capture_output=True, text=True, timeout=60, check=True
    )

    assert loaded.stdout.strip() == "['agent', 'agent.http_server']"
