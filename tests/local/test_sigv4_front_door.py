"""The front door of an IAM runtime: SigV4 checked with botocore's signer, allowlisted headers only, AWS-shaped errors.

boto3's `invoke_agent_runtime` signs the calls (as notebooks do); hand-made requests cover what boto3 never
sends (a bearer token, a tampered header, an unencoded ARN). The agent behind is the recording stand-in,
so these tests see exactly what the front door forwards.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from local.front_door import FrontDoorConfig, create_front_door
from local.http_server import BackgroundServer
from local.sigv4_authorizer import LocalKeyPair, SigV4Authorizer
from tests.local.runtime_values import RUNTIME_ARN
from tests.support.agentcore_headers import END_USER_HEADER, REQUEST_ID_HEADER, SESSION_HEADER
from tests.support.agentcore_sdk import agentcore_client, botocore_error, refusal

MISMATCH = (
    "The request signature we calculated does not match the signature you provided. Check your AWS Secret "
    "Access Key and signing method. Consult the service documentation for details."
)


def _session() -> str:
    return str(uuid.uuid1())  # 36 characters, as the AWS samples make them


def _invoke(client: Any, prompt: str = "hi", **kwargs: Any) -> Any:
    kwargs.setdefault("agentRuntimeArn", RUNTIME_ARN)
    return client.invoke_agent_runtime(
        qualifier="live",
        payload=json.dumps({"prompt": prompt}),
        runtimeSessionId=kwargs.pop("session", _session()),
        **kwargs,
    )


def _url(front_door, arn: str = RUNTIME_ARN) -> str:
    return f"{front_door.url}/runtimes/{quote(arn, safe='')}/invocations?qualifier=live"


def _signed(
    url: str,
    body: bytes,
    key_pair: LocalKeyPair,
    *,
    headers: dict[str, str] | None = None,
    service: str = "bedrock-agentcore",
    region: str = "us-east-1",
) -> dict[str, str]:
    """Headers of a request signed by botocore's SigV4Auth, for requests boto3 would not make."""
    request = AWSRequest(method="POST", url=url, data=body, headers={SESSION_HEADER: _session(), **(headers or {})})
    SigV4Auth(Credentials(key_pair.access_key_id, key_pair.secret_access_key), service, region).add_auth(request)
    return dict(request.headers.items())


def _identity_headers(call: dict[str, Any]) -> dict[str, str]:
    """What the agent received of the headers that could name a caller."""
    return {
        k: v
        for k, v in call["headers"].items()
        if k.startswith(("x-amz", "authorization")) and k not in (SESSION_HEADER.lower(), REQUEST_ID_HEADER.lower())
    }


def test_each_mode_forwards_exactly_its_allowlisted_header(sigv4_front_door, front_door, upstream, key_pair, tokens):
    """IAM: the end-user header, never Authorization (SigV4). JWT: Authorization, never a custom header."""
    upstream.calls.clear()
    custom = {END_USER_HEADER: "alice", "X-Amzn-Bedrock-AgentCore-Runtime-Custom-Other": "x"}
    session = _session()

    response = _invoke(agentcore_client(sigv4_front_door.url, key_pair=key_pair, headers=custom), session=session)
    bearer = f"Bearer {tokens['AccessToken']}"
    jwt_answer = httpx.post(
        _url(front_door), json={"prompt": "hi"}, headers={"Authorization": bearer, SESSION_HEADER: session, **custom}
    )

    assert (response["statusCode"], response["runtimeSessionId"]) == (200, session)
    assert json.loads(response["response"].read()) == {"response": "echo: hi"}
    assert jwt_answer.status_code == 200
    iam_call, jwt_call = upstream.calls
    assert _identity_headers(iam_call) == {END_USER_HEADER.lower(): "alice"}
    assert _identity_headers(jwt_call) == {"authorization": bearer}
    assert iam_call["headers"][SESSION_HEADER.lower()] == session


def test_streamed_answer_arrives_as_a_streaming_body(sigv4_front_door, key_pair):
    client = agentcore_client(sigv4_front_door.url, key_pair=key_pair)

    response = client.invoke_agent_runtime(
        agentRuntimeArn=RUNTIME_ARN,
        qualifier="live",
        runtimeSessionId=_session(),
        payload=json.dumps({"prompt": "hi", "stream": True}),
    )

    assert response["contentType"].startswith("text/event-stream")
    assert [line for line in response["response"].iter_lines() if line] == [
        b'data: {"type": "delta", "text": "Hel"}',
        b'data: {"type": "delta", "text": "lo"}',
    ]


def test_wrong_secret_is_403_invalid_signature(sigv4_front_door, upstream, key_pair):
    upstream.calls.clear()
    forged = LocalKeyPair(access_key_id=key_pair.access_key_id, secret_access_key="not-the-secret")

    refused = refusal(lambda: _invoke(agentcore_client(sigv4_front_door.url, key_pair=forged)))

    assert refused == (403, "InvalidSignatureException", MISMATCH)
    assert upstream.calls == []


def test_unknown_access_key_is_403_unrecognized_client(sigv4_front_door, upstream):
    upstream.calls.clear()
    stranger = LocalKeyPair(access_key_id="AKIAUNKNOWNKEY000000", secret_access_key="whatever")

    refused = refusal(lambda: _invoke(agentcore_client(sigv4_front_door.url, key_pair=stranger)))

    assert refused == (403, "UnrecognizedClientException", "The security token included in the request is invalid.")
    assert upstream.calls == []


@contextmanager
def _front_door_with_clock(upstream, key_pair: LocalKeyPair, offset: dt.timedelta) -> Iterator[BackgroundServer]:
    """A SigV4 front door whose clock is `offset` away from the client's (the signer's) clock."""
    authorizer = SigV4Authorizer(
        region="us-east-1", key_pairs=[key_pair], clock=lambda: dt.datetime.now(dt.UTC) + offset
    )
    config = FrontDoorConfig(runtime_arn=RUNTIME_ARN, endpoint_name="live", upstream_url=upstream.server.url)
    server = BackgroundServer(create_front_door(config=config, authorizer=authorizer))
    try:
        yield server
    finally:
        server.stop()


def test_signature_older_than_five_minutes_is_403_expired(upstream, key_pair):
    with _front_door_with_clock(upstream, key_pair, dt.timedelta(minutes=6)) as six_minutes_later:
        status, code, message = refusal(lambda: _invoke(agentcore_client(six_minutes_later.url, key_pair=key_pair)))

    assert (status, code) == (403, "InvalidSignatureException")
    stamps = re.fullmatch(
        r"Signature expired: (\d{8}T\d{6}Z) is now earlier than (\d{8}T\d{6}Z) \((\d{8}T\d{6}Z) - 5 min\.\)", message
    )
    assert stamps, message
    signed, limit, now = (dt.datetime.strptime(s, "%Y%m%dT%H%M%SZ") for s in stamps.groups())
    assert now - limit == dt.timedelta(minutes=5) and signed < limit


def test_signature_more_than_five_minutes_ahead_is_403_not_yet_current(upstream, key_pair):
    with _front_door_with_clock(upstream, key_pair, -dt.timedelta(minutes=6)) as six_minutes_earlier:
        status, code, message = refusal(lambda: _invoke(agentcore_client(six_minutes_earlier.url, key_pair=key_pair)))

    assert (status, code) == (403, "InvalidSignatureException")
    assert re.fullmatch(
        r"Signature not yet current: \d{8}T\d{6}Z is still later than \d{8}T\d{6}Z \(\d{8}T\d{6}Z \+ 5 min\.\)", message
    )


@pytest.mark.parametrize("minutes", [4, -4])
def test_signature_four_minutes_off_is_accepted(upstream, key_pair, minutes):
    """Control for the two tests above: within the 5-minute window the same call passes."""
    with _front_door_with_clock(upstream, key_pair, dt.timedelta(minutes=minutes)) as four_minutes_off:
        assert _invoke(agentcore_client(four_minutes_off.url, key_pair=key_pair))["statusCode"] == 200


def test_signature_for_another_region_is_403(sigv4_front_door, key_pair):
    client = agentcore_client(sigv4_front_door.url, key_pair=key_pair, region="eu-west-1")

    refused = refusal(lambda: _invoke(client))

    assert refused == (
        403,
        "InvalidSignatureException",
        "Credential should be scoped to a valid region, not 'eu-west-1'. ",
    )


def test_signature_for_another_service_is_403(sigv4_front_door, key_pair):
    url, body = _url(sigv4_front_door), b'{"prompt": "hi"}'

    response = httpx.post(url, content=body, headers=_signed(url, body, key_pair, service="bedrock"))

    assert botocore_error(response) == {
        "Code": "InvalidSignatureException",
        "Message": "Credential should be scoped to correct service: 'bedrock-agentcore'. ",
    }


def test_end_user_header_changed_after_signing_is_refused(sigv4_front_door, upstream, key_pair):
    """The end user is signed: a proxy cannot swap alice for mallory."""
    upstream.calls.clear()
    url, body = _url(sigv4_front_door), b'{"prompt": "hi"}'
    headers = _signed(url, body, key_pair, headers={END_USER_HEADER: "alice"})

    tampered = httpx.post(url, content=body, headers={**headers, END_USER_HEADER: "mallory"})
    control = httpx.post(url, content=body, headers=headers)

    assert (tampered.status_code, botocore_error(tampered)) == (
        403,
        {"Code": "InvalidSignatureException", "Message": MISMATCH},
    )
    assert control.status_code == 200
    assert [c["headers"][END_USER_HEADER.lower()] for c in upstream.calls] == ["alice"]


def test_body_changed_after_signing_is_refused(sigv4_front_door, key_pair):
    url = _url(sigv4_front_door)
    headers = _signed(url, b'{"prompt": "hi"}', key_pair)

    response = httpx.post(url, content=b'{"prompt": "ho"}', headers=headers)

    assert (response.status_code, botocore_error(response)) == (
        403,
        {"Code": "InvalidSignatureException", "Message": MISMATCH},
    )


def test_signature_that_is_not_hex_is_a_mismatch_not_a_crash(sigv4_front_door, key_pair):
    url, body = _url(sigv4_front_door), b'{"prompt": "hi"}'
    headers = _signed(url, body, key_pair)
    authorization = headers.pop("Authorization").rsplit("Signature=", 1)[0] + "Signature=\u00e9\u00e9"

    response = httpx.post(url, content=body, headers={**headers, "Authorization": authorization.encode("latin-1")})

    assert (response.status_code, botocore_error(response)) == (
        403,
        {"Code": "InvalidSignatureException", "Message": MISMATCH},
    )
    assert httpx.get(f"{sigv4_front_door.url}/ping").json() == {"status": "Healthy"}


def test_bearer_token_is_refused_as_authorization_method_mismatch(sigv4_front_door, upstream):
    upstream.calls.clear()

    response = httpx.post(
        _url(sigv4_front_door),
        json={"prompt": "hi"},
        headers={"Authorization": "Bearer eyJhbGciOiJSUzI1NiJ9.e30.c2ln", SESSION_HEADER: _session()},
    )

    assert response.status_code == 403
    assert botocore_error(response) == {
        "Code": "AccessDeniedException",
        "Message": (
            "Authorization method mismatch. The agent is configured for a different authorization method than what was "
            "used in your request. Check the agent's authorization configuration and ensure your request uses the "
            "matching method (OAuth or SigV4)"
        ),
    }
    assert upstream.calls == []


def test_unsigned_call_is_403_missing_authentication_token(sigv4_front_door):
    response = httpx.post(_url(sigv4_front_door), json={"prompt": "hi"}, headers={SESSION_HEADER: _session()})

    assert response.status_code == 403
    assert response.json() == {
        "error": "Missing Authentication Token",
        "code": "missing_authentication_token",
        "message": "Missing Authentication Token",
    }
    assert response.headers["x-amzn-errortype"] == "MissingAuthenticationTokenException"


@pytest.mark.parametrize(
    ("authorization", "message"),
    [
        (
            "Basic YWxpY2U6cHc=",
            "Authorization header requires 'Credential' parameter. Authorization header requires "
            "'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. "
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.",
        ),
        (
            "AWS4-HMAC-SHA256 Credential=AKIALOCALTESTKEY0001/20261125/us-east-1/bedrock-agentcore/aws4_request",
            "Authorization header requires 'Signature' parameter. "
            "Authorization header requires 'SignedHeaders' parameter. "
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.",
        ),
    ],
)
def test_incomplete_authorization_names_every_missing_part(sigv4_front_door, authorization, message):
    response = httpx.post(
        _url(sigv4_front_door),
        json={"prompt": "hi"},
        headers={"Authorization": authorization, SESSION_HEADER: _session()},
    )

    assert (response.status_code, botocore_error(response)) == (
        400,
        {"Code": "IncompleteSignatureException", "Message": message},
    )


@pytest.mark.parametrize(
    ("status", "error_type"),
    [
        (400, "ValidationException"),
        (401, "UnauthorizedException"),
        (403, "AccessDeniedException"),
        (404, "ResourceNotFoundException"),
        (409, "RetryableConflictException"),
        (429, "ThrottlingException"),
        (500, "RuntimeClientError"),
        (502, "RuntimeClientError"),
        (503, "RuntimeClientError"),
    ],
)
def test_agent_error_reaches_boto3_with_aws_name_and_message(sigv4_front_door, key_pair, status, error_type):
    """The stand-in agent answers `{"error", "code"}` without `message`; boto3 still gets both."""
    client = agentcore_client(sigv4_front_door.url, key_pair=key_pair)

    refused = refusal(lambda: _invoke(client, f"answer {status}"))

    assert refused == (status, error_type, f"the agent answered {status}")


def test_agent_error_that_is_not_json_still_has_a_message(sigv4_front_door, key_pair):
    refused = refusal(lambda: _invoke(agentcore_client(sigv4_front_door.url, key_pair=key_pair), "answer text"))

    assert refused == (500, "RuntimeClientError", "upstream is not JSON")


def test_runtime_named_by_id_and_account_is_served(sigv4_front_door, upstream, key_pair):
    upstream.calls.clear()
    client = agentcore_client(sigv4_front_door.url, key_pair=key_pair)

    response = _invoke(client, agentRuntimeArn="agentcore_session_dev-Ab12Cd34Ef", accountId="123456789012")

    assert json.loads(response["response"].read()) == {"response": "echo: hi"}
    assert len(upstream.calls) == 1


def test_runtime_id_of_another_account_is_404(sigv4_front_door, key_pair):
    client = agentcore_client(sigv4_front_door.url, key_pair=key_pair)

    refused = refusal(
        lambda: _invoke(client, agentRuntimeArn="agentcore_session_dev-Ab12Cd34Ef", accountId="999999999999")
    )

    assert refused == (
        404,
        "ResourceNotFoundException",
        "no agent runtime with id 'agentcore_session_dev-Ab12Cd34Ef' in account '999999999999' is served here",
    )


def test_runtime_id_without_account_is_400(sigv4_front_door, key_pair):
    client = agentcore_client(sigv4_front_door.url, key_pair=key_pair)

    refused = refusal(lambda: _invoke(client, agentRuntimeArn="agentcore_session_dev-Ab12Cd34Ef"))

    assert refused == (
        400,
        "ValidationException",
        "accountId is required when the runtime is named by its id ('agentcore_session_dev-Ab12Cd34Ef') "
        "instead of its ARN",
    )


def test_unencoded_arn_is_404_saying_how_to_encode_it(sigv4_front_door, upstream):
    upstream.calls.clear()

    response = httpx.post(
        f"{sigv4_front_door.url}/runtimes/{RUNTIME_ARN}/invocations?qualifier=live",
        json={"prompt": "hi"},
        headers={SESSION_HEADER: _session()},
    )

    assert (response.status_code, botocore_error(response)) == (
        404,
        {
            "Code": "ResourceNotFoundException",
            "Message": (
                f"no agent runtime at /runtimes/{RUNTIME_ARN}: URL-encode the runtime ARN (':' as %3A, '/' as %2F), "
                "or name the runtime by its id with ?accountId=<account>"
            ),
        },
    )
    assert upstream.calls == []


def test_repeated_end_user_header_is_400(sigv4_front_door, upstream):
    upstream.calls.clear()

    response = httpx.post(
        _url(sigv4_front_door),
        content=b'{"prompt": "hi"}',
        headers=[(SESSION_HEADER, _session()), (END_USER_HEADER, "alice"), (END_USER_HEADER, "mallory")],
    )

    assert (response.status_code, botocore_error(response)) == (
        400,
        {
            "Code": "ValidationException",
            "Message": (f"header {END_USER_HEADER} appears 2 times but may appear at most once"),
        },
    )
    assert upstream.calls == []
