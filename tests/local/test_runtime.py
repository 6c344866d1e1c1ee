"""The assembled local runtime: settings validation, the outputs file, and `python -m local` start/stop."""

from __future__ import annotations

import json
import os
import re
import signal
import stat
import subprocess
import sys
from urllib.parse import quote

import httpx
import pytest

from local.__main__ import client_command
from local.processes import python_module
from local.runtime import LocalRuntime, LocalRuntimeSettings
from tests.support.local_banner import read_banner
from tests.support.paths import REPO
from tests.support.run_agent import RUN_AGENT


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"front_door_port": 70000}, "front_door_port is 70000 but must be between 0 and 65535"),
        ({"moto_port": -1}, "moto_port is -1 but must be between 0 and 65535"),
        (
            {"agent_command": ()},
            "agent_command is empty and agent_url is unset: one of them must say how to reach the agent",
        ),
        ({"authorizer": "cognito"}, "authorizer is 'cognito' but must be one of jwt, iam"),
    ],
)
def test_settings_name_field_value_and_limit(kwargs, message):
    with pytest.raises(ValueError) as error:
        LocalRuntimeSettings(**kwargs)
    assert str(error.value) == message


def test_settings_report_every_problem_at_once():
    with pytest.raises(ValueError) as error:
        LocalRuntimeSettings(front_door_port=-5, moto_port=99999)
    assert str(error.value) == (
        "front_door_port is -5 but must be between 0 and 65535; moto_port is 99999 but must be between 0 and 65535"
    )


def test_outputs_file_has_the_deploy_shape_and_is_removed_on_stop(tmp_path):
    runtime = LocalRuntime(LocalRuntimeSettings(state_dir=tmp_path, agent_command=RUN_AGENT))
    try:
        document = json.loads((tmp_path / "outputs.json").read_text())
        pool = runtime.identity.user_pool_id
        assert document == {
            "AgentCoreSession-local-Identity": {
                "UserPoolId": pool,
                "UserPoolClientId": runtime.identity.client_id,
                "OidcDiscoveryUrl": f"{runtime.aws_endpoint_url}/{pool}/.well-known/openid-configuration",
                "Region": "us-east-1",
            },
            "AgentCoreSession-local-Runtime": {
                "RuntimeArn": runtime.runtime_arn,
                "RuntimeId": runtime.runtime_arn.rsplit("/", 1)[1],
                "EndpointName": "local",
                "SessionStore": "s3",
                "SessionBucketName": "agentcore-session-local",
                "AuthorizerType": "jwt",
                "Region": "us-east-1",
            },
            "AgentCoreSession-local-Local": {
                "InvocationBaseUrl": runtime.front_door_url,
                "AwsEndpointUrl": runtime.aws_endpoint_url,
            },
        }
        assert re.fullmatch(
            r"arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/agentcore_session_local-[0-9a-f]{10}",
            runtime.runtime_arn,
        )
        agent_socket = runtime.agent_unix_socket
        assert agent_socket is not None and runtime.agent_url == f"unix:{agent_socket}"
        with httpx.Client(transport=httpx.HTTPTransport(uds=str(agent_socket))) as agent:
            assert agent.get("http://agent/ping").status_code == 200
        discovery = httpx.get(document["AgentCoreSession-local-Identity"]["OidcDiscoveryUrl"]).json()
        assert discovery["issuer"] == f"https://cognito-idp.us-east-1.amazonaws.com/{pool}"
    finally:
        runtime.stop()
    assert not (tmp_path / "outputs.json").exists()
    assert not agent_socket.parent.exists()  # the agent stopped and its socket directory is gone


def test_agent_that_fails_to_start_is_reported_and_nothing_keeps_running(tmp_path):
    command = (sys.executable, "-c", "import sys; print('boom'); sys.exit(3)")
    with pytest.raises(RuntimeError) as error:
        LocalRuntime(LocalRuntimeSettings(state_dir=tmp_path, agent_command=command))
    assert str(error.value) == f"agent server exited with code 3 during startup; see {tmp_path / 'agent.log'}"
    assert (tmp_path / "agent.log").read_text() == "boom\n"
    assert not (tmp_path / "outputs.json").exists()


@pytest.mark.slow  # `python -m local`: moto, the stand-ins and an agent process
def test_python_m_local_prints_usage_and_stops_cleanly_on_sigint(tmp_path):
    command = " ".join(RUN_AGENT)
    process = subprocess.Popen(
        python_module("local", "--state-dir", str(tmp_path), "--agent-command", command),
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ},
    )
    try:
        banner = read_banner(process)
        assert banner[0] == "Local AgentCore runtime is up (Ctrl-C stops it).\n"
        assert f"  {client_command(['--outputs-file', str(tmp_path / 'outputs.json')])} demo\n" in banner
        outputs = json.loads((tmp_path / "outputs.json").read_text())
        front_door = outputs["AgentCoreSession-local-Local"]["InvocationBaseUrl"]
        assert httpx.get(f"{front_door}/ping").json() == {"status": "Healthy"}
    finally:
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    assert out.endswith("local runtime stopped\n")
    assert not (tmp_path / "outputs.json").exists()


def test_iam_outputs_hand_the_local_key_pair_to_the_client_in_a_0600_file(tmp_path):
    with LocalRuntime(LocalRuntimeSettings(state_dir=tmp_path, agent_command=RUN_AGENT, authorizer="iam")) as runtime:
        path = tmp_path / "outputs.json"
        document = json.loads(path.read_text())
        mode = stat.S_IMODE(path.stat().st_mode)
        key_pair = runtime.key_pair
        urls = runtime.front_door_url, runtime.aws_endpoint_url

    assert mode == 0o600
    assert document["AgentCoreSession-local-Runtime"]["AuthorizerType"] == "iam"
    assert document["AgentCoreSession-local-Local"] == {
        "InvocationBaseUrl": urls[0],
        "AwsEndpointUrl": urls[1],
        "AccessKeyId": key_pair.access_key_id,
        "SecretAccessKey": key_pair.secret_access_key,
    }
    assert re.fullmatch(r"AKIA[A-Z2-7]{16}", key_pair.access_key_id) and len(key_pair.secret_access_key) == 40
    assert key_pair.secret_access_key not in repr(key_pair)


def test_jwt_outputs_file_is_0600_and_holds_no_keys(tmp_path):
    with LocalRuntime(LocalRuntimeSettings(state_dir=tmp_path, agent_command=RUN_AGENT)):
        path = tmp_path / "outputs.json"
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert set(json.loads(path.read_text())["AgentCoreSession-local-Local"]) == {
            "InvocationBaseUrl",
            "AwsEndpointUrl",
        }


@pytest.mark.slow  # `python -m local`: moto, the stand-ins and an agent process
def test_python_m_local_with_authorizer_iam_prints_the_sigv4_usage(tmp_path):
    command = " ".join(RUN_AGENT)
    process = subprocess.Popen(
        python_module("local", "--authorizer", "iam", "--state-dir", str(tmp_path), "--agent-command", command),
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ},
    )
    try:
        banner = read_banner(process)
        outputs = json.loads((tmp_path / "outputs.json").read_text())
        local = outputs["AgentCoreSession-local-Local"]
        assert banner[0] == "Local AgentCore runtime is up (Ctrl-C stops it).\n"
        assert banner[3] == f"  access key  {local['AccessKeyId']} (secret in the outputs file)\n"
        assert f"  {client_command(['--outputs-file', str(tmp_path / 'outputs.json')])} demo\n" in banner
        assert not any(local["SecretAccessKey"] in line for line in banner)
        assert outputs["AgentCoreSession-local-Runtime"]["AuthorizerType"] == "iam"
    finally:
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    assert local["SecretAccessKey"] not in out + err


def test_front_door_refuses_what_the_agent_would_for_the_max_prompt_chars_it_was_given(tmp_path):
    """The runtime hands the agent MAX_PROMPT_CHARS and the front door the body limit it implies."""
    settings = LocalRuntimeSettings(state_dir=tmp_path, agent_command=RUN_AGENT, agent_env={"MAX_PROMPT_CHARS": "10"})
    with LocalRuntime(settings) as runtime:
        url = f"{runtime.front_door_url}/runtimes/{quote(runtime.runtime_arn, safe='')}/invocations"
        headers = {"Content-Type": "application/json"}
        over = httpx.post(url, content=b" " * (10 * 12 + 64 * 1024 + 1), headers=headers, timeout=60)
        at_limit = httpx.post(url, content=b" " * (10 * 12 + 64 * 1024), headers=headers, timeout=60)

    assert (over.status_code, over.json()["message"]) == (
        413,
        "request body is longer than 65656 bytes, the most a valid request needs",
    )
    assert (at_limit.status_code, at_limit.json()["code"]) == (
        401,
        "missing_token",
    )  # past the size check, to the token


def test_max_prompt_chars_that_is_not_a_number_stops_the_start(tmp_path):
    settings = LocalRuntimeSettings(state_dir=tmp_path, agent_command=RUN_AGENT, agent_env={"MAX_PROMPT_CHARS": "ten"})

    with pytest.raises(ValueError) as error:
        LocalRuntime(settings)

    assert str(error.value) == "MAX_PROMPT_CHARS='ten' is not an integer"
