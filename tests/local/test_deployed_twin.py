"""`make local` is the deployed configuration's offline twin: S3 store on moto, Bedrock (stand-in when no model)."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest

from local.deployed_twin import SESSION_BUCKET, SESSION_PREFIX
from local.identity_pool import LOCAL_CREDENTIALS
from local.processes import python_module
from local.runtime import LocalRuntime, LocalRuntimeSettings
from tests.support.local_banner import read_banner
from tests.support.paths import REPO
from tests.support.run_agent import RUN_AGENT


def fresh_machine_env(home: Path) -> dict[str, str]:
    """What a new user's shell has: no AWS variables, no ~/.aws, no instance metadata to fall back on."""
    return {"PATH": os.environ["PATH"], "HOME": str(home), "AWS_EC2_METADATA_DISABLED": "true"}


@pytest.fixture
def no_aws_credentials(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """This process as a fresh machine: botocore's credential chain finds nothing."""
    for name in [n for n in os.environ if n.startswith("AWS_")] + ["MODEL_PROVIDER"]:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


@pytest.fixture
def local_make(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], list[str], Path]]:
    """`python -m local` (what `make local` runs) with the real agent, on a fresh machine.

    Yields (process, banner, outputs file).
    """
    home = tmp_path / "home"
    home.mkdir()
    process = subprocess.Popen(
        python_module("local", "--state-dir", str(tmp_path / "state")),
        cwd=REPO,
        env=fresh_machine_env(home),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        yield process, read_banner(process), tmp_path / "state" / "outputs.json"
    finally:
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=30)


def _client(home: Path, outputs: Path, *args: str, stdin: str | None = None) -> str:
    result = subprocess.run(
        python_module("client", "--local", "--outputs-file", str(outputs), *args),
        cwd=REPO,
        input=stdin,
        env=fresh_machine_env(home),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, f"{args}: {result.stdout}{result.stderr}"
    return result.stdout


def test_fresh_clone_flow_answers_from_the_bedrock_stand_in_and_stores_in_s3(local_make, tmp_path: Path) -> None:
    _, banner, outputs = local_make
    home = tmp_path / "home"

    created = _client(home, outputs, "users", "create", "alice")
    password = re.search(r"password \(shown once\): (\S+)", created).group(1)
    _client(home, outputs, "login", "alice", "--password-stdin", stdin=password + "\n")
    introduced = _client(home, outputs, "invoke", "My name is Alice.")
    remembered = _client(home, outputs, "invoke", "Do you remember my name?")

    assert introduced.startswith("Nice to meet you, Alice.")
    assert remembered.startswith("Your name is Alice.")
    model_line = next(line for line in banner if line.startswith("  model"))
    assert re.fullmatch(
        r"  model       Bedrock Runtime stand-in at http://127\.0\.0\.1:\d+: answers come from this stand-in "
        r"\(the project's reply script\), not from a model\.\n",
        model_line,
    )
    assert any("MODEL_PROVIDER=openai OPENAI_BASE_URL=" in line for line in banner)
    document = json.loads(outputs.read_text())
    runtime_outputs = document["AgentCoreSession-local-Runtime"]
    assert (runtime_outputs["SessionStore"], runtime_outputs["SessionBucketName"]) == ("s3", SESSION_BUCKET)
    s3 = boto3.client(
        "s3",
        region_name="us-east-1",
        endpoint_url=document["AgentCoreSession-local-Local"]["AwsEndpointUrl"],
        **LOCAL_CREDENTIALS,
    )
    keys = [
        item["Key"] for item in s3.list_objects_v2(Bucket=SESSION_BUCKET, Prefix=f"{SESSION_PREFIX}actors/")["Contents"]
    ]
    # One caller, one session, two turns: the conversation is four messages in S3, under the deployed prefix.
    assert len({key.split("/")[2] for key in keys}) == 1
    assert sorted(key.rsplit("/", 1)[1] for key in keys if "/messages/" in key) == [
        "message_0.json",
        "message_1.json",
        "message_2.json",
        "message_3.json",
    ]


def test_no_model_configured_runs_the_stand_in_behind_the_bedrock_provider(
    tmp_path: Path, no_aws_credentials: None
) -> None:
    with LocalRuntime(LocalRuntimeSettings(state_dir=tmp_path, agent_command=RUN_AGENT)) as runtime:
        env = runtime.twin.env

        assert runtime.bedrock_stand_in_url is not None
        assert {
            k: env[k]
            for k in (
                "MODEL_PROVIDER",
                "AWS_ENDPOINT_URL_BEDROCK_RUNTIME",
                "SESSION_STORE",
                "SESSION_BUCKET",
                "SESSION_PREFIX",
                "AWS_ENDPOINT_URL_S3",
                "AWS_ACCESS_KEY_ID",
            )
        } == {
            "MODEL_PROVIDER": "bedrock",
            "AWS_ENDPOINT_URL_BEDROCK_RUNTIME": runtime.bedrock_stand_in_url,
            "SESSION_STORE": "s3",
            "SESSION_BUCKET": SESSION_BUCKET,
            "SESSION_PREFIX": SESSION_PREFIX,
            "AWS_ENDPOINT_URL_S3": runtime.aws_endpoint_url,
            "AWS_ACCESS_KEY_ID": "local",
        }


def test_a_configured_model_is_used_instead_of_the_stand_in(tmp_path: Path, no_aws_credentials: None) -> None:
    settings = LocalRuntimeSettings(
        state_dir=tmp_path,
        agent_command=RUN_AGENT,
        agent_env={"MODEL_PROVIDER": "openai", "OPENAI_BASE_URL": "http://127.0.0.1:9/v1"},
    )

    with LocalRuntime(settings) as runtime:
        assert runtime.bedrock_stand_in_url is None
        assert "AWS_ENDPOINT_URL_BEDROCK_RUNTIME" not in runtime.twin.env
        assert runtime.twin.env["SESSION_STORE"] == "s3"


def test_aws_credentials_count_as_a_configured_bedrock_model(
    tmp_path: Path, no_aws_credentials: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAUSERSOWNKEY00000")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "users-own-secret")

    with LocalRuntime(LocalRuntimeSettings(state_dir=tmp_path, agent_command=RUN_AGENT)) as runtime:
        assert runtime.bedrock_stand_in_url is None
        assert "AWS_ACCESS_KEY_ID" not in runtime.twin.env  # the user's own credentials reach the agent untouched
        assert runtime.twin.model_line == "bedrock (from your environment: MODEL_PROVIDER, MODEL_ID, credentials)"
