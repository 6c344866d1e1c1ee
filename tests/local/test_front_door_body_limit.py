"""The front door reads no more body than the agent's largest valid request, and none before a JWT is checked.

Servers here wait 600 s for a body, so a front door that waited for one would hold the connection past the
raw client's failure bound instead of answering: each answer below comes from the front door deciding early.
The memory test runs `python -m local` itself and reads its resident set size from /proc.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from local.front_door import FrontDoorConfig, create_front_door
from local.http_server import BackgroundServer
from local.processes import python_module
from local.request_body import DEFAULT_MAX_PROMPT_CHARS, max_body_bytes
from local.sigv4_authorizer import SigV4Authorizer
from tests.local.runtime_values import ENDPOINT, KEY_PAIR, REGION, RUNTIME_ARN
from tests.support.agentcore_headers import SESSION_HEADER
from tests.support.local_banner import read_banner
from tests.support.paths import REPO
from tests.support.raw_connections import connect, read_until_closed, response_parts
from tests.support.run_agent import RUN_AGENT, start_agent

LIMIT = 1024
PATH = f"/runtimes/{quote(RUNTIME_ARN, safe='')}/invocations?qualifier={ENDPOINT}"
SESSION = f"body-limit-{uuid.uuid4().hex}"
TOO_LARGE = f"request body is longer than {LIMIT} bytes, the most a valid request needs"
MIB = 1024 * 1024
OVERSIZED_BYTES = 256 * MIB
RSS_GROWTH_BOUND = 32 * MIB


@pytest.mark.parametrize("max_prompt_chars", [10, DEFAULT_MAX_PROMPT_CHARS])
def test_the_limit_is_the_agents_own(tmp_path, max_prompt_chars):
    """local/ does not import agent internals: the real agent shows it refuses exactly what the front door would.

    With the default, MAX_PROMPT_CHARS is left unset: the agent's own default must be the front door's.
    """
    env = {"SESSION_STORE": "file", "SESSION_DIR": str(tmp_path / "sessions")}
    if max_prompt_chars != DEFAULT_MAX_PROMPT_CHARS:
        env["MAX_PROMPT_CHARS"] = str(max_prompt_chars)
    agent = start_agent(log_path=tmp_path / "agent.log", env=env)
    limit = max_body_bytes(max_prompt_chars)
    try:
        headers = {SESSION_HEADER: SESSION, "Content-Type": "application/json"}
        at_limit = httpx.post(f"{agent.base_url}/invocations", content=b" " * limit, headers=headers, timeout=60)
        over = httpx.post(f"{agent.base_url}/invocations", content=b" " * (limit + 1), headers=headers, timeout=60)
    finally:
        agent.stop()

    assert (at_limit.status_code, at_limit.json()["code"]) == (400, "invalid_json")  # read whole, then judged
    assert (over.status_code, over.json()["code"]) == (413, "payload_too_large")


@pytest.fixture(scope="module")
def small_front_doors(jwt_authorizer, upstream) -> Iterator[dict[str, BackgroundServer]]:
    """A JWT and a SigV4 front door whose agent accepts at most `LIMIT` bytes, waiting up to 600 s for a body."""
    config = FrontDoorConfig(
        runtime_arn=RUNTIME_ARN, endpoint_name=ENDPOINT, upstream_url=upstream.server.url, max_body_bytes=LIMIT
    )
    authorizers = {"jwt": jwt_authorizer, "iam": SigV4Authorizer(region=REGION, key_pairs=[KEY_PAIR])}
    servers = {
        mode: BackgroundServer(create_front_door(config=config, authorizer=authorizer), body_timeout_seconds=600)
        for mode, authorizer in authorizers.items()
    }
    yield servers
    for server in servers.values():
        server.stop()


def _head(extra: str, path: str = PATH) -> bytes:
    return (
        f"POST {path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n{SESSION_HEADER}: {SESSION}\r\n"
        f"{extra}\r\n"
    ).encode()


def _refusal(raw: bytes) -> tuple[bytes, str, str, Any]:
    status, headers, body = response_parts(raw)
    return status, headers.get("x-amzn-errortype", ""), headers.get("connection", ""), body


def _json_body(size: int) -> bytes:
    """`{"prompt": "xx…"}` of exactly `size` bytes."""
    frame = len(b'{"prompt": ""}')
    return json.dumps({"prompt": "x" * (size - frame)}).encode()


def _signed_headers(server: BackgroundServer, body: bytes) -> dict[str, str]:
    request = AWSRequest(method="POST", url=f"{server.url}{PATH}", data=body, headers={SESSION_HEADER: SESSION})
    SigV4Auth(Credentials(KEY_PAIR.access_key_id, KEY_PAIR.secret_access_key), "bedrock-agentcore", REGION).add_auth(
        request
    )
    return dict(request.headers.items())


@pytest.mark.parametrize("mode", ["jwt", "iam"])
@pytest.mark.parametrize("declared", [LIMIT + 1, 10**10, 10**18])
def test_declared_length_over_the_limit_is_413_from_the_headers_alone(small_front_doors, upstream, mode, declared):
    """Nothing of the body is sent: the answer cannot come from reading it, and the connection is not held."""
    upstream.calls.clear()

    answer = read_until_closed(connect(small_front_doors[mode].url, _head(f"Content-Length: {declared}\r\n")))

    status, error_type, connection, body = _refusal(answer)
    assert (status, error_type, connection) == (
        b"HTTP/1.1 413 Request Entity Too Large",
        "ValidationException",
        "close",
    )
    assert body == {"error": TOO_LARGE, "code": "payload_too_large", "message": TOO_LARGE}
    assert upstream.calls == []


def test_jwt_body_at_the_limit_is_forwarded_and_one_byte_more_is_413(small_front_doors, upstream, tokens):
    upstream.calls.clear()
    url, headers = f"{small_front_doors['jwt'].url}{PATH}", {"Authorization": f"Bearer {tokens['AccessToken']}"}

    at_limit = httpx.post(url, content=_json_body(LIMIT), headers={**headers, SESSION_HEADER: SESSION}, timeout=30)
    over = httpx.post(url, content=_json_body(LIMIT + 1), headers={**headers, SESSION_HEADER: SESSION}, timeout=30)

    assert at_limit.status_code == 200 and at_limit.json()["response"].startswith("echo: xxx")
    assert (over.status_code, over.json()["code"], over.headers["x-amzn-errortype"]) == (
        413,
        "payload_too_large",
        "ValidationException",
    )
    assert len(upstream.calls) == 1


def test_iam_body_at_the_limit_is_forwarded_and_one_byte_more_is_413(small_front_doors, upstream):
    upstream.calls.clear()
    server = small_front_doors["iam"]
    at_limit, over = _json_body(LIMIT), _json_body(LIMIT + 1)

    accepted = httpx.post(f"{server.url}{PATH}", content=at_limit, headers=_signed_headers(server, at_limit))
    refused = httpx.post(f"{server.url}{PATH}", content=over, headers=_signed_headers(server, over))

    assert accepted.status_code == 200
    assert (refused.status_code, refused.json()["message"]) == (413, TOO_LARGE)
    assert len(upstream.calls) == 1


@pytest.mark.parametrize("framing", ["Content-Length: 100\r\n", "Transfer-Encoding: chunked\r\n"])
def test_jwt_mode_refuses_an_unauthenticated_call_before_reading_its_body(small_front_doors, framing):
    """No body byte is ever sent: a front door that read the body first would wait for it."""
    answer = read_until_closed(connect(small_front_doors["jwt"].url, _head(framing)))

    status, error_type, connection, body = _refusal(answer)
    assert (status, error_type, connection) == (b"HTTP/1.1 401 Unauthorized", "UnauthorizedException", "close")
    assert body["code"] == "missing_token"


def test_jwt_mode_refuses_a_chunked_body_over_the_limit_once_it_passes_it(small_front_doors, upstream, tokens):
    upstream.calls.clear()
    head = _head(f"Transfer-Encoding: chunked\r\nAuthorization: Bearer {tokens['AccessToken']}\r\n")
    chunk = b"x" * (LIMIT + 1)

    # The chunked body never ends: only a front door that stops reading at the limit answers.
    answer = read_until_closed(connect(small_front_doors["jwt"].url, head + b"%x\r\n" % len(chunk) + chunk + b"\r\n"))

    assert _refusal(answer)[:3] == (b"HTTP/1.1 413 Request Entity Too Large", "ValidationException", "close")
    assert upstream.calls == []


def test_iam_mode_reads_an_unsigned_chunked_body_only_up_to_the_limit(small_front_doors, upstream):
    """SigV4 hashes the body, so it is read before the signature is checked, but never past the limit."""
    upstream.calls.clear()
    chunk = b"x" * (LIMIT + 1)

    answer = read_until_closed(
        connect(small_front_doors["iam"].url, _head("Transfer-Encoding: chunked\r\n") + b"%x\r\n" % len(chunk) + chunk)
    )

    assert _refusal(answer)[:3] == (b"HTTP/1.1 413 Request Entity Too Large", "ValidationException", "close")
    assert upstream.calls == []


def _rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError(f"no VmRSS for pid {pid}")


def _send_oversized_chunked_post(front_door: str, path: str, total: int) -> int:
    """Stream `total` bytes of chunked body without credentials; returns how many the front door took."""
    connection = connect(front_door, _head("Transfer-Encoding: chunked\r\n", path))
    chunk = b"%x\r\n" % MIB + b"x" * MIB + b"\r\n"
    sent = 0
    try:
        while sent < total:
            connection.sendall(chunk)
            sent += MIB
    except OSError:  # the front door answered and closed: the rest was never read
        pass
    finally:
        connection.close()
    return sent


@pytest.mark.slow  # `python -m local` as a process: its memory is the point; the limits above run in-process
@pytest.mark.parametrize("authorizer", ["jwt", "iam"])
def test_python_m_local_memory_stays_flat_under_an_oversized_unauthenticated_post(tmp_path, authorizer):
    process = subprocess.Popen(
        python_module(
            "local", "--authorizer", authorizer, "--state-dir", str(tmp_path), "--agent-command", " ".join(RUN_AGENT)
        ),
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=dict(os.environ),
    )
    try:
        read_banner(process)
        outputs = json.loads((tmp_path / "outputs.json").read_text())
        front_door = outputs["AgentCoreSession-local-Local"]["InvocationBaseUrl"]
        path = f"/runtimes/{quote(outputs['AgentCoreSession-local-Runtime']['RuntimeArn'], safe='')}/invocations"
        before = _rss_bytes(process.pid)

        sent = _send_oversized_chunked_post(front_door, path, OVERSIZED_BYTES)
        declared = read_until_closed(connect(front_door, _head(f"Content-Length: {OVERSIZED_BYTES}\r\n", path)))

        after = _rss_bytes(process.pid)
        assert response_parts(declared)[0] == b"HTTP/1.1 413 Request Entity Too Large"
        assert sent < OVERSIZED_BYTES, "the front door read the whole oversized body"
        assert after - before < RSS_GROWTH_BOUND, f"RSS grew from {before} to {after} bytes"
        assert httpx.get(f"{front_door}/ping", timeout=30).json() == {"status": "Healthy"}
    finally:
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=60)
