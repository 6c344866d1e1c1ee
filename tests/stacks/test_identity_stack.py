"""Identity stack: the user pool and app client the runtime trusts, checked property by property."""

from __future__ import annotations

import json

from aws_cdk.assertions import Match, Template


def template(stage) -> Template:
    return Template.from_stack(stage.identity)


def test_identity_resources_are_exactly_pool_client_and_parameters(dev):
    resources = template(dev).to_json()["Resources"]
    assert (
        sorted(r["Type"] for r in resources.values())
        == [
            "AWS::Cognito::UserPool",
            "AWS::Cognito::UserPoolClient",
        ]
        + ["AWS::SSM::Parameter"] * 3
    )


def test_user_pool_is_admin_only_with_strong_passwords(dev):
    template(dev).has_resource_properties(
        "AWS::Cognito::UserPool",
        {
            "AdminCreateUserConfig": {"AllowAdminCreateUserOnly": True},
            "AliasAttributes": ["email"],
            "UsernameConfiguration": {"CaseSensitive": False},
            "Policies": {
                "PasswordPolicy": {
                    "MinimumLength": 12,
                    "RequireLowercase": True,
                    "RequireUppercase": True,
                    "RequireNumbers": True,
                    "RequireSymbols": True,
                    "TemporaryPasswordValidityDays": 3,
                }
            },
            "MfaConfiguration": "OPTIONAL",
            "EnabledMfas": ["SOFTWARE_TOKEN_MFA"],
            "AccountRecoverySetting": {"RecoveryMechanisms": [{"Name": "verified_email", "Priority": 1}]},
        },
    )


def test_user_pool_mfa_off_by_config(build):
    _, stage = build(overrides={"mfa": "off"})
    template(stage).has_resource_properties(
        "AWS::Cognito::UserPool", {"MfaConfiguration": "OFF", "EnabledMfas": Match.absent()}
    )


def test_dev_pool_is_destroyed_with_the_stack(dev):
    template(dev).has_resource(
        "AWS::Cognito::UserPool",
        {
            "DeletionPolicy": "Delete",
            "UpdateReplacePolicy": "Delete",
            "Properties": Match.object_like({"DeletionProtection": "INACTIVE"}),
        },
    )


def test_prod_pool_is_retained_and_protected(prod):
    template(prod).has_resource(
        "AWS::Cognito::UserPool",
        {
            "DeletionPolicy": "Retain",
            "UpdateReplacePolicy": "Retain",
            "Properties": Match.object_like({"DeletionProtection": "ACTIVE"}),
        },
    )


def test_client_is_public_srp_with_password_auth_in_dev(dev):
    template(dev).has_resource_properties(
        "AWS::Cognito::UserPoolClient",
        {
            "GenerateSecret": False,
            "ExplicitAuthFlows": ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
            "AllowedOAuthFlowsUserPoolClient": False,
            "PreventUserExistenceErrors": "ENABLED",
            "EnableTokenRevocation": True,
            "AccessTokenValidity": 60,
            "IdTokenValidity": 60,
            "RefreshTokenValidity": 43200,
            "TokenValidityUnits": {"AccessToken": "minutes", "IdToken": "minutes", "RefreshToken": "minutes"},
        },
    )


def test_client_is_srp_only_in_prod(prod):
    template(prod).has_resource_properties(
        "AWS::Cognito::UserPoolClient", {"ExplicitAuthFlows": ["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]}
    )


def test_token_validity_from_config(build):
    _, stage = build(overrides={"access_token_validity_minutes": 15, "refresh_token_validity_days": 1})
    template(stage).has_resource_properties(
        "AWS::Cognito::UserPoolClient", {"AccessTokenValidity": 15, "IdTokenValidity": 15, "RefreshTokenValidity": 1440}
    )


def test_identity_outputs_are_exported_and_in_ssm(dev):
    t = template(dev)
    outputs = t.to_json()["Outputs"]
    assert outputs["UserPoolId"]["Export"] == {"Name": "agentcore-session-dev-UserPoolId"}
    assert outputs["UserPoolClientId"]["Export"] == {"Name": "agentcore-session-dev-UserPoolClientId"}
    pool_id = next(iter(t.find_resources("AWS::Cognito::UserPool")))
    assert outputs["OidcDiscoveryUrl"]["Value"] == {
        "Fn::Join": [
            "",
            [
                "https://cognito-idp.us-east-1.",
                {"Ref": "AWS::URLSuffix"},
                "/",
                {"Ref": pool_id},
                "/.well-known/openid-configuration",
            ],
        ]
    }
    names = sorted(r["Properties"]["Name"] for r in t.find_resources("AWS::SSM::Parameter").values())
    assert names == [
        "/agentcore-session/dev/oidc-discovery-url",
        "/agentcore-session/dev/user-pool-client-id",
        "/agentcore-session/dev/user-pool-id",
    ]


def test_identity_leaves_region_to_the_runtime_stack(dev):
    """One export and one parameter per name per stage: the runtime stack publishes Region (the client reads it
    there)."""
    outputs = template(dev).to_json()["Outputs"]
    assert "Region" not in outputs
    assert dev.runtime.node.find_child("Outputs").node.try_find_child("Region") is not None


def test_identity_template_has_no_users_or_passwords(dev):
    text = json.dumps(template(dev).to_json())
    assert "AWS::Cognito::UserPoolUser" not in text
    assert 'TemporaryPassword"' not in text
    assert 'Password":' not in text.replace('PasswordPolicy":', "")
