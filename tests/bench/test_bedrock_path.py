"""The bench's Bedrock targets run the deployed configuration: the stack's settings, the stand-in and S3 on moto.

The stand-in runs in this process here (``start_bedrock_runtime``) so its recorded calls show what the
bench's targets asked Bedrock for; moto is the bench's own ``python -m local.aws_emulator`` process.
No timing is asserted.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from bench.bedrock_path import (
    BedrockPath,
    DeployedSettings,
    deployed_settings,
    new_session_bucket,
    s3_client,
    started_bedrock_path,
    started_moto,
)
from bench.client import Call
from bench.scenarios import REMEMBER_PROMPT, SessionOutcome, cross_talk, judge
from bench.stand_in_conversation import StandInConversations
from bench.stub_conversation import SLIDING_WINDOW_MESSAGES
from bench.targets import AGENT_BEDROCK, BASELINE_BEDROCK, TargetSpec, started_target, target_spec
from local.bedrock_runtime import BedrockRuntimeStandIn, start_bedrock_runtime
from local.processes import ServerProcess, health_answers
from stacks.config import load_stage_config
from tests.bench.two_sessions import two_sessions
from tests.support.paths import REPO

SETTINGS = DeployedSettings(model_id="global.anthropic.claude-sonnet-4-6", session_prefix="sessions/")


@pytest.fixture(scope="module")
def stand_in() -> Iterator[BedrockRuntimeStandIn]:
    running = start_bedrock_runtime()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def moto(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    with started_moto(log_dir=tmp_path_factory.mktemp("moto-logs")) as server:
        yield server


@pytest.fixture(scope="module")
def bedrock(stand_in: BedrockRuntimeStandIn, moto: ServerProcess) -> BedrockPath:
    """The bench's Bedrock path, with the in-process stand-in whose calls the tests read."""
    return BedrockPath(
        stand_in_port=stand_in.server.port,
        moto_port=moto.port,
        bucket=new_session_bucket(moto.base_url),
        settings=deployed_settings(),
    )


@pytest.fixture(scope="module")
def http() -> Iterator[httpx.Client]:
    with httpx.Client() as client:
        yield client


def _stack_setting(stage: str, name: str) -> str:
    context = json.loads((REPO / "cdk.json").read_text(encoding="utf-8"))["context"]["agentcore-session"]
    return getattr(load_stage_config(context, stage), name)


def test_deployed_settings_are_what_the_stack_reads_for_dev() -> None:
    settings = deployed_settings()

    assert settings.model_id == _stack_setting("dev", "model_id")
    assert settings.session_prefix == _stack_setting("dev", "session_prefix")


def test_deployed_settings_take_the_stage_value_over_the_default(tmp_path: Path) -> None:
    cdk_json = tmp_path / "cdk.json"
    cdk_json.write_text(
        json.dumps(
            {
                "context": {
                    "agentcore-session": {
                        "defaults": {"model_id": "global.anthropic.claude-sonnet-4-6", "session_prefix": "sessions/"},
                        "stages": {"dev": {"model_id": "us.amazon.nova-pro-v1:0"}, "prod": {}},
                    }
                }
            }
        )
    )

    assert deployed_settings("dev", cdk_json) == DeployedSettings(
        model_id="us.amazon.nova-pro-v1:0", session_prefix="sessions/"
    )
    assert deployed_settings("prod", cdk_json) == SETTINGS


def test_deployed_settings_name_a_missing_key(tmp_path: Path) -> None:
    cdk_json = tmp_path / "cdk.json"
    cdk_json.write_text(json.dumps({"context": {"agentcore-session": {"defaults": {"model_id": "m.x"}, "stages": {}}}}))

    with pytest.raises(KeyError, match=f"{cdk_json} sets no session_prefix for stage 'dev'"):
        deployed_settings("dev", cdk_json)


def test_agent_bedrock_gets_the_deployed_environment_pointed_at_the_stand_in_and_moto() -> None:
    path = BedrockPath(stand_in_port=1111, moto_port=2222, bucket="bucket-1", settings=SETTINGS)

    spec = target_spec(AGENT_BEDROCK, stub_url="http://127.0.0.1:9/v1", bedrock=path, max_sessions=7)

    assert (spec.module, spec.uses_session_dir) == ("agent", False)
    assert {k: v for k, v in spec.env.items() if k not in ("AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE")} == {
        "MODEL_PROVIDER": "bedrock",
        "MODEL_ID": "global.anthropic.claude-sonnet-4-6",
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "AWS_ENDPOINT_URL_BEDROCK_RUNTIME": "http://127.0.0.1:1111",
        "SESSION_STORE": "s3",
        "SESSION_BUCKET": "bucket-1",
        "SESSION_PREFIX": "sessions/",
        "AWS_ENDPOINT_URL_S3": "http://127.0.0.1:2222",
        "MAX_SESSIONS": "7",
        "LOG_LEVEL": "INFO",
        "AGENT_OBSERVABILITY_ENABLED": "false",
    }


def test_baseline_bedrock_is_the_reference_design_on_the_same_bedrock_path() -> None:
    path = BedrockPath(stand_in_port=1111, moto_port=2222, bucket="bucket-1", settings=SETTINGS)

    spec = target_spec(BASELINE_BEDROCK, stub_url="http://127.0.0.1:9/v1", bedrock=path)

    assert spec == TargetSpec(name=BASELINE_BEDROCK, module="bench.baseline_agent", env=path.model_env())
    assert "SESSION_STORE" not in spec.env and "OPENAI_BASE_URL" not in spec.env


@pytest.mark.parametrize("target", [AGENT_BEDROCK, BASELINE_BEDROCK, "agent-none-bedrock"])
def test_bedrock_target_without_the_bedrock_path_is_refused(target: str) -> None:
    with pytest.raises(ValueError, match=f"target '{target}' runs on the Bedrock path: pass bedrock="):
        target_spec(target, stub_url="http://127.0.0.1:9/v1")


def test_agent_bedrock_answers_through_the_stand_in_and_stores_in_s3(
    bedrock: BedrockPath, stand_in: BedrockRuntimeStandIn, http: httpx.Client, tmp_path: Path
) -> None:
    calls_before = len(stand_in.calls)
    spec = target_spec(AGENT_BEDROCK, stub_url="http://127.0.0.1:9/v1", bedrock=bedrock)
    with started_target(spec, log_dir=tmp_path) as server:
        answers, (session_a, session_b) = two_sessions(server, http)
    calls = stand_in.calls[calls_before:]
    keys = [item["Key"] for item in s3_client(bedrock.moto_url).list_objects_v2(Bucket=bedrock.bucket)["Contents"]]

    assert answers == ("Nice to meet you, Ann.", "Your name is Ann.", "I don't know your name.")
    assert [(c.operation, c.model_id, c.signing_service, c.signing_region, c.status) for c in calls] == [
        ("ConverseStream", "global.anthropic.claude-sonnet-4-6", "bedrock", "us-east-1", 200)
    ] * 3
    assert any(key.startswith("sessions/actors/") and f"session_{session_a}/" in key for key in keys), keys
    assert any(key.startswith("sessions/actors/") and f"session_{session_b}/" in key for key in keys), keys


def test_baseline_bedrock_shares_one_conversation_which_the_bench_judges_cross_talk(
    bedrock: BedrockPath, stand_in: BedrockRuntimeStandIn, http: httpx.Client, tmp_path: Path
) -> None:
    calls_before = len(stand_in.calls)
    spec = target_spec(BASELINE_BEDROCK, stub_url="http://127.0.0.1:9/v1", bedrock=bedrock)
    with started_target(spec, log_dir=tmp_path) as server:
        answers, _ = two_sessions(server, http)
    calls = stand_in.calls[calls_before:]
    ann, bob = SessionOutcome(name="Ann"), SessionOutcome(name="Bob")
    judge(ann, 0, Call(200, answers[0], 0.0))
    judge(bob, 1, Call(200, answers[2], 0.0))

    assert answers == ("Nice to meet you, Ann.", "Your name is Ann.", "Your name is Ann.")
    assert [(c.operation, c.model_id, c.signing_service) for c in calls] == [
        ("ConverseStream", "global.anthropic.claude-sonnet-4-6", "bedrock")
    ] * 3
    assert len(calls[-1].messages) == 5  # the third caller was sent the first caller's conversation
    assert cross_talk([ann, bob]) == 1


def test_stand_in_alone_sends_what_bedrock_model_sends_and_keeps_the_window(
    bedrock: BedrockPath, stand_in: BedrockRuntimeStandIn, http: httpx.Client
) -> None:
    conversations = StandInConversations(http, bedrock.stand_in_url, bedrock.settings.model_id)
    calls_before = len(stand_in.calls)

    first = conversations("s1", "My name is Ann.")
    other = conversations("s2", REMEMBER_PROMPT)
    for _ in range(30):
        conversations("s1", "hello")
    recall = conversations("s1", REMEMBER_PROMPT)
    calls = stand_in.calls[calls_before:]

    assert (first.status, first.answer, other.answer) == (200, "Nice to meet you, Ann.", "I don't know your name.")
    assert recall.answer == "I don't know your name."  # "My name is Ann." slid out of the 40-message window
    assert {(c.operation, c.model_id, c.status) for c in calls} == {
        ("ConverseStream", "global.anthropic.claude-sonnet-4-6", 200)
    }
    assert [len(c.messages) for c in calls[:3]] == [1, 1, 3]
    assert len(calls[-1].messages) == SLIDING_WINDOW_MESSAGES + 1


def test_started_bedrock_path_serves_the_stand_in_and_a_bucket_on_moto(tmp_path: Path) -> None:
    with started_bedrock_path(log_dir=tmp_path) as path:
        stand_in_up = health_answers(path.stand_in_url)
        buckets = [b["Name"] for b in s3_client(path.moto_url).list_buckets()["Buckets"]]
        settings = path.settings

    assert stand_in_up is True
    assert buckets == [path.bucket]
    assert settings == deployed_settings()
