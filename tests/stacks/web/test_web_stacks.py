"""Web stacks: hosting (private bucket, CloudFront with OAC and security headers), login (managed login domain,
branding, public PKCE client), content (files + config.json, invalidation), and their acyclic deploy order."""

from __future__ import annotations

import json

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Match, Template

from stacks.config import CONTEXT_ROOT, load_stage_config
from stacks.stage import AgentCoreSessionStage
from stacks.validation import ConfigError
from stacks.web.login_domain import DOMAIN_PREFIX_PATTERN, check_prefix, domain_prefix
from tests.support.cdk_app import ACCOUNT, REGION, cdk_json_context

LOGIN_URL = f"https://agentcore-session-dev-{ACCOUNT}.auth.{REGION}.amazoncognito.com"


def _types(template: Template) -> list[str]:
    return sorted(r["Type"] for r in template.to_json()["Resources"].values())


def test_hosting_resources_are_exactly_bucket_distribution_headers_and_parameters(dev):
    assert _types(Template.from_stack(dev.web_hosting)) == sorted(
        [
            "AWS::S3::Bucket",
            "AWS::S3::BucketPolicy",
            "AWS::CloudFront::Distribution",
            "AWS::CloudFront::OriginAccessControl",
            "AWS::CloudFront::ResponseHeadersPolicy",
            *["AWS::SSM::Parameter"] * 3,
        ]
    )


def test_login_resources_are_exactly_domain_client_branding_and_parameters(dev):
    assert _types(Template.from_stack(dev.web_login)) == sorted(
        [
            "AWS::Cognito::UserPoolDomain",
            "AWS::Cognito::UserPoolClient",
            "AWS::Cognito::ManagedLoginBranding",
            *["AWS::SSM::Parameter"] * 2,
        ]
    )


def test_content_resources_are_the_bucket_deployment_only(dev):
    assert _types(Template.from_stack(dev.web_content)) == sorted(
        [
            "AWS::IAM::Policy",
            "AWS::IAM::Role",
            "AWS::Lambda::Function",
            "AWS::Lambda::LayerVersion",
            "AWS::Logs::LogGroup",  # the handler's, CDK-managed (cdk.json: aws-lambda:useCdkManagedLogGroup)
            "Custom::CDKBucketDeployment",
        ]
    )


def test_bucket_is_private_and_tls_only(dev):
    Template.from_stack(dev.web_hosting).has_resource_properties(
        "AWS::S3::Bucket",
        {
            "PublicAccessBlockConfiguration": {
                "BlockPublicAcls": True,
                "BlockPublicPolicy": True,
                "IgnorePublicAcls": True,
                "RestrictPublicBuckets": True,
            },
            "OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]},
        },
    )


def test_distribution_serves_https_only_through_oac_with_spa_routing(dev):
    config = Template.from_stack(dev.web_hosting).find_resources("AWS::CloudFront::Distribution")
    ((distribution,),) = [list(config.values())]
    settings = distribution["Properties"]["DistributionConfig"]
    assert settings["DefaultCacheBehavior"]["ViewerProtocolPolicy"] == "redirect-to-https"
    assert [b["ViewerProtocolPolicy"] for b in settings["CacheBehaviors"]] == ["https-only"]
    assert [b["PathPattern"] for b in settings["CacheBehaviors"]] == ["/config.json"]
    assert settings["DefaultRootObject"] == "index.html"
    assert settings["CustomErrorResponses"] == [
        {"ErrorCode": code, "ResponseCode": 200, "ResponsePagePath": "/index.html", "ErrorCachingMinTTL": 0}
        for code in (403, 404)
    ]
    (origin,) = settings["Origins"]
    assert "OriginAccessControlId" in origin and origin["S3OriginConfig"] == {"OriginAccessIdentity": ""}


def test_security_headers_pin_csp_connect_sources_hsts_and_no_framing(dev):
    policies = Template.from_stack(dev.web_hosting).find_resources("AWS::CloudFront::ResponseHeadersPolicy")
    ((policy,),) = [list(policies.values())]
    headers = policy["Properties"]["ResponseHeadersPolicyConfig"]["SecurityHeadersConfig"]
    directives = dict(d.split(" ", 1) for d in headers["ContentSecurityPolicy"]["ContentSecurityPolicy"].split("; "))
    assert directives["connect-src"].split(" ") == [
        "'self'",
        f"wss://bedrock-agentcore.{REGION}.amazonaws.com",
        LOGIN_URL,
        f"https://cognito-idp.{REGION}.amazonaws.com",
    ]
    assert (directives["frame-ancestors"], directives["script-src"], directives["default-src"]) == (
        "'none'",
        "'self'",
        "'none'",
    )
    assert headers["StrictTransportSecurity"] == {
        "AccessControlMaxAgeSec": 63072000,
        "IncludeSubdomains": True,
        "Preload": True,
        "Override": True,
    }
    assert headers["FrameOptions"] == {"FrameOption": "DENY", "Override": True}


def test_domain_uses_managed_login_with_the_derived_prefix_and_branding(dev):
    template = Template.from_stack(dev.web_login)
    template.has_resource_properties(
        "AWS::Cognito::UserPoolDomain",
        {"Domain": f"agentcore-session-dev-{ACCOUNT}", "ManagedLoginVersion": 2},
    )
    template.has_resource_properties(
        "AWS::Cognito::ManagedLoginBranding",
        {"UseCognitoProvidedValues": True, "ClientId": {"Ref": Match.string_like_regexp("WebClient")}},
    )


def test_web_client_is_public_code_flow_with_the_distribution_as_callback(dev, prod):
    def client(stage) -> dict:
        ((found,),) = [
            list(Template.from_stack(stage.web_login).find_resources("AWS::Cognito::UserPoolClient").values())
        ]
        return found["Properties"]

    dev_client, prod_client = client(dev), client(prod)
    assert (dev_client["GenerateSecret"], dev_client["AllowedOAuthFlows"]) == (False, ["code"])
    assert dev_client["AllowedOAuthScopes"] == ["openid", "email", "profile"]
    assert dev_client["SupportedIdentityProviders"] == ["COGNITO"]
    for stage, client_props, local in ((dev, dev_client, ["http://localhost:5173/"]), (prod, prod_client, [])):
        distribution = {
            "Fn::ImportValue": f"AgentCoreSession-{stage.config.stage}-WebHosting:"
            "ExportsOutputFnGetAttDistribution830FAC52DomainNameBEB09E30"
        }
        app_url = {"Fn::Join": ["", ["https://", distribution, "/"]]}
        assert client_props["CallbackURLs"] == client_props["LogoutURLs"] == [app_url, *local]


def test_runtime_authorizer_allows_the_cli_and_the_web_client(dev):
    runtime = Template.from_stack(dev.runtime).find_resources("AWS::BedrockAgentCore::Runtime")
    ((resource,),) = [list(runtime.values())]
    allowed = resource["Properties"]["AuthorizerConfiguration"]["CustomJWTAuthorizer"]["AllowedClients"]
    assert len(allowed) == 2
    assert any("WebLogin" in json.dumps(client) for client in allowed)


def test_content_writes_config_json_from_the_other_stacks_and_invalidates_everything(dev):
    template = Template.from_stack(dev.web_content)
    template.has_resource_properties(
        "Custom::CDKBucketDeployment", {"DistributionPaths": ["/*"], "Prune": True, "RetainOnDelete": False}
    )
    assert sorted(dev.web_content.app_config) == [
        "clientId",
        "cognitoDomain",
        "qualifier",
        "region",
        "runtimeArn",
        "userPoolId",
    ]
    assert dev.web_content.app_config["cognitoDomain"] == LOGIN_URL


def test_deploy_order_is_hosting_login_runtime_content(dev):
    def depends_on(stack) -> set[str]:
        return {d.node.id for d in stack.dependencies}

    assert depends_on(dev.web_hosting) == set()
    assert depends_on(dev.web_login) == {"Identity", "WebHosting"}
    assert "WebLogin" in depends_on(dev.runtime)
    assert depends_on(dev.web_content) >= {"WebHosting", "WebLogin", "Runtime", "Identity"}


def test_iam_stage_has_no_web_stacks(build):
    _, stage = build(overrides={"authorizer": "iam"})
    assert (stage.web_hosting, stage.web_login, stage.web_content) == (None, None, None)


def test_web_local_origins_accept_only_localhost(build):
    with pytest.raises(ConfigError) as error:
        build(overrides={"web_local_origins": ["https://evil.example.com"]})
    [problem] = error.value.problems
    assert (problem.key, problem.value) == (
        "agentcore-session.stages.dev.web_local_origins[0]",
        "https://evil.example.com",
    )
    assert "localhost" in problem.allowed


def test_missing_web_build_fails_synth_with_the_command_to_run(tmp_path):
    context = cdk_json_context()
    config = load_stage_config(context[CONTEXT_ROOT], "dev")
    with pytest.raises(
        FileNotFoundError, match=r"nothing/index\.html is missing: build the web app first \(make web\)"
    ):
        AgentCoreSessionStage(cdk.App(context=context), "dev", config=config, web_dist=tmp_path / "nothing")


@pytest.mark.parametrize(
    ("app_name", "problem"),
    [
        ("my-aws-chat", "'aws'"),
        ("amazon-chat", "'amazon'"),
        ("cognito-chat", "'cognito'"),
    ],
)
def test_domain_prefix_rejects_reserved_words(app_name, problem):
    with pytest.raises(ConfigError) as error:
        domain_prefix(app_name=app_name, stage="dev", account=ACCOUNT)
    [reported] = error.value.problems
    assert reported.value == f"{app_name}-dev-{ACCOUNT}"
    assert problem in reported.allowed


def test_domain_prefix_rules_catch_length_and_pattern_and_pass_a_valid_one():
    check_prefix(f"agentcore-session-dev-{ACCOUNT}")  # control: the default derivation is valid
    with pytest.raises(ConfigError) as error:
        check_prefix("a" * 64)
    assert {p.value for p in error.value.problems} == {"a" * 64}
    assert any("at most 63" in p.allowed for p in error.value.problems)
    with pytest.raises(ConfigError) as error:
        check_prefix("chat-")
    assert [(p.value, DOMAIN_PREFIX_PATTERN.pattern in p.allowed) for p in error.value.problems] == [("chat-", True)]


def test_domain_prefix_with_an_unresolved_account_is_checked_for_its_length(agnostic_stage):
    Template.from_stack(agnostic_stage.web_login).has_resource_properties(
        "AWS::Cognito::UserPoolDomain",
        {"Domain": {"Fn::Join": ["", ["agentcore-session-dev-", {"Ref": "AWS::AccountId"}]]}},
    )


@pytest.fixture(scope="module")
def agnostic_stage(build):
    return build(env=False)[1]
