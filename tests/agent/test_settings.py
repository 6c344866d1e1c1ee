"""Settings: defaults, every validation message (naming variable, value and limit), and startup refusal."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path

import pytest

from agent.settings import DEFAULT_MODEL_ID, Settings, SettingsError
from local.processes import REPO_ROOT


def test_defaults():
    settings = Settings.from_env({})

    assert settings.model_provider == "bedrock"
    assert settings.model_id == DEFAULT_MODEL_ID == "global.anthropic.claude-sonnet-4-6"
    assert settings.session_store == "file"
    assert settings.max_sessions == 100 and settings.session_idle_ttl_seconds == 900
    assert settings.max_prompt_chars == 16000 and settings.port == 8080
    assert settings.observability_enabled is False


def test_serving_defaults_bind_loopback_and_bound_the_crowd():
    settings = Settings.from_env({})

    assert settings.host == "127.0.0.1"
    assert (settings.session_max_waiters, settings.http_max_connections) == (16, 256)
    assert (settings.http_header_timeout_seconds, settings.http_body_timeout_seconds) == (10, 30)


def test_full_environment_is_read():
    settings = Settings.from_env(
        {
            "MODEL_PROVIDER": "openai",
            "MODEL_ID": "llama3.2",
            "OPENAI_BASE_URL": "http://localhost:11434/v1",
            "OPENAI_API_KEY": "k",
            "SESSION_STORE": "s3",
            "SESSION_BUCKET": "b",
            "SESSION_PREFIX": "p/",
            "MAX_SESSIONS": "5",
            "SESSION_IDLE_TTL_SECONDS": "60",
            "MAX_PROMPT_CHARS": "10",
            "LOG_LEVEL": "debug",
            "PORT": "9000",
            "AGENT_OBSERVABILITY_ENABLED": "true",
            "AWS_REGION": "eu-west-1",
            "SESSION_DIR": "/tmp/x",
        }
    )

    assert (settings.model_provider, settings.model_id, settings.openai_base_url) == (
        "openai",
        "llama3.2",
        "http://localhost:11434/v1",
    )
    assert (settings.session_store, settings.session_bucket, settings.session_prefix) == ("s3", "b", "p/")
    assert (settings.max_sessions, settings.session_idle_ttl_seconds, settings.max_prompt_chars) == (5, 60, 10)
    assert (settings.log_level, settings.port, settings.observability_enabled) == ("DEBUG", 9000, True)
    assert settings.aws_region == "eu-west-1" and settings.session_dir == Path("/tmp/x")


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"MODEL_PROVIDER": "azure"}, "MODEL_PROVIDER='azure' is not one of bedrock, openai"),
        (
            {"MODEL_PROVIDER": "openai"},
            "OPENAI_BASE_URL is required when MODEL_PROVIDER=openai (e.g. http://localhost:11434/v1)",
        ),
        (
            {"MODEL_PROVIDER": "openai", "OPENAI_BASE_URL": "localhost:11434"},
            "OPENAI_BASE_URL='localhost:11434' must start with http:// or https://",
        ),
        (
            {"MODEL_ID": "  "},
            "MODEL_ID is set but empty; unset it to use the default 'global.anthropic.claude-sonnet-4-6'",
        ),
        ({"SESSION_STORE": "dynamodb"}, "SESSION_STORE='dynamodb' is not one of s3, agentcore-memory, file, none"),
        ({"SESSION_STORE": "s3"}, "SESSION_BUCKET is required when SESSION_STORE=s3"),
        ({"SESSION_STORE": "agentcore-memory"}, "MEMORY_ID is required when SESSION_STORE=agentcore-memory"),
        ({"SESSION_PREFIX": "no-slash"}, "SESSION_PREFIX='no-slash' must end with '/' (or be empty)"),
        ({"MAX_SESSIONS": "0"}, "MAX_SESSIONS=0 is out of range: must be between 1 and 10000"),
        ({"MAX_SESSIONS": "many"}, "MAX_SESSIONS='many' is not an integer (expected 1..10000)"),
        (
            {"SESSION_IDLE_TTL_SECONDS": "90000"},
            "SESSION_IDLE_TTL_SECONDS=90000 is out of range: must be between 1 and 86400",
        ),
        ({"SESSION_WAIT_SECONDS": "-1"}, "SESSION_WAIT_SECONDS=-1 is out of range: must be between 0 and 3600"),
        ({"MAX_PROMPT_CHARS": "0"}, "MAX_PROMPT_CHARS=0 is out of range: must be between 1 and 1000000"),
        ({"PORT": "70000"}, "PORT=70000 is out of range: must be between 1 and 65535"),
        ({"LOG_LEVEL": "chatty"}, "LOG_LEVEL='chatty' is not one of DEBUG, INFO, WARNING, ERROR"),
        (
            {"SESSION_PREFIX": "p" * 512 + "/"},
            "SESSION_PREFIX is 513 bytes long but must be at most 512 "
            "(S3 keys are at most 1024 bytes and the store adds up to 464)",
        ),
        ({"SESSION_MAX_WAITERS": "1001"}, "SESSION_MAX_WAITERS=1001 is out of range: must be between 0 and 1000"),
        ({"HOST": " "}, "HOST is set but empty; unset it to use the default '127.0.0.1'"),
        (
            {"HTTP_HEADER_TIMEOUT_SECONDS": "0"},
            "HTTP_HEADER_TIMEOUT_SECONDS=0 is out of range: must be between 1 and 600",
        ),
        (
            {"HTTP_BODY_TIMEOUT_SECONDS": "601"},
            "HTTP_BODY_TIMEOUT_SECONDS=601 is out of range: must be between 1 and 600",
        ),
        ({"HTTP_MAX_CONNECTIONS": "7"}, "HTTP_MAX_CONNECTIONS=7 is out of range: must be between 8 and 65536"),
        (
            {"UNIX_SOCKET": "/" + "s" * 103},
            "UNIX_SOCKET is 104 bytes long but must be at most 103 (a socket path must fit sockaddr_un)",
        ),
        (
            {"AGENT_OBSERVABILITY_ENABLED": "maybe"},
            "AGENT_OBSERVABILITY_ENABLED='maybe' is not a boolean (use true or false)",
        ),
    ],
)
def test_invalid_setting_is_named(env, message):
    with pytest.raises(SettingsError) as raised:
        Settings.from_env(env)

    assert raised.value.problems == [message]


def test_all_problems_are_reported_at_once():
    with pytest.raises(SettingsError) as raised:
        Settings.from_env({"PORT": "0", "MAX_SESSIONS": "x", "SESSION_STORE": "s3"})

    assert raised.value.problems == [
        "MAX_SESSIONS='x' is not an integer (expected 1..10000)",
        "PORT=0 is out of range: must be between 1 and 65535",
        "SESSION_BUCKET is required when SESSION_STORE=s3",
    ]


def test_region_falls_back_to_aws_default_region():
    assert Settings.from_env({"AWS_DEFAULT_REGION": "eu-central-1"}).aws_region == "eu-central-1"
    assert Settings.from_env({"AWS_REGION": " ", "AWS_DEFAULT_REGION": "eu-central-1"}).aws_region == "eu-central-1"
    assert (
        Settings.from_env({"AWS_REGION": "eu-west-1", "AWS_DEFAULT_REGION": "eu-central-1"}).aws_region == "eu-west-1"
    )


@pytest.mark.parametrize(
    "setting", [f for f in dataclasses.fields(Settings) if f.default is not None], ids=lambda f: f.name
)
def test_each_default_written_to_its_variable_reads_back_unchanged(setting):
    variable = setting.metadata["env"].name

    settings = Settings.from_env({variable: str(setting.default)})

    assert settings == Settings()


def test_keyword_only_construction_checks_every_limit():
    with pytest.raises(SettingsError) as raised:
        Settings(max_sessions=0, log_level="chatty", port=70000)  # type: ignore[arg-type]

    assert raised.value.problems == [
        "MAX_SESSIONS=0 is out of range: must be between 1 and 10000",
        "LOG_LEVEL='chatty' is not one of DEBUG, INFO, WARNING, ERROR",
        "PORT=70000 is out of range: must be between 1 and 65535",
    ]
    assert Settings(max_sessions=10000, log_level="DEBUG", port=65535).port == 65535


def test_keyword_only_construction_validates_too():
    with pytest.raises(SettingsError, match="MEMORY_ID is required when SESSION_STORE=agentcore-memory"):
        Settings(session_store="agentcore-memory")
    with pytest.raises(TypeError):
        Settings("openai")  # type: ignore[misc]


def test_server_refuses_to_start_with_a_bad_setting():
    result = subprocess.run(
        [sys.executable, "-m", "agent"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin", "SESSION_STORE": "s3", "MAX_SESSIONS": "0"},
    )

    assert result.returncode == 2
    assert result.stderr == (
        "invalid agent settings:\n"
        "- MAX_SESSIONS=0 is out of range: must be between 1 and 10000\n"
        "- SESSION_BUCKET is required when SESSION_STORE=s3\n"
    )


def test_session_prefix_at_the_s3_key_limit_is_accepted():
    assert Settings.from_env({"SESSION_PREFIX": "p" * 511 + "/"}).session_prefix == "p" * 511 + "/"


def test_unix_socket_of_103_bytes_is_accepted():
    """Control for the 104-byte refusal above."""
    assert Settings.from_env({"UNIX_SOCKET": "/" + "s" * 102}).unix_socket == "/" + "s" * 102


MEMORY = {"SESSION_STORE": "agentcore-memory", "MEMORY_ID": "m-0123456789"}


def test_long_term_memory_namespaces_are_read_in_order():
    settings = Settings.from_env(
        {**MEMORY, "LONG_TERM_MEMORY_NAMESPACES": "/facts/{actorId}/, /preferences/{actorId}/"}
    )

    assert settings.recall_namespaces == ("/facts/{actorId}/", "/preferences/{actorId}/")
    assert Settings.from_env(MEMORY).recall_namespaces == ()


@pytest.mark.parametrize(
    ("env", "message"),
    [
        (
            {"LONG_TERM_MEMORY_NAMESPACES": "/facts/{actorId}/"},
            "LONG_TERM_MEMORY_NAMESPACES is set but SESSION_STORE=file; long-term memory is read from AgentCore "
            "Memory: set SESSION_STORE=agentcore-memory",
        ),
        (
            {**MEMORY, "LONG_TERM_MEMORY_NAMESPACES": "/facts/{actorId}"},
            "LONG_TERM_MEMORY_NAMESPACES entry '/facts/{actorId}' must end with '/{actorId}/' and use no other "
            "variable (recall by prefix must reach this caller's records only)",
        ),
        (
            {**MEMORY, "LONG_TERM_MEMORY_NAMESPACES": "/strategies/{memoryStrategyId}/actors/{actorId}/"},
            "LONG_TERM_MEMORY_NAMESPACES entry '/strategies/{memoryStrategyId}/actors/{actorId}/' must end with "
            "'/{actorId}/' and use no other variable (recall by prefix must reach this caller's records only)",
        ),
    ],
    ids=["without-the-memory-store", "without-the-delimiter", "with-an-unfilled-strategy-id"],
)
def test_long_term_memory_namespaces_are_checked(env, message):
    with pytest.raises(SettingsError) as raised:
        Settings.from_env(env)

    assert raised.value.problems == [message]
