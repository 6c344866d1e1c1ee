"""Targets from outputs files and CloudFormation, URL building, and the SigV4-vs-bearer choice."""

from __future__ import annotations

import json

import pytest

from client.auth_choice import choose_auth
from client.errors import CliError
from client.invocation import invocation_url
from client.targets import local_target, target_from_outputs

ARN = "arn:aws:bedrock-agentcore:eu-west-1:111122223333:runtime/agentcore_session_dev-Xy12Ab34Cd"
RUNTIME = {
    "RuntimeArn": ARN,
    "RuntimeId": "agentcore_session_dev-Xy12Ab34Cd",
    "EndpointName": "live",
    "Region": "eu-west-1",
}
IDENTITY = {"UserPoolId": "eu-west-1_AbCdEf123", "UserPoolClientId": "1example23client", "Region": "eu-west-1"}


def _target(authorizer: str, **extra: str):
    return target_from_outputs(
        {**IDENTITY, **RUNTIME, "AuthorizerType": authorizer, **extra}, name="dev", source="test"
    )


def test_invocation_url_encodes_every_colon_and_slash_of_the_arn():
    assert invocation_url("https://bedrock-agentcore.eu-west-1.amazonaws.com", ARN, "live") == (
        "https://bedrock-agentcore.eu-west-1.amazonaws.com/runtimes/"
        "arn%3Aaws%3Abedrock-agentcore%3Aeu-west-1%3A111122223333%3Aruntime%2Fagentcore_session_dev-Xy12Ab34Cd"
        "/invocations?qualifier=live"
    )


def test_deployed_target_defaults_to_the_regional_agentcore_endpoint():
    target = _target("jwt")
    assert target.invocation_base_url == "https://bedrock-agentcore.eu-west-1.amazonaws.com"
    assert (target.is_local, target.client_id, target.runtime_id) == (
        False,
        "1example23client",
        "agentcore_session_dev-Xy12Ab34Cd",
    )


def test_outputs_of_all_stacks_are_merged(tmp_path, cli):
    path = tmp_path / "cdk-outputs-dev.json"
    path.write_text(
        json.dumps(
            {
                "AgentCoreSession-dev-Identity": IDENTITY,
                "AgentCoreSession-dev-Runtime": {**RUNTIME, "AuthorizerType": "jwt"},
            }
        )
    )
    result = cli("sessions", "list", target=("--stage", "dev", "--outputs-file", str(path)))
    assert (result.code, result.err) == (0, "")


def test_missing_outputs_are_named(tmp_path, cli):
    path = tmp_path / "cdk-outputs-dev.json"
    path.write_text(json.dumps({"AgentCoreSession-dev-Runtime": {**RUNTIME, "AuthorizerType": "jwt"}}))
    result = cli("invoke", "hi", target=("--stage", "dev", "--outputs-file", str(path)))
    assert result.code == 1
    assert result.err == (
        f"agentcore-client: stack not deployed or incomplete: {path} has no UserPoolId, UserPoolClientId outputs "
        "(run `make deploy STAGE=dev` first)\n"
    )


def test_iam_runtime_needs_no_identity_outputs():
    target = target_from_outputs({**RUNTIME, "AuthorizerType": "iam"}, name="dev", source="test")
    assert (target.authorizer_type, target.user_pool_id, target.cache_key) == ("iam", None, "dev-iam")


def test_stack_not_deployed_via_cloudformation(cli, local_runtime, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("AWS_ENDPOINT_URL", local_runtime.aws_endpoint_url)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "local")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "local")
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    result = cli("invoke", "hi", target=("--stage", "nosuchstage"))
    assert result.code == 1
    assert result.err == (
        "agentcore-client: stack not deployed: AgentCoreSession-nosuchstage-Identity does not exist and there is "
        "no cdk-outputs-nosuchstage.json (run `make deploy STAGE=nosuchstage`)\n"
    )


@pytest.mark.parametrize(
    ("authorizer", "requested", "chosen"),
    [("jwt", "auto", "jwt"), ("jwt", "jwt", "jwt"), ("iam", "auto", "iam"), ("iam", "iam", "iam")],
)
def test_auth_follows_the_runtime(authorizer, requested, chosen):
    assert choose_auth(_target(authorizer), requested) == chosen


def test_sigv4_is_never_sent_to_a_jwt_runtime():
    with pytest.raises(CliError) as refused:
        choose_auth(_target("jwt"), "iam")
    assert refused.value.message == (
        f"runtime {ARN} trusts Cognito JWTs, and AgentCore rejects SigV4 calls to it with "
        "'authorization method mismatch': log in and use bearer tokens (--auth jwt, the default)"
    )


def test_bearer_is_never_sent_to_an_iam_runtime():
    with pytest.raises(CliError) as refused:
        choose_auth(_target("iam"), "jwt")
    assert refused.value.message.startswith(f"runtime {ARN} is configured for IAM (SigV4) authorization")


def test_cli_refuses_sigv4_for_the_local_jwt_runtime(cli, local_runtime):
    result = cli("--auth", "iam", "invoke", "hi")
    assert result.code == 1
    assert result.err == (
        f"agentcore-client: runtime {local_runtime.runtime_arn} trusts Cognito JWTs, and AgentCore rejects SigV4 "
        "calls to it with 'authorization method mismatch': log in and use bearer tokens (--auth jwt, the default)\n"
    )


def test_local_outputs_file_comes_from_the_environment(cli, local_runtime, monkeypatch, tmp_path):
    """`AGENTCORE_LOCAL_OUTPUTS` (docs/client.md, `--help`) replaces the default file; `--outputs-file` wins."""
    monkeypatch.setenv("AGENTCORE_LOCAL_OUTPUTS", str(local_runtime.settings.outputs_path))
    assert cli("sessions", "list", target=("--local",)).code == 0
    assert local_target().runtime_arn == local_runtime.runtime_arn
    absent = tmp_path / "absent.json"
    monkeypatch.setenv("AGENTCORE_LOCAL_OUTPUTS", str(absent))
    result = cli("sessions", "list", target=("--local",))
    assert (result.code, result.err) == (
        1,
        f"agentcore-client: local runtime is not running: {absent} does not exist (start it with `make local`)\n",
    )
    chosen = cli("sessions", "list", target=("--local", "--outputs-file", str(local_runtime.settings.outputs_path)))
    assert (chosen.code, chosen.err) == (0, "")


def test_empty_local_outputs_variable_means_the_default(monkeypatch, tmp_path):
    monkeypatch.setenv("AGENTCORE_LOCAL_OUTPUTS", "")
    monkeypatch.setattr("client.targets.LOCAL_OUTPUTS_FILE", tmp_path / ".local-runtime" / "outputs.json")
    with pytest.raises(CliError) as raised:
        local_target()
    default = tmp_path / ".local-runtime" / "outputs.json"
    assert raised.value.message == (
        f"local runtime is not running: {default} does not exist (start it with `make local`)"
    )
