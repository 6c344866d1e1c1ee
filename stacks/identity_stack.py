"""Identity stack: the Cognito user pool and app client the runtime trusts as its JWT authorizer."""

from __future__ import annotations

from typing import Any

from aws_cdk import Acknowledgment, Duration, RemovalPolicy, Stack, Validations
from aws_cdk import aws_cognito as cognito
from constructs import Construct

from stacks.config import StageConfig
from stacks.constructs.stack_outputs import StackOutputs
from stacks.output_keys import OIDC_DISCOVERY_URL, USER_POOL_CLIENT_ID, USER_POOL_ID

PASSWORD_MIN_LENGTH = 12


class IdentityStack(Stack):
    """A user pool with no self sign-up and one public (secretless) app client for the CLI.

    Attributes:
        user_pool: the pool whose access tokens the runtime accepts.
        user_pool_client: the only client whose tokens the runtime accepts (``client_id`` claim).
        discovery_url: the pool's OpenID Connect discovery URL.
        stack_outputs: the published outputs (stacks/output_keys.py).
    """

    def __init__(self, scope: Construct, construct_id: str, *, config: StageConfig, **kwargs: Any) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.user_pool = self._user_pool(config)
        self.user_pool_client = self._client(config)
        self.discovery_url = (
            f"https://cognito-idp.{self.region}.{self.url_suffix}/{self.user_pool.user_pool_id}"
            "/.well-known/openid-configuration"
        )
        self._acknowledge_findings()
        self.stack_outputs = StackOutputs(self, "Outputs", config=config)
        self.stack_outputs.add(USER_POOL_ID, self.user_pool.user_pool_id, "Cognito user pool id")
        self.stack_outputs.add(
            USER_POOL_CLIENT_ID,
            self.user_pool_client.user_pool_client_id,
            "Public app client id (the JWT client_id)",
        )
        self.stack_outputs.add(
            OIDC_DISCOVERY_URL, self.discovery_url, "OpenID Connect discovery URL the runtime's authorizer uses"
        )
        # No Region here: the runtime stack publishes it, and an export name may exist once per account and region.
        self._keep_runtime_exports()

    def _keep_runtime_exports(self) -> None:
        """Export the pool and client ids the JWT runtime imports, whatever the authorizer.

        WHY: CDK exports a referenced value only while another stack references it. A JWT runtime does
        (``ExportsOutputRefUserPool…``); an IAM runtime does not, so switching a stage from JWT to IAM would
        make this stack, deployed first, delete exports the runtime stack still imports, and CloudFormation
        refuses ("Export ... cannot be deleted as it is in use"). ``export_value`` creates the very export the
        reference would (same name), so the switch is one deploy in either direction.
        """
        self.export_value(self.user_pool.user_pool_id)
        self.export_value(self.user_pool_client.user_pool_client_id)

    def _user_pool(self, config: StageConfig) -> cognito.UserPool:
        """Admin-created users only; strong passwords; optional TOTP; recovery by email only."""
        return cognito.UserPool(
            self,
            "UserPool",
            self_sign_up_enabled=False,
            sign_in_aliases=cognito.SignInAliases(username=True, email=True),
            sign_in_case_sensitive=False,
            password_policy=cognito.PasswordPolicy(
                min_length=PASSWORD_MIN_LENGTH,
                require_lowercase=True,
                require_uppercase=True,
                require_digits=True,
                require_symbols=True,
                temp_password_validity=Duration.days(3),
            ),
            mfa=cognito.Mfa.OPTIONAL if config.mfa == "optional" else cognito.Mfa.OFF,
            mfa_second_factor=cognito.MfaSecondFactor(otp=True, sms=False) if config.mfa == "optional" else None,
            account_recovery=cognito.AccountRecovery.EMAIL_ONLY,
            deletion_protection=config.retain,
            removal_policy=RemovalPolicy.RETAIN if config.retain else RemovalPolicy.DESTROY,
        )

    def _client(self, config: StageConfig) -> cognito.UserPoolClient:
        """A public client: no secret (a CLI cannot keep one), SRP always, password auth by config."""
        return self.user_pool.add_client(
            "CliClient",
            generate_secret=False,
            auth_flows=cognito.AuthFlow(user_srp=True, user_password=config.user_password_auth),
            disable_o_auth=True,
            prevent_user_existence_errors=True,
            enable_token_revocation=True,
            access_token_validity=Duration.minutes(config.access_token_validity_minutes),
            id_token_validity=Duration.minutes(config.access_token_validity_minutes),
            refresh_token_validity=Duration.days(config.refresh_token_validity_days),
        )

    def _acknowledge_findings(self) -> None:
        """cdk-nag findings that are deliberate choices, each on the pool it concerns."""
        pool = Validations.of(self.user_pool)
        pool.acknowledge(
            Acknowledgment(
                id="AwsSolutions::AwsSolutions-COG2",
                reason="MFA is optional TOTP by design: users are admin-created for a CLI, and the "
                "stage config can turn it off; requiring it would block non-interactive CI users.",
            )
        )
        pool.acknowledge(
            Acknowledgment(
                id="AwsSolutions::AwsSolutions-COG8",
                reason="Threat protection needs the Cognito Plus feature plan (a per-user cost); the pool "
                "has no self sign-up, admin-created users and short-lived tokens. Enable Plus per account "
                "if required.",
            )
        )
