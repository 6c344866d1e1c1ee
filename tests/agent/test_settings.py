"""Settings: defaults, every rule's refusal (naming variable, value and limit), and startup refusal.

Each refusal is checked by what it reports (``Problem``): the variable, the value as it was set, and the limit
``allowed`` names (a bound, a choice, a byte count), not the prose around it.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from agent.setting_problems import UNSET, Problem
from agent.settings import DEFAULT_MODEL_ID, Settings, SettingsError
from local.processes import REPO_ROOT


def refusal(env: dict[str, str]) -> list[Problem]:
    with pytest.raises(SettingsError) as raised:
        Settings.from_env(env)
    assert str(raised.value).splitlines() == ["invalid agent settings:", *(f"- {p}" for p in raised.value.problems)]
    return raised.value.problems


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


MEMORY = {"SESSION_STORE": "agentcore-memory", "MEMORY_ID": "m-0123456789"}

# (environment, the variable reported, the value reported, a fragment of `allowed` naming the limit)
REFUSALS = [
    ({"MODEL_PROVIDER": "azure"}, "MODEL_PROVIDER", "azure", "'bedrock' or 'openai'"),
    ({"MODEL_PROVIDER": "openai"}, "OPENAI_BASE_URL", UNSET, "MODEL_PROVIDER=openai"),
    (
        {"MODEL_PROVIDER": "openai", "OPENAI_BASE_URL": "localhost:11434"},
        "OPENAI_BASE_URL",
        "localhost:11434",
        "http:// or https://",
    ),
    ({"MODEL_ID": "  "}, "MODEL_ID", "  ", DEFAULT_MODEL_ID),
    ({"OPENAI_API_KEY": ""}, "OPENAI_API_KEY", "", "'not-needed'"),
    ({"HOST": " "}, "HOST", " ", "'127.0.0.1'"),
    ({"SESSION_DIR": " "}, "SESSION_DIR", " ", "path"),
    (
        {"SESSION_STORE": "dynamodb"},
        "SESSION_STORE",
        "dynamodb",
        "'s3', 'agentcore-memory', 'file' or 'none'",
    ),
    ({"SESSION_STORE": "s3"}, "SESSION_BUCKET", UNSET, "SESSION_STORE=s3"),
    ({"SESSION_STORE": "agentcore-memory"}, "MEMORY_ID", UNSET, "SESSION_STORE=agentcore-memory"),
    ({"SESSION_PREFIX": "no-slash"}, "SESSION_PREFIX", "no-slash", "'/'"),
    ({"SESSION_PREFIX": "p" * 512 + "/"}, "SESSION_PREFIX", "p" * 512 + "/", "512 bytes"),
    ({"MAX_SESSIONS": "0"}, "MAX_SESSIONS", "0", "1 to 10000"),
    ({"MAX_SESSIONS": "many"}, "MAX_SESSIONS", "many", "1 to 10000"),
    ({"MAX_SESSIONS": "5.0"}, "MAX_SESSIONS", "5.0", "integer"),
    ({"SESSION_IDLE_TTL_SECONDS": "90000"}, "SESSION_IDLE_TTL_SECONDS", "90000", "1 to 86400"),
    ({"SESSION_WAIT_SECONDS": "-1"}, "SESSION_WAIT_SECONDS", "-1", "0 to 3600"),
    ({"SESSION_MAX_WAITERS": "1001"}, "SESSION_MAX_WAITERS", "1001", "0 to 1000"),
    ({"MAX_PROMPT_CHARS": "0"}, "MAX_PROMPT_CHARS", "0", "1 to 1000000"),
    ({"LOG_LEVEL": "chatty"}, "LOG_LEVEL", "chatty", "'DEBUG', 'INFO', 'WARNING' or 'ERROR'"),
    ({"PORT": "70000"}, "PORT", "70000", "1 to 65535"),
    ({"UNIX_SOCKET": "/" + "s" * 103}, "UNIX_SOCKET", "/" + "s" * 103, "103 bytes"),
    ({"HTTP_HEADER_TIMEOUT_SECONDS": "0"}, "HTTP_HEADER_TIMEOUT_SECONDS", "0", "1 to 600"),
    ({"HTTP_BODY_TIMEOUT_SECONDS": "601"}, "HTTP_BODY_TIMEOUT_SECONDS", "601", "1 to 600"),
    ({"HTTP_MAX_CONNECTIONS": "7"}, "HTTP_MAX_CONNECTIONS", "7", "8 to 65536"),
    ({"WS_IDLE_TIMEOUT_SECONDS": "3601"}, "WS_IDLE_TIMEOUT_SECONDS", "3601", "1 to 3600"),
    ({"AGENT_OBSERVABILITY_ENABLED": "maybe"}, "AGENT_OBSERVABILITY_ENABLED", "maybe", "true or false"),
    ({"AGENT_TELEMETRY_CAPTURE_CONTENT": "t"}, "AGENT_TELEMETRY_CAPTURE_CONTENT", "t", "true or false"),
    ({"AUTHORIZER_TYPE": "cognito"}, "AUTHORIZER_TYPE", "cognito", "'jwt' or 'iam'"),
    ({"FORGET_ME_ENABLED": "sometimes"}, "FORGET_ME_ENABLED", "sometimes", "true or false"),
    # Long-term recall reads AgentCore Memory only, by prefix, and only {actorId} is filled in.
    (
        {"LONG_TERM_MEMORY_NAMESPACES": "/facts/{actorId}/"},
        "LONG_TERM_MEMORY_NAMESPACES",
        "/facts/{actorId}/",
        "SESSION_STORE=agentcore-memory",
    ),
    (
        {**MEMORY, "LONG_TERM_MEMORY_NAMESPACES": "/facts/{actorId}"},
        "LONG_TERM_MEMORY_NAMESPACES",
        "/facts/{actorId}",
        "'/{actorId}/'",
    ),
    (
        {**MEMORY, "LONG_TERM_MEMORY_NAMESPACES": "/facts/{actorId}/,/strategies/{memoryStrategyId}/actors/{actorId}/"},
        "LONG_TERM_MEMORY_NAMESPACES",
        "/facts/{actorId}/,/strategies/{memoryStrategyId}/actors/{actorId}/",
        "'/strategies/{memoryStrategyId}/actors/{actorId}/' does not",
    ),
]


@pytest.mark.parametrize(("env", "variable", "value", "limit"), REFUSALS, ids=lambda x: str(x)[:40])
def test_invalid_setting_names_variable_value_and_limit(env, variable, value, limit):
    (problem,) = refusal(env)

    assert (problem.key, problem.value) == (variable, value)
    assert limit in problem.allowed


def test_all_problems_are_reported_at_once_in_declaration_order():
    problems = refusal({"PORT": "0", "MAX_SESSIONS": "x", "SESSION_STORE": "s3"})

    assert [(problem.key, problem.value) for problem in problems] == [
        ("SESSION_BUCKET", UNSET),
        ("MAX_SESSIONS", "x"),
        ("PORT", "0"),
    ]


def test_limits_and_words_themselves_are_accepted():
    """Control for the refusals above: each bound, an empty prefix, every boolean word, a choice in any case."""
    settings = Settings.from_env(
        {
            "MAX_SESSIONS": " 10000 ",
            "SESSION_WAIT_SECONDS": "0",
            "HTTP_MAX_CONNECTIONS": "8",
            "PORT": "65535",
            "SESSION_PREFIX": "",
            "AGENT_OBSERVABILITY_ENABLED": "On",
            "AGENT_TELEMETRY_CAPTURE_CONTENT": "",
            "MODEL_PROVIDER": " Bedrock ",
            "LOG_LEVEL": "warning",
            "MEMORY_ID": "",
        }
    )

    assert (settings.max_sessions, settings.session_wait_seconds, settings.http_max_connections) == (10000, 0, 8)
    assert (settings.port, settings.session_prefix, settings.memory_id) == (65535, "", None)
    assert (settings.observability_enabled, settings.telemetry_capture_content) == (True, False)
    assert (settings.model_provider, settings.log_level) == ("bedrock", "WARNING")


def test_region_falls_back_to_aws_default_region():
    assert Settings.from_env({"AWS_DEFAULT_REGION": "eu-central-1"}).aws_region == "eu-central-1"
    assert Settings.from_env({"AWS_REGION": " ", "AWS_DEFAULT_REGION": "eu-central-1"}).aws_region == "eu-central-1"
    assert (
        Settings.from_env({"AWS_REGION": "eu-west-1", "AWS_DEFAULT_REGION": "eu-central-1"}).aws_region == "eu-west-1"
    )


@pytest.mark.parametrize(
    ("name", "info"),
    [(name, info) for name, info in Settings.model_fields.items() if info.default is not None],
    ids=lambda x: x if isinstance(x, str) else "",
)
def test_each_default_written_to_its_variable_reads_back_unchanged(name, info):
    variable = str(info.validation_alias)

    settings = Settings.from_env({variable: str(info.default)})

    assert settings == Settings()


def test_keyword_only_construction_checks_every_limit():
    with pytest.raises(SettingsError) as raised:
        Settings(max_sessions=0, log_level="chatty", port=70000)  # type: ignore[arg-type]

    assert [(problem.key, problem.value) for problem in raised.value.problems] == [
        ("MAX_SESSIONS", 0),
        ("LOG_LEVEL", "chatty"),
        ("PORT", 70000),
    ]
    assert Settings(max_sessions=10000, log_level="DEBUG", port=65535).port == 65535


def test_keyword_only_construction_validates_rules_between_settings_too():
    with pytest.raises(SettingsError) as raised:
        Settings(session_store="agentcore-memory")
    assert [(problem.key, problem.value) for problem in raised.value.problems] == [("MEMORY_ID", UNSET)]
    with pytest.raises(TypeError):
        Settings("openai")  # type: ignore[misc]


def test_an_unknown_keyword_is_refused():
    with pytest.raises(SettingsError) as raised:
        Settings(max_session=5)  # type: ignore[call-arg]
    assert [(problem.key, problem.value) for problem in raised.value.problems] == [("max_session", 5)]


def test_settings_are_frozen():
    with pytest.raises(Exception, match="frozen"):
        Settings().port = 1  # type: ignore[misc]


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
    header, *problems = result.stderr.splitlines()
    assert header == "invalid agent settings:"
    assert [line.split(" = ")[0] for line in problems] == ["- SESSION_BUCKET", "- MAX_SESSIONS"]
    assert "Traceback" not in result.stderr and "pydantic" not in result.stderr


def test_session_prefix_at_the_s3_key_limit_is_accepted():
    assert Settings.from_env({"SESSION_PREFIX": "p" * 511 + "/"}).session_prefix == "p" * 511 + "/"


def test_unix_socket_of_103_bytes_is_accepted():
    """Control for the 104-byte refusal above."""
    assert Settings.from_env({"UNIX_SOCKET": "/" + "s" * 102}).unix_socket == "/" + "s" * 102


def test_long_term_memory_namespaces_are_read_in_order():
    settings = Settings.from_env(
        {**MEMORY, "LONG_TERM_MEMORY_NAMESPACES": "/facts/{actorId}/, /preferences/{actorId}/"}
    )

    assert settings.recall_namespaces == ("/facts/{actorId}/", "/preferences/{actorId}/")
    assert Settings.from_env(MEMORY).recall_namespaces == ()


def test_forget_me_is_on_by_default_and_read_as_a_boolean():
    assert Settings.from_env({}).forget_me_enabled is True
    assert Settings.from_env({"FORGET_ME_ENABLED": "false"}).forget_me_enabled is False
