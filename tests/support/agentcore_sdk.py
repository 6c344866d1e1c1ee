"""boto3's bedrock-agentcore client as notebooks use it, pointed at a local front door; how boto3 reads errors."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import boto3
import botocore.parsers
import botocore.session
import httpx
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from local.sigv4_authorizer import LocalKeyPair


def agentcore_client(
    endpoint_url: str,
    *,
    key_pair: LocalKeyPair,
    region: str = "us-east-1",
    headers: dict[str, str] | None = None,
    retries: bool = False,
) -> Any:
    """boto3's `bedrock-agentcore` client pointed at a front door with a local key pair.

    Without `retries` a refused call is exactly one request. `headers` are added before signing, the way
    callers send custom headers (boto3 has no parameter for them).
    """
    config = None if retries else Config(retries={"total_max_attempts": 1})
    client = boto3.client(
        "bedrock-agentcore",
        region_name=region,
        endpoint_url=endpoint_url,
        config=config,
        aws_access_key_id=key_pair.access_key_id,
        aws_secret_access_key=key_pair.secret_access_key,
    )
    if headers:

        def add_headers(request: Any, **_: Any) -> None:
            for name, value in headers.items():
                request.headers[name] = value

        client.meta.events.register_first("before-sign.bedrock-agentcore.InvokeAgentRuntime", add_headers)
    return client


@functools.cache
def _invoke_operation() -> Any:
    """InvokeAgentRuntime's operation model, loaded once (the service model is a large JSON file)."""
    return botocore.session.get_session().get_service_model("bedrock-agentcore").operation_model("InvokeAgentRuntime")


def botocore_error(response: httpx.Response) -> dict[str, str]:
    """What boto3 makes of an error answer: botocore's rest-json parser with InvokeAgentRuntime's model."""
    parsed = botocore.parsers.create_parser("rest-json").parse(
        {
            "status_code": response.status_code,
            "headers": {k.lower(): v for k, v in response.headers.items()},
            "body": response.content,
        },
        _invoke_operation().output_shape,
    )
    return parsed["Error"]


def refusal(call: Callable[[], Any]) -> tuple[int, str, str]:
    """Call `call`, which must raise botocore's `ClientError`, and return its (HTTP status, error code, message)."""
    with pytest.raises(ClientError) as raised:
        call()
    response = raised.value.response
    return response["ResponseMetadata"]["HTTPStatusCode"], response["Error"]["Code"], response["Error"]["Message"]
