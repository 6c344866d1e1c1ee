"""boto3 clients for a target, with retries and the local endpoint override in one place.

WHY: throttling is retried by botocore's standard retry mode with exponential backoff; `--local` points
every AWS call at moto with throwaway credentials so no real account is ever touched. The client types come
from the boto3-stubs service packages (a development dependency, so imported for type checking only).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal, overload

import boto3
from botocore.config import Config

from client.targets import Target

if TYPE_CHECKING:
    from mypy_boto3_bedrock_agentcore import BedrockAgentCoreClient
    from mypy_boto3_bedrock_agentcore_control import BedrockAgentCoreControlClient
    from mypy_boto3_cognito_idp import CognitoIdentityProviderClient

# The services the client calls for a target (CloudFormation is read by stack name, before there is a target).
ServiceName = Literal["cognito-idp", "bedrock-agentcore", "bedrock-agentcore-control"]

# 6 attempts in all: the first call and up to 5 retries. `total_max_attempts` counts the first call; the older
# `max_attempts` key counts retries only, so `max_attempts: 5` means the same (botocore/config.py, args.py).
_RETRIES = Config(retries={"mode": "standard", "total_max_attempts": 6}, connect_timeout=5, read_timeout=300)
_LOCAL_CREDENTIAL = "local"


@overload
def aws_client(service: Literal["cognito-idp"], target: Target) -> CognitoIdentityProviderClient: ...
@overload
def aws_client(service: Literal["bedrock-agentcore"], target: Target) -> BedrockAgentCoreClient: ...
@overload
def aws_client(service: Literal["bedrock-agentcore-control"], target: Target) -> BedrockAgentCoreControlClient: ...
def aws_client(service: ServiceName, target: Target) -> Any:
    """A boto3 client for `service` in the target's region (moto for a local target)."""
    if target.is_local:
        return boto3.client(
            service,
            region_name=target.region,
            endpoint_url=target.aws_endpoint_url,
            config=_RETRIES,
            aws_access_key_id=_LOCAL_CREDENTIAL,
            aws_secret_access_key=_LOCAL_CREDENTIAL,
        )
    return boto3.client(service, region_name=target.region, config=_RETRIES)
