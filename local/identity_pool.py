"""Create the local Cognito user pool and public app client in moto.

WHY: the deployed Identity stack creates a user pool with a public (secret-less) app client that
allows USER_PASSWORD_AUTH, SRP and refresh tokens. The offline runtime creates the same pair in moto
so the client's `users`, `login` and token refresh code paths run unchanged against it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Literal, TypedDict

import boto3

logger = logging.getLogger(__name__)


class ClientCredentials(TypedDict):
    """The keyword arguments of `boto3.client` that carry an access key."""

    aws_access_key_id: str
    aws_secret_access_key: str


# The dummy credentials moto accepts; real AWS never sees them because the endpoint is moto's.
LOCAL_CREDENTIALS: ClientCredentials = {"aws_access_key_id": "local", "aws_secret_access_key": "local"}

AuthFlow = Literal["ALLOW_USER_PASSWORD_AUTH", "ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]
_AUTH_FLOWS: list[AuthFlow] = ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]


@dataclass(frozen=True)
class LocalIdentity:
    """The pool and client the local runtime trusts."""

    user_pool_id: str
    client_id: str
    region: str
    endpoint_url: str

    @property
    def discovery_url(self) -> str:
        """OIDC discovery URL, served by moto the way Cognito serves it (over HTTP, locally)."""
        return f"{self.endpoint_url}/{self.user_pool_id}/.well-known/openid-configuration"


def create_identity(*, endpoint_url: str, region: str, pool_name: str = "agentcore-session-local") -> LocalIdentity:
    """Create a user pool and a public app client in the moto server at `endpoint_url`.

    Args:
        endpoint_url: moto server URL.
        region: region the pool lives in (appears in the token issuer).
        pool_name: user pool name.

    Returns:
        The identifiers the front door and the client need.
    """
    cognito = boto3.client("cognito-idp", region_name=region, endpoint_url=endpoint_url, **LOCAL_CREDENTIALS)
    pool = cognito.create_user_pool(
        PoolName=pool_name,
        Policies={
            "PasswordPolicy": {
                "MinimumLength": 12,
                "RequireUppercase": True,
                "RequireLowercase": True,
                "RequireNumbers": True,
                "RequireSymbols": True,
                "TemporaryPasswordValidityDays": 3,
            }
        },
        AdminCreateUserConfig={"AllowAdminCreateUserOnly": True},
        AutoVerifiedAttributes=["email"],
    )["UserPool"]
    client = cognito.create_user_pool_client(
        UserPoolId=pool["Id"],
        ClientName=f"{pool_name}-client",
        GenerateSecret=False,
        ExplicitAuthFlows=_AUTH_FLOWS,
    )["UserPoolClient"]
    logger.info("user_pool_id=<%s>, client_id=<%s> | local identity created", pool["Id"], client["ClientId"])
    return LocalIdentity(
        user_pool_id=pool["Id"], client_id=client["ClientId"], region=region, endpoint_url=endpoint_url
    )
