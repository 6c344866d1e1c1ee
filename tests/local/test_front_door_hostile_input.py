"""Hostile input at the front door gets a 4xx AWS-shaped JSON answer, never a 500 or a reset connection.

Each refusal has a valid control beside it, sent through the same server, that passes: the refusal is for the
hostile part alone. Tokens are moto's own claims, re-signed with moto's key, so only the part under test differs.
"""

from __future__ import annotations

import base64
import json
import time
import uuid
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from tests.local.moto_tokens import claims_of, moto_signing_key
from tests.local.runtime_values import ENDPOINT, RUNTIME_ARN
from tests.support.agentcore_headers import END_USER_HEADER, SESSION_HEADER
from tests.support.agentcore_sdk import botocore_error

SESSION = f"hostile-input-{uuid.uuid4().hex}"


def _b64(data: bytes) -> bytes:
    return base64.urlsafe_b64encode(data).rstrip(b"=")


def _raw_token(header: dict[str, Any], claims: dict[str, Any]) -> str:
    """A JWT signed with moto's key whatever its header holds (PyJWT refuses to encode a `kid` that is not a string)."""
    signing_input = _b64(json.dumps(header).encode()) + b"." + _b64(json.dumps(claims).encode())
    signature = moto_signing_key().sign(signing_input, padding.PKCS1v15(), hashes.SHA256())
    return (signing_input + b"." + _b64(signature)).decode()


def _url(server: Any) -> str:
    return f"{server.url}/runtimes/{quote(RUNTIME_ARN, safe='')}/invocations?qualifier={ENDPOINT}"


def _post(server: Any, headers: dict[str, str | bytes]) -> httpx.Response:
    return httpx.post(_url(server), headers=headers, content=b'{"prompt": "hi"}', timeout=30)


def _bearer(server: Any, token: str, session: str | bytes = SESSION) -> httpx.Response:
    return _post(server, {"Authorization": f"Bearer {token}", SESSION_HEADER: session})


def _assert_refused(response: httpx.Response, status: int, error_type: str, code: str, message: str) -> None:
    assert (response.status_code, response.headers["x-amzn-errortype"]) == (status, error_type)
    assert response.json() == {"error": message, "code": code, "message": message}
    assert botocore_error(response) == {"Code": error_type, "Message": message}


def _moto_header(tokens: dict[str, str]) -> dict[str, Any]:
    header = json.loads(base64.urlsafe_b64decode(tokens["AccessToken"].split(".")[0] + "=="))
    assert isinstance(header["kid"], str)
    return header


@pytest.mark.parametrize("kid", [["dummy"], {"kid": "dummy"}, 7, None])
def test_jwt_kid_that_is_not_a_string_is_401(front_door, upstream, tokens, kid):
    upstream.calls.clear()
    claims = claims_of(tokens["AccessToken"])

    hostile = _bearer(front_door, _raw_token({**_moto_header(tokens), "kid": kid}, claims))
    control = _bearer(front_door, _raw_token(_moto_header(tokens), claims))

    assert hostile.status_code == 401 and hostile.headers["x-amzn-errortype"] == "UnauthorizedException"
    assert hostile.json()["code"] == "invalid_token"
    assert hostile.json()["message"].startswith("bearer token is not a verifiable JWT: ")
    assert control.status_code == 200
    assert len(upstream.calls) == 1


@pytest.mark.parametrize("client_id", [["{client}"], {"id": "{client}"}, 42, None])
def test_signed_token_whose_client_id_is_not_a_string_is_403(front_door, upstream, tokens, resign_token, client_id):
    upstream.calls.clear()
    allowed = claims_of(tokens["AccessToken"])["client_id"]
    hostile_id = json.loads(json.dumps(client_id).replace("{client}", allowed))

    hostile = _bearer(front_door, resign_token(tokens["AccessToken"], client_id=hostile_id))
    control = _bearer(front_door, resign_token(tokens["AccessToken"], client_id=allowed))

    _assert_refused(
        hostile,
        403,
        "AccessDeniedException",
        "client_not_allowed",
        "client_id must be a string naming an allowed client of this runtime",
    )
    assert control.status_code == 200
    assert len(upstream.calls) == 1


@pytest.mark.parametrize("claim", ["exp", "iat", "nbf"])
def test_time_claim_as_a_numeric_string_is_401(front_door, upstream, tokens, resign_token, claim):
    """RFC 7519 section 2: NumericDate is "A JSON numeric value"; PyJWT alone would accept `"exp": "<digits>"`."""
    upstream.calls.clear()
    valid = {"exp": int(time.time()) + 600, "iat": int(time.time()) - 5, "nbf": int(time.time()) - 5}[claim]

    hostile = _bearer(front_door, resign_token(tokens["AccessToken"], **{claim: str(valid)}))
    control = _bearer(front_door, resign_token(tokens["AccessToken"], **{claim: valid}))

    _assert_refused(
        hostile,
        401,
        "UnauthorizedException",
        "invalid_token",
        f"bearer token is invalid: claim '{claim}' must be a JSON number (NumericDate)",
    )
    assert control.status_code == 200
    assert len(upstream.calls) == 1


@pytest.mark.parametrize(
    ("session", "byte", "position"),
    [
        ("sessión-" + "a" * 40, 0xC3, 5),  # UTF-8 é/ó: the first byte of the two is refused
        ("\u202e" + "b" * 40, 0xE2, 0),  # RIGHT-TO-LEFT OVERRIDE
        ("c" * 40 + "\u00a0", 0xC2, 40),  # NO-BREAK SPACE at the end
        ("d" * 20 + "\t" + "d" * 20, 0x09, 20),  # a control character
    ],
    ids=["accented", "rtl-override", "no-break-space", "tab"],
)
def test_session_id_that_is_not_printable_ascii_is_400(front_door, upstream, tokens, session, byte, position):
    upstream.calls.clear()
    token = tokens["AccessToken"]

    hostile = _bearer(front_door, token, session=session.encode())
    control = _bearer(front_door, token, session="e" * len(session.encode()))

    message = (
        f"{SESSION_HEADER} may hold printable ASCII characters only, but byte 0x{byte:02x} at position {position} "
        "is not"
    )
    _assert_refused(hostile, 400, "ValidationException", "invalid_session_id", message)
    assert control.status_code == 200
    assert len(upstream.calls) == 1


def _sigv4_headers(server: Any, key_pair: Any, end_user_bytes: bytes) -> dict[str, str | bytes]:
    """A botocore-signed call naming `end_user_bytes` as the end user (signed as the Latin-1 text the server sees)."""
    end_user = end_user_bytes.decode("latin-1")
    request = AWSRequest(
        method="POST",
        url=_url(server),
        data=b'{"prompt": "hi"}',
        headers={SESSION_HEADER: SESSION, END_USER_HEADER: end_user},
    )
    credentials = Credentials(key_pair.access_key_id, key_pair.secret_access_key)
    SigV4Auth(credentials, "bedrock-agentcore", "us-east-1").add_auth(request)
    return {name: value.encode("latin-1") for name, value in request.headers.items()}


@pytest.mark.parametrize("end_user", ["alicé", "\u202eecila", "bob\u00a0"], ids=["accented", "rtl-override", "nbsp"])
def test_non_ascii_end_user_reaches_the_agent_byte_for_byte(sigv4_front_door, upstream, key_pair, end_user):
    """The agent hashes an unsafe user id (tests/local/test_iam_runtime.py shows it with the real agent)."""
    upstream.calls.clear()
    sent = end_user.encode()

    response = _post(sigv4_front_door, _sigv4_headers(sigv4_front_door, key_pair, sent))
    control = _post(sigv4_front_door, _sigv4_headers(sigv4_front_door, key_pair, b"alice"))

    assert (response.status_code, control.status_code) == (200, 200)
    received = [call["headers"][END_USER_HEADER.lower()].encode("latin-1") for call in upstream.calls]
    assert received == [sent, b"alice"]


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("POST", "/invocations", 404),  # the starter toolkit's local address
        ("POST", "/runtimes", 404),
        ("GET", "/", 404),
        ("POST", "/ping", 405),
        ("GET", f"/runtimes/{quote(RUNTIME_ARN, safe='')}/invocations", 405),
    ],
)
def test_unknown_route_is_aws_shaped_and_names_the_address_forms(front_door, sigv4_front_door, method, path, status):
    for server in (front_door, sigv4_front_door):
        response = httpx.request(method, f"{server.url}{path}", content=b'{"prompt": "hi"}', timeout=30)

        message = (
            f"no operation at {method} {path}; this front door serves: "
            "POST /runtimes/<URL-encoded runtime ARN>/invocations?qualifier=<endpoint>; "
            "POST /runtimes/<runtime id>/invocations?accountId=<account>&qualifier=<endpoint>; "
            "POST /runtimes/<URL-encoded runtime ARN, or id with accountId>/stopruntimesession?qualifier=<endpoint>; "
            "GET (WebSocket) /runtimes/<URL-encoded runtime ARN>/ws?qualifier=<endpoint>; "
            "GET /ping"
        )
        code = "unknown_route" if status == 404 else "method_not_allowed"
        _assert_refused(response, status, "ResourceNotFoundException", code, message)
    assert httpx.get(f"{front_door.url}/ping").json() == {"status": "Healthy"}  # control: a served route


def test_a_long_unknown_path_is_cut_in_the_message(front_door):
    path = "/x" * 500

    response = httpx.post(f"{front_door.url}{path}", timeout=30)

    assert response.status_code == 404
    assert response.json()["message"].startswith(f"no operation at POST {path[:200]}...; this front door serves: ")
