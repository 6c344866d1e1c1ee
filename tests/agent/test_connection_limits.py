"""Idle, half-sent and surplus connections are closed; running short of descriptors logs one line, not a storm.

Every wait here ends when the server closes a connection (``read_until_closed``): the timeouts under test are
the server's, and the test only observes their effect.
"""

from __future__ import annotations

import json
import resource

import httpx
from websockets.sync.client import connect as ws_connect

from tests.support.agent_http import log_records, new_session_id
from tests.support.agentcore_headers import SESSION_HEADER
from tests.support.raw_connections import HALF_HEAD, connect, read_until_closed, response_parts

HEAD_TIMEOUT = {"HTTP_HEADER_TIMEOUT_SECONDS": "1"}
REFUSAL_MESSAGE = "the server already has 8 open connections, its limit; retry later"
REFUSAL = {"error": REFUSAL_MESSAGE, "code": "too_many_connections", "message": REFUSAL_MESSAGE}


def test_idle_and_half_sent_connections_are_closed_after_the_header_timeout(agent_starter):
    server = agent_starter(HEAD_TIMEOUT)
    idle = connect(server.base_url)
    half_sent = connect(server.base_url, HALF_HEAD)

    assert read_until_closed(idle) == b""
    assert read_until_closed(half_sent) == b""
    assert httpx.get(f"{server.base_url}/ping").status_code == 200


def test_a_request_head_that_arrives_in_time_is_served(agent_starter):
    server = agent_starter(HEAD_TIMEOUT)
    request = b"GET /ping HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"

    status, _, body = response_parts(read_until_closed(connect(server.base_url, request)))

    assert status == b"HTTP/1.1 200 OK" and body["status"] == "Healthy"


def test_connection_over_the_limit_is_refused_with_503_at_once(agent_starter):
    server = agent_starter({"HTTP_MAX_CONNECTIONS": "8", "HTTP_HEADER_TIMEOUT_SECONDS": "600"})
    held = [connect(server.base_url) for _ in range(8)]  # accepted in order, so these fill the limit

    status, headers, body = response_parts(read_until_closed(connect(server.base_url)))

    assert status == b"HTTP/1.1 503 Service Unavailable"
    assert headers["retry-after"] == "1" and headers["content-type"] == "application/json"
    assert body == REFUSAL
    for connection in held:
        connection.close()
    assert httpx.get(f"{server.base_url}/ping").status_code == 200


def test_flood_with_few_descriptors_is_shed_quietly_and_ping_recovers(agent_starter):
    def few_descriptors() -> None:  # in the child: 64 descriptors, so the connection limit becomes 32
        resource.setrlimit(resource.RLIMIT_NOFILE, (64, 64))

    server = agent_starter({"HTTP_HEADER_TIMEOUT_SECONDS": "3"}, preexec_fn=few_descriptors)
    flood = [connect(server.base_url, HALF_HEAD if i % 2 else b"") for i in range(300)]  # 300 > 32 within 3 s

    answers = [read_until_closed(connection) for connection in flood]

    assert httpx.get(f"{server.base_url}/ping").status_code == 200
    refused = [a for a in answers if a]
    assert all(response_parts(a)[2]["code"] == "too_many_connections" for a in refused)
    assert refused  # how many depends on how fast 300 connections open; that some are refused does not
    lines = [line for line in server.log_text().splitlines() if line.strip()]
    assert len(lines) <= 10, lines
    assert len(log_records(server.log_text())) == len(lines)  # every line is one JSON record, no tracebacks
    assert sum("refused a connection over the limit" in line for line in lines) == 1


def test_websockets_outlive_the_header_timeout_and_count_toward_the_limit(agent_starter):
    server = agent_starter(
        {"HTTP_MAX_CONNECTIONS": "8", "HTTP_HEADER_TIMEOUT_SECONDS": "1", "WS_IDLE_TIMEOUT_SECONDS": "600"}
    )
    address = server.base_url.replace("http://", "ws://") + f"/ws?{SESSION_HEADER}="
    sockets = [ws_connect(address + new_session_id()) for _ in range(7)]
    idle = connect(server.base_url)

    assert read_until_closed(idle) == b""  # the header timeout has passed for every socket opened before it
    for websocket in sockets:
        websocket.send(json.dumps({"prompt": "My name is Alice"}))
        while (event := json.loads(websocket.recv(timeout=60)))["type"] == "delta":
            pass
        assert event["response"] == "Nice to meet you, Alice."
    sockets.append(ws_connect(address + new_session_id()))
    status, _, body = response_parts(read_until_closed(connect(server.base_url)))

    assert status == b"HTTP/1.1 503 Service Unavailable" and body == REFUSAL
    for websocket in sockets:
        websocket.close()
    assert httpx.get(f"{server.base_url}/ping").status_code == 200
