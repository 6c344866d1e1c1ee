"""`make local AUTHORIZER=iam` end to end: notebook-style boto3 against moto, the SigV4 front door and the real agent.

The client code is what the AWS samples write (`invoke_agent_runtime(agentRuntimeArn=…, qualifier=…, payload=…,
runtimeSessionId=str(uuid1()))`), pointed at the front door with `endpoint_url` and the key pair from the
outputs file; the agent is the real server with the scripted model.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import boto3
import httpx
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from local.runtime import LocalRuntime, LocalRuntimeSettings
from local.sigv4_authorizer import LocalKeyPair
from tests.support.agentcore_headers import END_USER_HEADER, SESSION_HEADER
from tests.support.agentcore_sdk import agentcore_client
from tests.support.run_agent import RUN_AGENT

REMEMBER = "Do you remember my name?"


@pytest.fixture(scope="module")
def iam_runtime(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalRuntime]:
    settings = LocalRuntimeSettings(
        state_dir=tmp_path_factory.mktemp("iam-runtime"), agent_command=RUN_AGENT, authorizer="iam"
    )
    with LocalRuntime(settings) as runtime:
        yield runtime


@pytest.fixture(scope="module")
def outputs(iam_runtime: LocalRuntime) -> dict[str, str]:
    """The merged outputs file, as a backend developer would read it."""
    document = json.loads(iam_runtime.settings.outputs_path.read_text())
    return {key: value for stack in document.values() for key, value in stack.items()}


def _client(outputs: dict[str, str], end_user: str | None = None) -> Any:
    """boto3 exactly as the samples create it, plus endpoint_url and the local keys."""
    client = boto3.client(
        "bedrock-agentcore",
        region_name=outputs["Region"],
        endpoint_url=outputs["InvocationBaseUrl"],
        aws_access_key_id=outputs["AccessKeyId"],
        aws_secret_access_key=outputs["SecretAccessKey"],
    )
    if end_user is not None:

        def name_end_user(request: Any, **_: Any) -> None:
            request.headers[END_USER_HEADER] = end_user

        client.meta.events.register_first("before-sign.bedrock-agentcore.InvokeAgentRuntime", name_end_user)
    return client


def _ask(client: Any, outputs: dict[str, str], session: str, prompt: str, *, stream: bool = False) -> str:
    response = client.invoke_agent_runtime(
        agentRuntimeArn=outputs["RuntimeArn"],
        qualifier=outputs["EndpointName"],
        payload=json.dumps({"prompt": prompt, "stream": stream}),
        runtimeSessionId=session,
    )
    if stream:
        assert response["contentType"].startswith("text/event-stream")
        events = [
            json.loads(line[len(b"data: ") :])
            for line in response["response"].iter_lines()
            if line.startswith(b"data: ")
        ]
        return events[-1]["response"]
    assert response["contentType"] == "application/json"
    return json.loads(response["response"].read())["response"]


def test_same_session_remembers_and_new_session_forgets(outputs):
    client, session = _client(outputs), str(uuid.uuid1())
    _ask(client, outputs, session, "My name is Alice.")

    assert _ask(client, outputs, session, REMEMBER) == "Your name is Alice."
    assert _ask(client, outputs, str(uuid.uuid1()), REMEMBER) == "I don't know your name."


def test_streamed_answer_remembers_too(outputs):
    client, session = _client(outputs), str(uuid.uuid1())
    _ask(client, outputs, session, "My name is Sam.", stream=True)

    assert _ask(client, outputs, session, REMEMBER, stream=True) == "Your name is Sam."


def test_two_end_users_of_one_backend_are_isolated(outputs):
    alice, bob, session = _client(outputs, "alice"), _client(outputs, "bob"), str(uuid.uuid1())
    _ask(alice, outputs, session, "My name is Alice.")

    with pytest.raises(ClientError) as refused:
        _ask(bob, outputs, session, REMEMBER)

    error = refused.value.response["Error"]
    assert error == {
        "Code": "AccessDeniedException",
        "Message": "this session id belongs to another caller; start a new session",
    }
    assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert _ask(alice, outputs, session, REMEMBER) == "Your name is Alice."
    assert _ask(bob, outputs, str(uuid.uuid1()), REMEMBER) == "I don't know your name."


def test_agent_validation_error_is_readable_through_boto3(outputs):
    with pytest.raises(ClientError) as refused:
        _ask(_client(outputs), outputs, str(uuid.uuid1()), "")

    assert refused.value.response["Error"] == {
        "Code": "ValidationException",
        "Message": "field 'prompt' must not be empty",
    }


def test_wrong_secret_is_refused_by_the_running_front_door(outputs):
    forged = LocalKeyPair(access_key_id=outputs["AccessKeyId"], secret_access_key="not-the-secret")
    client = agentcore_client(outputs["InvocationBaseUrl"], key_pair=forged)

    with pytest.raises(ClientError) as refused:
        client.invoke_agent_runtime(
            agentRuntimeArn=outputs["RuntimeArn"], payload=b'{"prompt": "hi"}', runtimeSessionId=str(uuid.uuid1())
        )

    assert refused.value.response["Error"]["Code"] == "InvalidSignatureException"


def _ask_as_raw_end_user(outputs: dict[str, str], session: str, prompt: str, end_user: bytes) -> httpx.Response:
    """A botocore-signed call naming the end user in bytes that are not ASCII (boto3 itself cannot send them)."""
    url = (
        f"{outputs['InvocationBaseUrl']}/runtimes/{quote(outputs['RuntimeArn'], safe='')}/invocations"
        f"?qualifier={outputs['EndpointName']}"
    )
    body = json.dumps({"prompt": prompt}).encode()
    request = AWSRequest(
        method="POST",
        url=url,
        data=body,
        headers={
            SESSION_HEADER: session,
            END_USER_HEADER: end_user.decode("latin-1"),
            "Content-Type": "application/json",
        },
    )
    credentials = Credentials(outputs["AccessKeyId"], outputs["SecretAccessKey"])
    SigV4Auth(credentials, "bedrock-agentcore", outputs["Region"]).add_auth(request)
    headers = {name: value.encode("latin-1") for name, value in request.headers.items()}
    return httpx.post(url, content=body, headers=headers, timeout=60)


def test_a_non_ascii_end_user_is_an_ordinary_caller_of_the_real_agent(outputs):
    """Its bytes reach the agent unchanged and are hashed like any unsafe user id: its session is its own."""
    session, user = str(uuid.uuid1()), "Zoë\u202e".encode()
    first = _ask_as_raw_end_user(outputs, session, "My name is Zoe.", user)

    again = _ask_as_raw_end_user(outputs, session, REMEMBER, user)
    other = _ask_as_raw_end_user(outputs, session, REMEMBER, b"Zoe")

    assert first.status_code == 200, first.text
    assert (again.status_code, again.json()["response"]) == (200, "Your name is Zoe.")
    assert (other.status_code, other.json()["code"]) == (403, "session_forbidden")


def _forget(client: Any, outputs: dict[str, str]) -> dict[str, Any]:
    response = client.invoke_agent_runtime(
        agentRuntimeArn=outputs["RuntimeArn"],
        qualifier=outputs["EndpointName"],
        payload=json.dumps({"action": "forget_me"}),
        runtimeSessionId=str(uuid.uuid1()),
    )
    return dict(json.loads(response["response"].read())["receipt"])


def test_the_backend_forgets_one_end_user_with_its_own_credentials(outputs):
    """`users forget <user>`: SigV4 with the backend's key pair, the end user named in the header."""
    gone, kept = f"gone-{uuid.uuid4().hex[:8]}", f"kept-{uuid.uuid4().hex[:8]}"
    session, others = str(uuid.uuid1()), str(uuid.uuid1())
    _ask(_client(outputs, gone), outputs, session, "My name is Gone.")
    _ask(_client(outputs, kept), outputs, others, "My name is Kept.")

    receipt = _forget(_client(outputs, gone), outputs)

    assert (receipt["actor"], receipt["deleted"], receipt["complete"]) == (
        gone,
        {"sessions": 1, "owner_records": 1, "conversation_objects": 4},
        True,
    )
    assert _ask(_client(outputs, gone), outputs, session, REMEMBER) == "I don't know your name."
    assert _ask(_client(outputs, kept), outputs, others, REMEMBER) == "Your name is Kept."


def test_forget_me_without_an_end_user_is_refused_through_boto3(outputs):
    with pytest.raises(ClientError) as refused:
        _forget(_client(outputs), outputs)

    assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert refused.value.response["Error"]["Message"].startswith("forget-me needs an identified caller")
