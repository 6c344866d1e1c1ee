"""What users see when the call itself fails: IAM vs JWT mismatch, runtime not READY, retries, network."""

from __future__ import annotations

import json
import re
from collections.abc import Callable

import boto3
import httpx
import pytest
from starlette.responses import JSONResponse, Response

from client.errors import CliError
from client.invocation import BearerInvoker
from client.retry_policy import RetryPolicy
from client.session_book import new_session_id
from local.processes import free_port
from tests.client.client_runs import outputs_file
from tests.support.runtime_peer import RuntimePeer


def test_iam_mode_signs_with_sigv4_and_a_jwt_front_door_refuses_it(cli, local_runtime, tmp_path):
    """An outputs file claiming IAM makes the client use boto3 (SigV4); the JWT runtime answers 'mismatch'."""
    path = outputs_file(tmp_path, local_runtime, AuthorizerType="iam")
    result = cli("invoke", "hi", target=("--local", "--outputs-file", str(path)))
    assert result.code == 1
    assert result.err == (
        "agentcore-client: runtime refused the call (AccessDeniedException): Authorization method mismatch. The agent "
        "is configured for a different authorization method than what was used in your request. Check the agent's "
        "authorization configuration and ensure your request uses the matching method (OAuth or SigV4)\n"
    )


def test_unreachable_runtime_is_a_network_failure(cli, local_runtime, user, tmp_path):
    dead = f"http://127.0.0.1:{free_port()}"
    path = outputs_file(tmp_path, local_runtime, InvocationBaseUrl=dead)
    result = cli("invoke", "hi", "--user", user, target=("--local", "--outputs-file", str(path)))
    assert result.code == 1
    assert re.fullmatch(rf"agentcore-client: network failure: cannot reach {re.escape(dead)} \(.+\)\n", result.err)


def test_runtime_that_is_not_ready_is_named(cli, local_runtime, user, tmp_path, monkeypatch):
    """A deployed target whose runtime is UPDATING: the invocation 404s and GetAgentRuntime says why."""
    control = boto3.client(
        "bedrock-agentcore-control",
        region_name="us-east-1",
        endpoint_url=local_runtime.aws_endpoint_url,
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )
    created = control.create_agent_runtime(
        agentRuntimeName="not_ready_yet",
        agentRuntimeArtifact={
            "containerConfiguration": {"containerUri": "123456789012.dkr.ecr.us-east-1.amazonaws.com/a:1"}
        },
        roleArn="arn:aws:iam::123456789012:role/runtime",
        networkConfiguration={"networkMode": "PUBLIC"},
    )
    control.update_agent_runtime(
        agentRuntimeId=created["agentRuntimeId"],
        agentRuntimeArtifact={
            "containerConfiguration": {"containerUri": "123456789012.dkr.ecr.us-east-1.amazonaws.com/a:2"}
        },
        roleArn="arn:aws:iam::123456789012:role/runtime",
        networkConfiguration={"networkMode": "PUBLIC"},
    )
    document = json.loads(local_runtime.settings.outputs_path.read_text())
    merged = {k: v for stack in document.values() for k, v in stack.items()}
    del merged["AwsEndpointUrl"]  # a deployed target: AWS APIs come from the standard environment
    merged.update(RuntimeArn=created["agentRuntimeArn"], RuntimeId=created["agentRuntimeId"])
    path = tmp_path / "cdk-outputs-dev.json"
    path.write_text(json.dumps({"AgentCoreSession-dev-Runtime": merged}))
    monkeypatch.setenv("AWS_ENDPOINT_URL", local_runtime.aws_endpoint_url)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "local")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "local")
    stage = ("--stage", "dev", "--outputs-file", str(path))
    assert cli("login", user, "--password-stdin", stdin="Test-Passw0rd-Long!\n", target=stage).code == 0
    result = cli("invoke", "hi", "--user", user, target=stage)
    assert result.code == 1
    assert result.err == (
        f"agentcore-client: runtime {created['agentRuntimeId']} is UPDATING, not READY: "
        "wait for the deployment to finish, then retry\n"
    )


def _refusal(status: int, code: str, message: str, **headers: str) -> Callable[[], Response]:
    """An AWS-shaped error answer, as the front door sends them."""
    body = {"error": message, "code": code, "message": message}
    return lambda: JSONResponse(body, status_code=status, headers=headers)


def _throttled(**headers: str) -> Callable[[], Response]:
    sent = {"x-amzn-ErrorType": "ThrottlingException", **headers}
    return lambda: JSONResponse({"message": "Rate exceeded"}, status_code=429, headers=sent)


def _answer() -> Response:
    return JSONResponse({"response": "finally"})


def _invoke(peer: RuntimePeer, sleeps: list[float], *randoms: float, clock: float = 0.0) -> str:
    """One non-streamed call through `BearerInvoker` with the wait, the random draws and the clock injected."""
    retry = RetryPolicy(random=iter(randoms).__next__, clock=lambda: clock)
    with httpx.Client() as http:
        invoker = BearerInvoker(target=peer.target, http=http, retry=retry, sleep=sleeps.append)
        answer = invoker.invoke(prompt="hi", session_id=new_session_id(), access_token="t", stream=False, on_text=str)
    return answer.text


def test_throttling_is_retried_with_jittered_backoff(runtime_peer):
    peer = runtime_peer(_throttled(), _throttled(), _answer)
    sleeps: list[float] = []
    assert _invoke(peer, sleeps, 0.5, 0.25) == "finally"
    assert (len(peer.requests), sleeps) == (3, [0.25, 0.25])  # 0.5 * min(8, 0.5 * 2**0), 0.25 * min(8, 0.5 * 2**1)


def test_throttling_that_persists_fails_after_four_attempts(runtime_peer):
    peer = runtime_peer(_throttled())
    sleeps: list[float] = []
    with pytest.raises(CliError) as raised:
        _invoke(peer, sleeps, 0.5, 0.5, 0.5)
    assert raised.value.message == "throttled by the runtime (4 attempts with backoff): Rate exceeded; try again later"
    assert (len(peer.requests), sleeps) == (4, [0.25, 0.5, 1.0])


def test_unavailable_runtime_that_persists_names_the_attempts(runtime_peer):
    peer = runtime_peer(_refusal(503, "too_many_connections", "the agent has too many open connections"))
    sleeps: list[float] = []
    with pytest.raises(CliError) as raised:
        _invoke(peer, sleeps, 0.0, 0.0, 0.0)
    assert raised.value.message == (
        "runtime answered HTTP 503 (too_many_connections): the agent has too many open connections "
        "(4 attempts with backoff)"
    )
    assert (len(peer.requests), sleeps) == (4, [0.0, 0.0, 0.0])


def test_retry_after_in_seconds_is_waited_for(runtime_peer):
    peer = runtime_peer(_refusal(503, "too_many_connections", "busy", **{"Retry-After": "2"}), _answer)
    sleeps: list[float] = []
    assert _invoke(peer, sleeps, 0.5) == "finally"
    assert sleeps == [2.25]  # what the server asked for, plus at most one base delay (0.5 * 0.5)


def test_retry_after_as_an_http_date_is_counted_from_the_clock(runtime_peer):
    now = 1_767_225_600.0  # 2026-01-01T00:00:00Z
    peer = runtime_peer(_throttled(**{"Retry-After": "Thu, 01 Jan 2026 00:00:05 GMT"}), _answer)
    sleeps: list[float] = []
    assert _invoke(peer, sleeps, 0.0, clock=now) == "finally"
    assert sleeps == [5.0]


def test_busy_session_with_retry_after_is_retried(runtime_peer):
    busy = "session is busy with another request for more than 120 seconds; retry later"
    peer = runtime_peer(_refusal(409, "session_busy", busy, **{"Retry-After": "1"}), _answer)
    sleeps: list[float] = []
    assert _invoke(peer, sleeps, 0.5) == "finally"
    assert (len(peer.requests), sleeps) == (2, [1.25])


def test_busy_session_without_retry_after_fails_at_once(runtime_peer):
    busy = "session is busy with another request for more than 120 seconds; retry later"
    peer = runtime_peer(_refusal(409, "session_busy", busy))
    sleeps: list[float] = []
    with pytest.raises(CliError) as raised:
        _invoke(peer, sleeps)
    assert raised.value.message == f"runtime answered HTTP 409 (session_busy): {busy}"
    assert (len(peer.requests), sleeps) == (1, [])


def test_retry_after_beyond_what_the_client_waits_fails_at_once(cli, local_runtime, user, tmp_path, runtime_peer):
    """Through the CLI: no waiting at all, one line naming the wait the runtime asked for."""
    peer = runtime_peer(_throttled(**{"Retry-After": "120"}), _answer)
    path = outputs_file(tmp_path, local_runtime, InvocationBaseUrl=peer.url)
    result = cli("invoke", "hi", "--user", user, target=("--local", "--outputs-file", str(path)))
    assert (result.code, result.out) == (1, "")
    assert result.err == (
        "agentcore-client: throttled by the runtime (1 attempt; it asks to wait 120 s before the next): "
        "Rate exceeded; try again later\n"
    )
    assert len(peer.requests) == 1
