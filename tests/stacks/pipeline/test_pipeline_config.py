"""Pipeline settings: validated only when -c pipeline=true, errors name the key; the documented offline
synth command works with a placeholder connection ARN and the plain synth stays pipeline-free."""

from __future__ import annotations

import json
import os
import re
import subprocess

import aws_cdk as cdk
import pytest

import app
from stacks.pipeline.pipeline_config import (
    BRANCH_PATTERN,
    CONNECTION_ARN_PATTERN,
    DEFAULT_BRANCH,
    DEFAULT_CI_SECRET_NAME,
    REPOSITORY_PATTERN,
    SECRET_NAME_PATTERN,
    load_pipeline_config,
    pipeline_requested,
)
from stacks.validation import UNSET, ConfigError
from tests.support.cdk_app import cdk_json_context
from tests.support.paths import REPO
from tests.support.tool_path import with_tools_first

CONNECTION_ARN = "arn:aws:codeconnections:us-east-1:111111111111:connection/00000000-0000-0000-0000-000000000000"
VALID = {"pipeline_repository": "my-org/agentcore-session-stack", "pipeline_connection_arn": CONNECTION_ARN}


def _clean_env() -> dict[str, str]:
    env = {**os.environ, "PATH": with_tools_first(os.environ["PATH"]), "CDK_DISABLE_VERSION_CHECK": "1"}
    for key in ("CDK_DEFAULT_ACCOUNT", "CDK_DEFAULT_REGION", "AWS_PROFILE", "CDK_CONTEXT_JSON", "CDK_OUTDIR"):
        env.pop(key, None)
    return env


def test_valid_context_gives_typed_config_with_defaults():
    config = load_pipeline_config(VALID.get)
    assert (config.repository, config.connection_arn, config.branch, config.ci_secret_name) == (
        "my-org/agentcore-session-stack",
        CONNECTION_ARN,
        DEFAULT_BRANCH,
        DEFAULT_CI_SECRET_NAME,
    )


def test_legacy_codestar_connection_arn_is_accepted():
    arn = "arn:aws:codestar-connections:eu-west-1:111111111111:connection/abc-123"
    assert load_pipeline_config({**VALID, "pipeline_connection_arn": arn}.get).connection_arn == arn


@pytest.mark.parametrize(
    ("context", "reported"),
    [
        (
            {},
            [
                ("-c pipeline_repository", UNSET, "pipeline=true"),
                ("-c pipeline_connection_arn", UNSET, "pipeline=true"),
            ],
        ),
        ({**VALID, "pipeline_repository": ""}, [("-c pipeline_repository", UNSET, "pipeline=true")]),
        (
            {**VALID, "pipeline_repository": "no-slash"},
            [("-c pipeline_repository", "no-slash", REPOSITORY_PATTERN.pattern)],
        ),
        (
            {**VALID, "pipeline_connection_arn": "arn:aws:s3:::bucket"},
            [("-c pipeline_connection_arn", "arn:aws:s3:::bucket", CONNECTION_ARN_PATTERN.pattern)],
        ),
        ({**VALID, "pipeline_branch": "bad branch"}, [("-c pipeline_branch", "bad branch", BRANCH_PATTERN.pattern)]),
        (
            {**VALID, "pipeline_ci_secret_name": "bad secret!"},
            [("-c pipeline_ci_secret_name", "bad secret!", SECRET_NAME_PATTERN.pattern)],
        ),
    ],
)
def test_invalid_context_names_key_value_and_rule(context, reported):
    with pytest.raises(ConfigError) as error:
        load_pipeline_config(context.get)
    assert [(p.key, p.value) for p in error.value.problems] == [(key, value) for key, value, _ in reported]
    assert all(limit in p.allowed for p, (_, _, limit) in zip(error.value.problems, reported, strict=True))


@pytest.mark.parametrize(
    ("value", "requested"),
    [("true", True), ("TRUE", True), (True, True), ("false", False), (None, False), ("yes", False)],
)
def test_pipeline_is_requested_only_by_true(value, requested):
    assert pipeline_requested(value) is requested


def test_missing_key_fails_the_app_naming_it_only_when_the_pipeline_is_requested(tmp_path, monkeypatch, capsys):
    """``app.main()`` in-process, with the context ``cdk synth -c pipeline=true -c pipeline_repository=…`` gives it
    (the CLI's own run of app.py: tests/stacks/test_cli_synth.py)."""
    for key in ("CDK_DEFAULT_ACCOUNT", "CDK_DEFAULT_REGION"):
        monkeypatch.delenv(key, raising=False)
    context = {**cdk_json_context(), "pipeline": "true", "pipeline_repository": "my-org/repo"}
    assert app.main(cdk.App(context=context, outdir=str(tmp_path))) == 1
    error = capsys.readouterr().err
    assert "Traceback" not in error
    assert error.splitlines()[1:] == [
        "  - -c pipeline_connection_arn = (unset); allowed: required with -c pipeline=true"
    ]


def _documented_command() -> str:
    text = (REPO / "docs" / "delivery.md").read_text()
    match = re.search(r"<!-- offline-pipeline-synth -->\n```bash\n(.+?)\n```", text)
    assert match, "docs/delivery.md lost its offline synth command"
    return match.group(1)


@pytest.mark.slow  # the CDK CLI (Node.js) runs the app in a child process
def test_documented_offline_pipeline_synth_works_without_aws(tmp_path):
    command = _documented_command()
    assert "pipeline_connection_arn=arn:aws:codeconnections:" in command
    result = subprocess.run(
        ["bash", "-c", f"{command} -o {tmp_path / 'out'}"],
        cwd=REPO,
        env=_clean_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    stacks = sorted(k for k, v in manifest["artifacts"].items() if v["type"] == "aws:cloudformation:stack")
    assert stacks == ["AgentCoreSession-Pipeline"]
    nested = sorted(p.name for p in (tmp_path / "out").glob("assembly-*"))
    assert nested == ["assembly-AgentCoreSession-Pipeline-dev", "assembly-AgentCoreSession-Pipeline-prod"]
