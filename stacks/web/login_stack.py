"""Web login stack: the user pool's managed-login domain and branding, and the web app's public client.

Between hosting and runtime in the deploy order: the client's callback needs the distribution's URL, and the
runtime's JWT authorizer must list the client.
"""

from __future__ import annotations

from typing import Any

from aws_cdk import Duration, Stack
from aws_cdk import aws_cognito as cognito
from constructs import Construct

from stacks.config import StageConfig
from stacks.constructs.stack_outputs import StackOutputs
from stacks.output_keys import LOGIN_DOMAIN_URL, WEB_CLIENT_ID
from stacks.web.login_domain import domain_prefix, login_domain_url

OAUTH_SCOPES = (cognito.OAuthScope.OPENID, cognito.OAuthScope.EMAIL, cognito.OAuthScope.PROFILE)


class WebLoginStack(Stack):
    """Managed login (the newer pages) on a Cognito prefix domain, for one public authorization-code client.

    Attributes:
        domain: the user pool domain (``managed_login_version`` 2: managed login, not the classic hosted UI).
        client: the web app's client: authorization code with PKCE, no secret, callbacks = the app's URL.
        login_domain_url: ``https://<prefix>.auth.<region>.amazoncognito.com``.
        stack_outputs: the published outputs (stacks/output_keys.py).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StageConfig,
        user_pool: cognito.IUserPool,
        web_url: str,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        prefix = domain_prefix(app_name=config.app_name, stage=config.stage, account=self.account)
        self.domain = cognito.UserPoolDomain(
            self,
            "Domain",
            user_pool=user_pool,
            cognito_domain=cognito.CognitoDomainOptions(domain_prefix=prefix),
            managed_login_version=cognito.ManagedLoginVersion.NEWER_MANAGED_LOGIN,
        )
        self.login_domain_url = login_domain_url(prefix, self.region)
        app_urls = [f"{web_url}/", *(f"{origin}/" for origin in config.web_local_origins)]
        self.client = cognito.UserPoolClient(
            self,
            "WebClient",
            user_pool=user_pool,
            generate_secret=False,  # a browser cannot keep a secret: PKCE instead (oidc-client-ts always sends it)
            o_auth=cognito.OAuthSettings(
                flows=cognito.OAuthFlows(authorization_code_grant=True, implicit_code_grant=False),
                scopes=list(OAUTH_SCOPES),
                callback_urls=app_urls,
                logout_urls=app_urls,
            ),
            supported_identity_providers=[cognito.UserPoolClientIdentityProvider.COGNITO],
            prevent_user_existence_errors=True,
            enable_token_revocation=True,
            access_token_validity=Duration.minutes(config.access_token_validity_minutes),
            id_token_validity=Duration.minutes(config.access_token_validity_minutes),
            refresh_token_validity=Duration.days(config.refresh_token_validity_days),
        )
        # Without a branding style for the client, managed login serves no pages for it.
        branding = cognito.CfnManagedLoginBranding(
            self,
            "Branding",
            user_pool_id=user_pool.user_pool_id,
            client_id=self.client.user_pool_client_id,
            use_cognito_provided_values=True,
        )
        branding.node.add_dependency(self.domain)
        self.stack_outputs = StackOutputs(self, "Outputs", config=config)
        self.stack_outputs.add(WEB_CLIENT_ID, self.client.user_pool_client_id, "Web app client id (PKCE, no secret)")
        self.stack_outputs.add(LOGIN_DOMAIN_URL, self.login_domain_url, "Cognito managed login URL")
