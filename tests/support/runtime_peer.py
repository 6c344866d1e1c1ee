"""An HTTP peer at AgentCore's invocation path that answers with scripted responses.

WHY a peer: no real part of the project can be made to throttle on demand or to send a broken event stream, so
this small HTTP server answers the way AgentCore could; the client's handling of it is what is under test.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from client.targets import Target, target_from_outputs
from local.http_server import BackgroundServer

PEER_RUNTIME_ARN = "arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/peer-AbCdEf1234"


@dataclass(frozen=True)
class RuntimePeer:
    """A running peer: its URL, the headers of every invocation it received, and a JWT target pointing at it."""

    url: str
    requests: list[dict[str, str]]
    target: Target


def start_runtime_peer(*answers: Callable[[], Response]) -> tuple[RuntimePeer, BackgroundServer]:
    """Answer the n-th invocation with `answers[n]()` (the last one repeats); the caller stops the server.

    Each answer is a function returning a fresh Starlette `Response`, since a streamed body can be sent once.
    """
    requests: list[dict[str, str]] = []

    async def invocations(request: Request) -> Response:
        requests.append(dict(request.headers))
        return answers[min(len(requests), len(answers)) - 1]()

    route = Route("/runtimes/{arn:path}/invocations", invocations, methods=["POST"])
    server = BackgroundServer(Starlette(routes=[route]))
    outputs = {
        "RuntimeArn": PEER_RUNTIME_ARN,
        "EndpointName": "local",
        "AuthorizerType": "jwt",
        "Region": "us-east-1",
        "UserPoolId": "us-east-1_peer",
        "UserPoolClientId": "peer-client",
        "InvocationBaseUrl": server.url,
    }
    return RuntimePeer(server.url, requests, target_from_outputs(outputs, name="peer", source="the test peer")), server
