"""What users see when the call itself fails: IAM vs JWT mismatch, runtime not READY, throttling, network."""

from __future__ import annotations

import json
import re
from pathlib import Path

import boto3
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from local.agent_process import free_port
from local.http_server import BackgroundServer


def _outputs_file(tmp_path: Path, local_runtime, **changes: str) -> Path:
    """The local runtime's outputs with some values changed, as another target would describe them."""
    document = json.loads(local_runtime.settings.outputs_path.read_text())
    for stack in document.values():
        for key, value in changes.items():
            if key in stack:
                stack[key] = value
    path = tmp_path / "outputs.json"
    path.write_text(json.dumps(document))
    return path


def test_iam_mode_signs_with_sigv4_and_a_jwt_front_door_refuses_it(cli, local_runtime, tmp_path):
    """An outputs file claiming IAM makes the client use boto3 (SigV4); the JWT runtime answers 'mismatch'."""
    path = _outputs_file(tmp_path, local_runtime, AuthorizerType="iam")
    result = cli("invoke", "hi", target=("--local", "--outputs-file", str(path)))
    assert result.code == 1
    assert result.err == (
        "agentcore-client: runtime refused the call (AccessDeniedException): Authorization method mismatch. The agent "
        "is configured for a different authorization method than what was used in your request. Check the agent's "
        "authorization configuration and ensure your request uses the matching method (OAuth or SigV4)\n"
    )


def test_unreachable_runtime_is_a_network_failure(cli, local_runtime, user, tmp_path):
    dead = f"http://127.0.0.1:{free_port()}"
    path = _outputs_file(tmp_path, local_runtime, InvocationBaseUrl=dead)
    result = cli("invoke", "hi", "--user", user, target=("--local", "--outputs-file", str(path)))
    assert result.code == 1
    assert re.fullmatch(rf"agentcore-client: network failure: cannot reach {re.escape(dead)} \(.+\)\n", result.err)


def test_runtime_that_is_not_ready_is_named(cli, local_runtime, user, tmp_path, monkeypatch):
    """A deployed target whose runtime is UPDATING: the invocation 404s and GetAgentRuntime says why."""
    control = boto3.client(
        "bedrock-agentcore-control", region_name="us-east-1", endpoint_url=local_runtime.aws_endpoint_url,
        aws_access_key_id="local", aws_secret_access_key="local",
    )
    created = control.create_agent_runtime(
        agentRuntimeName="not_ready_yet",
        agentRuntimeArtifact={"containerConfiguration": {"containerUri": "123456789012.dkr.ecr.us-east-1.amazonaws.com/a:1"}},
        roleArn="arn:aws:iam::123456789012:role/runtime", networkConfiguration={"networkMode": "PUBLIC"},
    )
    control.update_agent_runtime(
        agentRuntimeId=created["agentRuntimeId"],
        agentRuntimeArtifact={"containerConfiguration": {"containerUri": "123456789012.dkr.ecr.us-east-1.amazonaws.com/a:2"}},
        roleArn="arn:aws:iam::123456789012:role/runtime", networkConfiguration={"networkMode": "PUBLIC"},
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


@pytest.fixture
def throttling_runtime():
    """Stands in for AgentCore throttling (429 `throttle_times` times, then an agent answer).

    No real part of the project can be made to throttle, so this small HTTP peer answers the way
    AgentCore does; the client's retry policy is what is under test.
    """
    calls: list[int] = []
    throttle_times = [2]

    async def invocations(request: Request) -> Response:
        calls.append(1)
        if len(calls) <= throttle_times[0]:
            return JSONResponse({"message": "Rate exceeded"}, status_code=429, headers={"x-amzn-ErrorType": "ThrottlingException"})
        return JSONResponse({"response": "finally"})

    server = BackgroundServer(Starlette(routes=[Route("/runtimes/{arn:path}/invocations", invocations, methods=["POST"])]))
    yield server, calls, throttle_times
    server.stop()


def test_throttling_is_retried_with_backoff(cli, local_runtime, user, tmp_path, throttling_runtime, monkeypatch):
    server, calls, _ = throttling_runtime
    sleeps: list[float] = []
    monkeypatch.setattr("client.invocation.time.sleep", sleeps.append)
    path = _outputs_file(tmp_path, local_runtime, InvocationBaseUrl=server.url)
    result = cli("invoke", "hi", "--user", user, "--no-stream", target=("--local", "--outputs-file", str(path)))
    assert (result.code, result.out) == (0, "finally\n")
    assert (len(calls), sleeps) == (3, [0.5, 1.0])


def test_throttling_that_persists_is_one_line(cli, local_runtime, user, tmp_path, throttling_runtime, monkeypatch):
    server, calls, throttle_times = throttling_runtime
    throttle_times[0] = 100
    sleeps: list[float] = []
    monkeypatch.setattr("client.invocation.time.sleep", sleeps.append)
    path = _outputs_file(tmp_path, local_runtime, InvocationBaseUrl=server.url)
    result = cli("invoke", "hi", "--user", user, target=("--local", "--outputs-file", str(path)))
    assert result.code == 1
    assert result.err == "agentcore-client: throttled by the runtime (4 attempts with backoff): Rate exceeded; try again later\n"
    assert (len(calls), sleeps) == (4, [0.5, 1.0, 2.0])
