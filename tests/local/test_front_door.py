"""The front door in JWT mode checks tokens and session ids like AgentCore's JWT authorizer, then forwards."""

from __future__ import annotations

import time
import uuid
from typing import Any
from urllib.parse import quote

import httpx
import jwt
import pytest

from local.front_door import FrontDoorConfig, create_front_door
from local.http_server import BackgroundServer
from local.processes import free_port
from tests.local.runtime_values import RUNTIME_ARN
from tests.support.agentcore_headers import REQUEST_ID_HEADER, SESSION_HEADER
from tests.support.agentcore_sdk import botocore_error

SESSION = f"test-session-{uuid.uuid4().hex}"


def _aws_error(message: str, code: str) -> dict[str, str]:
    """The front door's error body: the project's `error`/`code` and the `message` AWS SDKs read."""
    return {"error": message, "code": code, "message": message}


def _url(front_door: BackgroundServer, arn: str = RUNTIME_ARN, qualifier: str = "live") -> str:
    return f"{front_door.url}/runtimes/{quote(arn, safe='')}/invocations?qualifier={qualifier}"


def _call(front_door: BackgroundServer, token: str | None, *, session: str = SESSION, **kwargs: Any) -> httpx.Response:
    headers = {SESSION_HEADER: session, "Content-Type": "application/json"}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    return httpx.post(
        kwargs.pop("url", _url(front_door)), headers=headers, json=kwargs.pop("payload", {"prompt": "hi"}), timeout=10
    )


def test_valid_access_token_is_forwarded_with_session_and_authorization(front_door, upstream, tokens):
    upstream.calls.clear()
    response = _call(front_door, tokens["AccessToken"])
    assert response.status_code == 200
    assert response.json() == {"response": "echo: hi"}
    assert response.headers[SESSION_HEADER] == SESSION
    (call,) = upstream.calls
    assert call["headers"][SESSION_HEADER.lower()] == SESSION
    assert call["headers"]["authorization"] == f"Bearer {tokens['AccessToken']}"
    assert len(call["headers"][REQUEST_ID_HEADER.lower()]) == 32
    assert call["body"] == {"prompt": "hi"}


def test_streamed_answer_arrives_as_event_stream(front_door, tokens):
    response = _call(front_door, tokens["AccessToken"], payload={"prompt": "hi", "stream": True})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    assert response.text == 'data: {"type": "delta", "text": "Hel"}\n\ndata: {"type": "delta", "text": "lo"}\n\n'


def test_missing_token_is_401(front_door, upstream):
    upstream.calls.clear()
    response = _call(front_door, None)
    assert response.status_code == 401
    assert response.json() == _aws_error("Authorization header with a bearer token is required", "missing_token")
    assert upstream.calls == []


def test_non_bearer_scheme_is_401(front_door):
    response = httpx.post(_url(front_door), headers={"Authorization": "Basic YWxpY2U6cHc=", SESSION_HEADER: SESSION})
    assert response.status_code == 401
    assert response.json() == _aws_error("Authorization header must be 'Bearer <access token>'", "invalid_token")


def test_token_signed_by_another_key_is_401(front_door, tokens, resign_token, throwaway_key):
    forged = resign_token(tokens["AccessToken"], key=throwaway_key)
    response = _call(front_door, forged)
    assert response.status_code == 401
    assert response.json() == _aws_error("bearer token signature does not verify", "invalid_signature")


def test_garbage_token_is_401(front_door):
    response = _call(front_door, "not-a-jwt")
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_token"
    assert response.json()["error"].startswith("bearer token is not a verifiable JWT: ")


def test_expired_token_is_401(front_door, tokens, resign_token):
    now = int(time.time())
    stale = resign_token(tokens["AccessToken"], iat=now - 7200, exp=now - 60)
    response = _call(front_door, stale)
    assert response.status_code == 401
    assert response.json() == _aws_error("bearer token has expired", "token_expired")


def test_moto_resigned_token_with_valid_claims_passes(front_door, tokens, resign_token):
    """Proves the expiry test above fails for the expiry alone, not for the re-signing."""
    response = _call(front_door, resign_token(tokens["AccessToken"]))
    assert response.status_code == 200


def test_id_token_instead_of_access_token_is_401(front_door, tokens):
    response = _call(front_door, tokens["IdToken"])
    assert response.status_code == 401
    assert response.json() == _aws_error(
        "token_use is 'id' but the runtime accepts only access tokens", "invalid_token_use"
    )


def test_token_of_client_not_allowed_is_403(front_door, other_client_tokens):
    response = _call(front_door, other_client_tokens["AccessToken"])
    client_id = jwt.decode(other_client_tokens["AccessToken"], options={"verify_signature": False})["client_id"]
    assert response.status_code == 403
    message = f"client_id '{client_id}' is not an allowed client of this runtime"
    assert response.json() == _aws_error(message, "client_not_allowed")


def test_token_of_another_pool_is_401(front_door, identity, other_pool_tokens):
    response = _call(front_door, other_pool_tokens["AccessToken"])
    assert response.status_code == 401
    issuer = f"https://cognito-idp.us-east-1.amazonaws.com/{identity.user_pool_id}"
    assert response.json() == _aws_error(f"bearer token was not issued by {issuer}", "invalid_issuer")


@pytest.mark.parametrize("session", ["x", "a" * 32])
def test_session_id_under_33_characters_is_400(front_door, upstream, tokens, session):
    upstream.calls.clear()
    response = _call(front_door, tokens["AccessToken"], session=session)
    assert response.status_code == 400
    message = f"{SESSION_HEADER} is {len(session)} characters long but must be at least 33"
    assert response.json() == _aws_error(message, "invalid_session_id")
    assert upstream.calls == []


def test_session_id_of_33_characters_passes(front_door, tokens):
    assert _call(front_door, tokens["AccessToken"], session="b" * 33).status_code == 200


def test_unknown_runtime_arn_is_404(front_door, tokens):
    other = RUNTIME_ARN.replace("Ab12Cd34Ef", "Zz99Zz99Zz")
    response = _call(front_door, tokens["AccessToken"], url=_url(front_door, arn=other))
    assert response.status_code == 404
    assert response.json() == _aws_error(f"no agent runtime with ARN '{other}' is served here", "runtime_not_found")


def test_unknown_qualifier_is_404(front_door, tokens):
    response = _call(front_door, tokens["AccessToken"], url=_url(front_door, qualifier="nope"))
    assert response.status_code == 404
    assert response.json() == _aws_error("runtime has no endpoint named 'nope'", "endpoint_not_found")


def test_stop_session_answers_like_stop_runtime_session(front_door, tokens):
    url = f"{front_door.url}/runtimes/{quote(RUNTIME_ARN, safe='')}/stopruntimesession?qualifier=live"
    response = httpx.post(url, headers={"Authorization": f"Bearer {tokens['AccessToken']}", SESSION_HEADER: SESSION})
    assert response.status_code == 200
    assert response.json() == {"runtimeSessionId": SESSION, "statusCode": 200}


def test_unreachable_agent_is_502_and_front_door_stays_healthy(jwt_authorizer, tokens):
    config = FrontDoorConfig(
        runtime_arn=RUNTIME_ARN, endpoint_name="live", upstream_url=f"http://127.0.0.1:{free_port()}"
    )
    server = BackgroundServer(create_front_door(config=config, authorizer=jwt_authorizer))
    try:
        response = _call(server, tokens["AccessToken"])
        assert response.status_code == 502
        assert response.json() == _aws_error(
            "the agent server behind the local runtime is unreachable", "runtime_unavailable"
        )
        assert httpx.get(f"{server.url}/ping").json() == {"status": "Healthy"}
    finally:
        server.stop()


def test_sigv4_call_is_refused_as_authorization_method_mismatch(front_door, upstream):
    upstream.calls.clear()
    sigv4 = (
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261125/us-east-1/bedrock-agentcore/aws4_request, "
        "SignedHeaders=host, Signature=abc"
    )
    response = httpx.post(
        _url(front_door), headers={"Authorization": sigv4, SESSION_HEADER: SESSION}, json={"prompt": "hi"}
    )
    assert response.status_code == 403
    assert response.headers["x-amzn-errortype"] == "AccessDeniedException"
    assert response.json() == _aws_error(
        "Authorization method mismatch. The agent is configured for a different authorization method than what was "
        "used in your request. Check the agent's authorization configuration and ensure your request uses the "
        "matching method (OAuth or SigV4)",
        "authorization_method_mismatch",
    )
    assert upstream.calls == []


@pytest.mark.parametrize(
    ("case", "status", "error_type", "message"),
    [
        ("no token", 401, "UnauthorizedException", "Authorization header with a bearer token is required"),
        ("expired", 401, "UnauthorizedException", "bearer token has expired"),
        (
            "other client",
            403,
            "AccessDeniedException",
            "client_id '{client_id}' is not an allowed client of this runtime",
        ),
        (
            "short session",
            400,
            "ValidationException",
            f"{SESSION_HEADER} is 5 characters long but must be at least 33",
        ),
        (
            "other runtime",
            404,
            "ResourceNotFoundException",
            f"no agent runtime with ARN '{RUNTIME_ARN.replace('Ab12Cd34Ef', 'Zz99Zz99Zz')}' is served here",
        ),
    ],
)
def test_jwt_errors_are_readable_by_aws_sdks(
    front_door, tokens, other_client_tokens, resign_token, case, status, error_type, message
):
    """boto3 cannot call a JWT runtime, but the starter toolkit and AWS CLI parse its errors the same way."""
    now = int(time.time())
    token = {
        "no token": None,
        "expired": resign_token(tokens["AccessToken"], iat=now - 7200, exp=now - 60),
        "other client": other_client_tokens["AccessToken"],
    }.get(case, tokens["AccessToken"])
    url = (
        _url(front_door, arn=RUNTIME_ARN.replace("Ab12Cd34Ef", "Zz99Zz99Zz"))
        if case == "other runtime"
        else _url(front_door)
    )
    response = _call(front_door, token, session="short" if case == "short session" else SESSION, url=url)

    error = botocore_error(response)
    assert (response.status_code, response.headers["x-amzn-errortype"], error["Code"]) == (
        status,
        error_type,
        error_type,
    )
    other_client_id = jwt.decode(other_client_tokens["AccessToken"], options={"verify_signature": False})["client_id"]
    assert error["Message"] == response.json()["error"] == message.format(client_id=other_client_id)


def test_agent_error_through_the_jwt_front_door_has_aws_name_and_message(front_door, tokens):
    response = _call(front_door, tokens["AccessToken"], payload={"prompt": "answer 409"})

    assert response.status_code == 409
    assert botocore_error(response) == {"Code": "RetryableConflictException", "Message": "the agent answered 409"}
    assert response.headers["retry-after"] == "1"  # the client waits what the agent asks
    assert response.json() == {
        "error": "the agent answered 409",
        "code": "scripted",
        "message": "the agent answered 409",
    }


def test_jwt_runtime_named_by_id_and_account_is_served(front_door, tokens):
    url = (
        f"{front_door.url}/runtimes/agentcore_session_dev-Ab12Cd34Ef/invocations?qualifier=live&accountId=123456789012"
    )

    response = _call(front_door, tokens["AccessToken"], url=url)

    assert (response.status_code, response.json()) == (200, {"response": "echo: hi"})


def test_two_authorization_headers_are_401_even_if_one_is_valid(front_door, upstream, tokens):
    upstream.calls.clear()
    headers = [
        (SESSION_HEADER, SESSION),
        ("Content-Type", "application/json"),
        ("Authorization", f"Bearer {tokens['AccessToken']}"),
        ("Authorization", "Bearer forged"),
    ]

    response = httpx.post(_url(front_door), headers=headers, content=b'{"prompt": "hi"}', timeout=10)

    assert response.status_code == 401
    message = "request has more than one Authorization header; send exactly one"
    assert response.json() == {"error": message, "code": "invalid_token", "message": message}
    assert response.headers["x-amzn-errortype"] == "UnauthorizedException"
    assert upstream.calls == []
