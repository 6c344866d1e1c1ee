"""The offline web chat: the built app and the managed-login stand-in, each on its own port, and the web client.

WHY two servers: on AWS the app (CloudFront) and managed login (the Cognito domain) are different origins, so
the token request is cross-origin; keeping them apart offline keeps that true (CORS, cookies, CSP).
The web client is created in moto as the web login stack creates it in Cognito: public (no secret),
authorization code only, callback and sign-out URL = the app's origin.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import boto3

from local.http_server import BackgroundServer
from local.identity_pool import LOCAL_CREDENTIALS, LocalIdentity
from local.managed_login import ManagedLogin
from local.web_app import WEB_DIST, WebApp

logger = logging.getLogger(__name__)

OAUTH_SCOPES = ["openid", "email", "profile"]


@dataclass(frozen=True)
class RuntimeAddress:
    """What config.json tells the app about the runtime."""

    front_door_url: str
    runtime_arn: str
    qualifier: str


class WebTwin:
    """Starts both servers and creates the web client; ``connect(...)`` then writes config.json."""

    def __init__(self, *, identity: LocalIdentity, host: str) -> None:
        self._identity = identity
        self._web = WebApp(dist=WEB_DIST)
        self._login = ManagedLogin(identity=identity)
        self._servers: list[BackgroundServer] = []
        try:
            self._servers.append(BackgroundServer(self._web.app, host=host))
            self._servers.append(BackgroundServer(self._login.app, host=host))
        except Exception:
            self.stop()
            raise
        self.web_url, self.login_url = self._servers[0].url, self._servers[1].url
        self._login.base_url = self.login_url
        self.client_id = self._create_client()

    def _create_client(self) -> str:
        cognito = boto3.client(
            "cognito-idp",
            region_name=self._identity.region,
            endpoint_url=self._identity.endpoint_url,
            **LOCAL_CREDENTIALS,
        )
        app_url = f"{self.web_url}/"
        client = cognito.create_user_pool_client(
            UserPoolId=self._identity.user_pool_id,
            ClientName="agentcore-session-local-web",
            GenerateSecret=False,
            AllowedOAuthFlows=["code"],
            AllowedOAuthFlowsUserPoolClient=True,
            AllowedOAuthScopes=OAUTH_SCOPES,
            CallbackURLs=[app_url],
            LogoutURLs=[app_url],
            SupportedIdentityProviders=["COGNITO"],
            ExplicitAuthFlows=["ALLOW_REFRESH_TOKEN_AUTH"],
        )["UserPoolClient"]
        logger.info("client_id=<%s>, web_url=<%s> | local web client created", client["ClientId"], self.web_url)
        return str(client["ClientId"])

    def connect(self, runtime: RuntimeAddress) -> None:
        """Write config.json (as the web content stack does) and the CSP's connect-src for this runtime."""
        websocket_url = "ws" + runtime.front_door_url.removeprefix("http")
        self._web.connect_sources = ["'self'", websocket_url, self.login_url]
        self._web.app_config = {
            "region": self._identity.region,
            "runtimeArn": runtime.runtime_arn,
            "qualifier": runtime.qualifier,
            "userPoolId": self._identity.user_pool_id,
            "clientId": self.client_id,
            "cognitoDomain": self.login_url,
            # Offline only: where discovery and the runtime live instead of the AWS endpoints of the region.
            "oidcAuthority": f"{self.login_url}/{self._identity.user_pool_id}",
            "runtimeWebSocketUrl": websocket_url,
        }

    def stop(self) -> None:
        """Stop both servers; safe to call twice."""
        while self._servers:
            self._servers.pop().stop()
