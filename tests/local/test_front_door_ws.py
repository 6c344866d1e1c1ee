"""The front door's `/runtimes/<arn>/ws` through the real local runtime (moto Cognito, front door, agent process).

Clients are Python `websockets` and bedrock_agentcore's `AgentCoreRuntimeClient` unchanged: its URLs name AWS's host
(it refuses any other), so the connection goes to the front door's address with `host`/`port` (as DNS would), over
`ws://` since the local front door has no TLS; path, query, Host and signatures stay as the SDK made them.
"""

from __future__ import annotations

import asyncio
import base64
import json
import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote, urlsplit

import boto3
import pytest
from bedrock_agentcore.runtime import AgentCoreRuntimeClient
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from local.identity_pool import LOCAL_CREDENTIALS
from local.runtime import LocalRuntime, LocalRuntimeSettings
from local.sigv4_authorizer import LocalKeyPair
from tests.support.agentcore_headers import BEARER_SUBPROTOCOL, SESSION_HEADER
from tests.support.run_agent import RUN_AGENT

SENTINEL = BEARER_SUBPROTOCOL
SESSION_PARAMETER = SESSION_HEADER  # the browser names the session in the query
PASSWORD = "Local-Passw0rd!"
# The headers a WebSocket library writes itself; the SDK returns them too, for clients that build the request by hand.
LIBRARY_HEADERS = frozenset({"host", "upgrade", "connection", "sec-websocket-key", "sec-websocket-version"})


def _session() -> str:
    return f"ws-test-{uuid.uuid4()}"


@pytest.fixture(scope="module")
def jwt_runtime(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalRuntime]:
    settings = LocalRuntimeSettings(state_dir=tmp_path_factory.mktemp("jwt-ws"), agent_command=RUN_AGENT)
    with LocalRuntime(settings) as runtime:
        yield runtime


@pytest.fixture(scope="module")
def iam_runtime(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalRuntime]:
    settings = LocalRuntimeSettings(
        state_dir=tmp_path_factory.mktemp("iam-ws"), agent_command=RUN_AGENT, authorizer="iam"
    )
    with LocalRuntime(settings) as runtime:
        yield runtime


@pytest.fixture(scope="module")
def tokens(jwt_runtime: LocalRuntime) -> dict[str, str]:
    """Access tokens moto's Cognito issued to alice and bob."""
    identity = jwt_runtime.identity
    cognito = boto3.client(
        "cognito-idp", region_name=identity.region, endpoint_url=identity.endpoint_url, **LOCAL_CREDENTIALS
    )
    issued = {}
    for user in ("alice", "bob"):
        cognito.admin_create_user(UserPoolId=identity.user_pool_id, Username=user, MessageAction="SUPPRESS")
        cognito.admin_set_user_password(
            UserPoolId=identity.user_pool_id, Username=user, Password=PASSWORD, Permanent=True
        )
        issued[user] = cognito.initiate_auth(
            ClientId=identity.client_id,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": user, "PASSWORD": PASSWORD},
        )["AuthenticationResult"]["AccessToken"]
    return issued


def _url(runtime: LocalRuntime, session_id: str | None = None) -> str:
    query = "qualifier=local" + (f"&{SESSION_PARAMETER}={session_id}" if session_id else "")
    host = urlsplit(runtime.front_door_url).netloc
    return f"ws://{host}/runtimes/{quote(runtime.runtime_arn, safe='')}/ws?{query}"


def _subprotocols(token: str) -> list[str]:
    return [f"{SENTINEL}.{base64.urlsafe_b64encode(token.encode()).decode().rstrip('=')}", SENTINEL]


async def _turn(websocket: ClientConnection, prompt: str) -> list[dict[str, Any]]:
    await websocket.send(json.dumps({"prompt": prompt}))
    events = []
    while not events or events[-1]["type"] not in ("done", "error"):
        events.append(json.loads(await websocket.recv()))
    return events


def _sdk_connect(runtime: LocalRuntime, url: str, headers: dict[str, str] | None = None, **kwargs: Any) -> Any:
    """Open the SDK's URL at the front door's address, with the SDK's headers minus the ones the library writes."""
    address = urlsplit(runtime.front_door_url)
    kept = {name: value for name, value in (headers or {}).items() if name.lower() not in LIBRARY_HEADERS}
    return connect(
        url.replace("wss://", "ws://", 1), host=address.hostname, port=address.port, additional_headers=kept, **kwargs
    )


def test_browser_subprotocols_stream_a_remembering_conversation(jwt_runtime, tokens):
    session_id = _session()

    async def scenario() -> tuple[str | None, list[dict[str, Any]], list[dict[str, Any]]]:
        async with connect(_url(jwt_runtime, session_id), subprotocols=_subprotocols(tokens["alice"])) as websocket:
            first = await _turn(websocket, "My name is Alice")
            second = await _turn(websocket, "Do you remember my name?")
            return websocket.subprotocol, first, second

    subprotocol, first, second = asyncio.run(scenario())

    assert subprotocol == SENTINEL  # the sentinel, never the token
    assert {e["type"] for e in first[:-1]} == {"delta"} and first[-1]["response"] == "Nice to meet you, Alice."
    assert first[-1]["session_id"] == session_id
    assert second[-1]["response"] == "Your name is Alice."


def test_another_users_session_is_closed_with_4403(jwt_runtime, tokens):
    session_id = _session()

    async def scenario() -> ConnectionClosed:
        async with connect(_url(jwt_runtime, session_id), subprotocols=_subprotocols(tokens["alice"])) as websocket:
            await _turn(websocket, "My name is Alice")
        async with connect(_url(jwt_runtime, session_id), subprotocols=_subprotocols(tokens["bob"])) as websocket:
            with pytest.raises(ConnectionClosed) as closed:
                await websocket.recv()
            return closed.value

    closed = asyncio.run(scenario())

    assert closed.rcvd is not None and closed.rcvd.code == 4403
    assert json.loads(closed.rcvd.reason)["code"] == "session_forbidden"


@pytest.mark.parametrize(
    ("subprotocols", "status", "code"),
    [
        (None, 401, None),  # no token at all: the authorizer's own refusal
        ("token-without-sentinel", 401, "invalid_token"),
        ("sentinel-only", 401, None),
        ("not-base64url", 401, "invalid_token"),
        ("forged", 401, None),
    ],
)
def test_refusals_before_the_upgrade_are_the_http_answers(jwt_runtime, tokens, subprotocols, status, code):
    good = _subprotocols(tokens["alice"])
    forged_token = tokens["alice"][:-4] + ("AAAA" if not tokens["alice"].endswith("AAAA") else "BBBB")
    offered = {
        None: None,
        "token-without-sentinel": good[:1],
        "sentinel-only": [SENTINEL],
        "not-base64url": [f"{SENTINEL}.a*b+c", SENTINEL],
        "forged": _subprotocols(forged_token),
    }[subprotocols]

    async def scenario() -> InvalidStatus:
        with pytest.raises(InvalidStatus) as refused:
            async with connect(_url(jwt_runtime, _session()), subprotocols=offered):
                pass
        return refused.value

    response = asyncio.run(scenario()).response
    body = json.loads(response.body)
    assert (response.status_code, response.headers["x-amzn-ErrorType"]) == (status, "UnauthorizedException")
    assert body["message"] and body["message"] == body["error"]
    if code is not None:
        assert body["code"] == code


def test_sdk_oauth_connection_works_unchanged(jwt_runtime, tokens):
    client = AgentCoreRuntimeClient(region=jwt_runtime.settings.region)
    session_id = _session()
    url, headers = client.generate_ws_connection_oauth(
        jwt_runtime.runtime_arn, tokens["alice"], session_id=session_id, endpoint_name="local"
    )

    async def scenario() -> list[dict[str, Any]]:
        async with _sdk_connect(jwt_runtime, url, headers) as websocket:
            return await _turn(websocket, "My name is Alice")

    done = asyncio.run(scenario())[-1]
    assert (done["type"], done["session_id"], done["response"]) == ("done", session_id, "Nice to meet you, Alice.")


def _iam_client(runtime: LocalRuntime, key_pair: LocalKeyPair | None = None) -> AgentCoreRuntimeClient:
    key = key_pair or runtime.key_pair
    assert key is not None
    session = boto3.Session(
        aws_access_key_id=key.access_key_id,
        aws_secret_access_key=key.secret_access_key,
        region_name=runtime.settings.region,
    )
    return AgentCoreRuntimeClient(region=runtime.settings.region, session=session)


def test_sdk_sigv4_headers_and_presigned_url_work_unchanged(iam_runtime):
    client = _iam_client(iam_runtime)
    session_id = _session()
    url, headers = client.generate_ws_connection(iam_runtime.runtime_arn, session_id=session_id, endpoint_name="local")
    presigned = client.generate_presigned_url(iam_runtime.runtime_arn, session_id=session_id, endpoint_name="local")

    async def scenario() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        async with _sdk_connect(iam_runtime, url, headers) as websocket:
            first = await _turn(websocket, "My name is Alice")
        async with _sdk_connect(iam_runtime, presigned) as websocket:
            second = await _turn(websocket, "Do you remember my name?")
        return first, second

    first, second = asyncio.run(scenario())
    assert first[-1]["response"] == "Nice to meet you, Alice."
    assert second[-1]["response"] == "Your name is Alice."


@pytest.mark.parametrize("tamper", ["wrong-secret", "edited-query", "bearer-to-iam"])
def test_iam_refusals_before_the_upgrade(iam_runtime, tokens, tamper):
    if tamper == "wrong-secret":
        assert iam_runtime.key_pair is not None
        forged = LocalKeyPair(access_key_id=iam_runtime.key_pair.access_key_id, secret_access_key="not-the-secret")
        url = _iam_client(iam_runtime, forged).generate_presigned_url(iam_runtime.runtime_arn, endpoint_name="local")
        expected = (403, "InvalidSignatureException")
    elif tamper == "edited-query":
        url = _iam_client(iam_runtime).generate_presigned_url(
            iam_runtime.runtime_arn, session_id=_session(), endpoint_name="local"
        )
        url = url.replace(f"{SESSION_PARAMETER}=ws-test-", f"{SESSION_PARAMETER}=ws-tEst-", 1)
        expected = (403, "InvalidSignatureException")
    else:
        url, _ = AgentCoreRuntimeClient(region=iam_runtime.settings.region).generate_ws_connection_oauth(
            iam_runtime.runtime_arn, tokens["alice"], endpoint_name="local"
        )
        expected = (403, "AccessDeniedException")
    headers = {"Authorization": f"Bearer {tokens['alice']}"} if tamper == "bearer-to-iam" else None

    async def scenario() -> InvalidStatus:
        with pytest.raises(InvalidStatus) as refused:
            async with _sdk_connect(iam_runtime, url, headers):
                pass
        return refused.value

    response = asyncio.run(scenario()).response
    assert (response.status_code, response.headers["x-amzn-ErrorType"]) == expected
    assert json.loads(response.body)["message"]
