"""Fixtures for the local runtime: moto Cognito over HTTP, tokens, an upstream recorder, JWT and SigV4 front doors."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import boto3
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from local.aws_emulator import Emulator
from local.front_door import FrontDoorConfig, create_front_door
from local.http_server import BackgroundServer
from local.identity_pool import LOCAL_CREDENTIALS, LocalIdentity, create_identity
from local.jwt_authorizer import JwtAuthorizer, discover
from local.sigv4_authorizer import LocalKeyPair, SigV4Authorizer
from tests.local.moto_tokens import resign
from tests.local.runtime_values import ENDPOINT, KEY_PAIR, REGION, RUNTIME_ARN

PASSWORD = "Corr3ct-Horse-Battery!"


@pytest.fixture(scope="session")
def identity(emulator: Emulator) -> LocalIdentity:
    return create_identity(endpoint_url=emulator.endpoint_url, region=REGION)


@pytest.fixture(scope="session")
def cognito(emulator: Emulator) -> Any:
    return boto3.client("cognito-idp", region_name=REGION, endpoint_url=emulator.endpoint_url, **LOCAL_CREDENTIALS)


def _sign_in(cognito: Any, client_id: str, pool_id: str, username: str) -> dict[str, str]:
    try:
        cognito.admin_create_user(UserPoolId=pool_id, Username=username, MessageAction="SUPPRESS")
        cognito.admin_set_user_password(UserPoolId=pool_id, Username=username, Password=PASSWORD, Permanent=True)
    except cognito.exceptions.UsernameExistsException:
        pass
    return cognito.initiate_auth(
        ClientId=client_id, AuthFlow="USER_PASSWORD_AUTH", AuthParameters={"USERNAME": username, "PASSWORD": PASSWORD}
    )["AuthenticationResult"]


@pytest.fixture(scope="session")
def tokens(cognito: Any, identity: LocalIdentity) -> dict[str, str]:
    """Real tokens moto issued to a user of the trusted pool's client."""
    return _sign_in(cognito, identity.client_id, identity.user_pool_id, "alice")


@pytest.fixture(scope="session")
def other_client_tokens(cognito: Any, identity: LocalIdentity) -> dict[str, str]:
    """Real tokens from a second app client of the same pool (not in allowed clients)."""
    client_id = cognito.create_user_pool_client(
        UserPoolId=identity.user_pool_id, ClientName="not-allowed", ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH"]
    )["UserPoolClient"]["ClientId"]
    return _sign_in(cognito, client_id, identity.user_pool_id, "alice")


@pytest.fixture(scope="session")
def other_pool_tokens(cognito: Any, emulator: Emulator) -> dict[str, str]:
    """Real tokens from another pool: moto signs them with the same key, but the issuer differs."""
    other = create_identity(endpoint_url=emulator.endpoint_url, region=REGION, pool_name="other-pool")
    return _sign_in(cognito, other.client_id, other.user_pool_id, "mallory")


@pytest.fixture(scope="session")
def throwaway_key() -> Any:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@dataclass
class Upstream:
    """A recording stand-in for the agent server: the front door's own behaviour is under test."""

    server: BackgroundServer
    calls: list[dict[str, Any]] = field(default_factory=list)


@pytest.fixture(scope="session")
def upstream() -> Iterator[Upstream]:
    calls: list[dict[str, Any]] = []

    async def invocations(request: Request) -> Response:
        body = json.loads(await request.body())
        calls.append({"headers": dict(request.headers), "body": body})
        if body.get("prompt") == "answer text":
            return Response("upstream is not JSON", status_code=500, media_type="text/plain")
        if str(body.get("prompt", "")).startswith("answer "):  # e.g. "answer 409": the agent refuses with that status
            status = int(body["prompt"].split()[1])
            retry = {"Retry-After": "1"} if status in (409, 429) else {}  # as the agent answers a busy session
            return JSONResponse(
                {"error": f"the agent answered {status}", "code": "scripted"}, status_code=status, headers=retry
            )
        if body.get("stream"):
            chunks = [f"data: {json.dumps({'type': 'delta', 'text': part})}\n\n" for part in ("Hel", "lo")]
            return StreamingResponse(iter(chunks), media_type="text/event-stream")
        return JSONResponse({"response": f"echo: {body['prompt']}"})

    async def ping(_: Request) -> Response:
        return JSONResponse({"status": "Healthy"})

    server = BackgroundServer(
        Starlette(routes=[Route("/invocations", invocations, methods=["POST"]), Route("/ping", ping)])
    )
    yield Upstream(server=server, calls=calls)
    server.stop()


@pytest.fixture(scope="session")
def jwt_authorizer(identity: LocalIdentity) -> JwtAuthorizer:
    """The trusted pool's JWT authorizer, allowing its one app client (discovered once: an HTTP call to moto)."""
    return JwtAuthorizer(provider=discover(identity.discovery_url), allowed_clients=frozenset({identity.client_id}))


@pytest.fixture(scope="session")
def front_door(jwt_authorizer: JwtAuthorizer, upstream: Upstream) -> Iterator[BackgroundServer]:
    config = FrontDoorConfig(runtime_arn=RUNTIME_ARN, endpoint_name=ENDPOINT, upstream_url=upstream.server.url)
    server = BackgroundServer(create_front_door(config=config, authorizer=jwt_authorizer))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def resign_token() -> Any:
    """`resign_token(token, key=None, **claim_changes)`: a token with moto's claims, changed and re-signed."""
    return resign


@pytest.fixture(scope="session")
def sigv4_front_door(upstream: Upstream) -> Iterator[BackgroundServer]:
    """The front door of an IAM-authorized runtime in us-east-1, accepting `KEY_PAIR`."""
    config = FrontDoorConfig(runtime_arn=RUNTIME_ARN, endpoint_name=ENDPOINT, upstream_url=upstream.server.url)
    server = BackgroundServer(
        create_front_door(config=config, authorizer=SigV4Authorizer(region=REGION, key_pairs=[KEY_PAIR]))
    )
    yield server
    server.stop()


@pytest.fixture(scope="session")
def key_pair() -> LocalKeyPair:
    """The key pair `sigv4_front_door` accepts."""
    return KEY_PAIR
