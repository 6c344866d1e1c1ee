"""Stage configuration: defaults, per-stage overrides, CLI strings, and every rule's refusal.

Each refusal is checked by what it reports (stacks/validation.py's ``Problem``): the key as the user wrote it,
the value given, and the limit that ``allowed`` names (a bound, a choice, a pattern), not the prose around it.
"""

from __future__ import annotations

import copy

import pytest

from stacks.config import (
    AZ_ID_PATTERN,
    LOG_RETENTION_DAYS,
    MODEL_ID_PATTERN,
    PREFIX_PATTERN,
    PRINCIPAL_ARN_PATTERN,
    RUNTIME_NAME_PATTERN,
    STAGE_NAME_PATTERN,
    VPC_ID_PATTERN,
    load_stage_config,
    setting_overrides,
)
from stacks.validation import UNSET, ConfigError, Problem
from tests.support.cdk_app import cdk_json_context

ROOT = cdk_json_context()["agentcore-session"]
DEV = "agentcore-session.stages.dev."
VPC_IDS = {
    "network_mode": "vpc",
    "vpc_id": "vpc-0123456789abcdef0",
    "subnet_ids": ["subnet-0123456789abcdef0"],
    "security_group_ids": ["sg-0123456789abcdef0"],
}


def load(overrides: dict | None = None, stage: str = "dev"):
    context = copy.deepcopy(ROOT)
    context["stages"][stage] = {**context["stages"].get(stage, {}), **(overrides or {})}
    return load_stage_config(context, stage)


def refusal(overrides: dict | None = None, stage: str = "dev", **kwargs) -> list[Problem]:
    with pytest.raises(ConfigError) as error:
        if "context" in kwargs:
            load_stage_config(kwargs["context"], stage, overrides=kwargs.get("cli"))
        else:
            load(overrides, stage)
    assert str(error.value).splitlines() == ["invalid configuration:", *(f"  - {p}" for p in error.value.problems)]
    return error.value.problems


def reported(problems: list[Problem]) -> list[tuple[str, object]]:
    return [(problem.key, problem.value) for problem in problems]


def test_load_defaults_for_dev():
    config = load()
    assert config.stage == "dev"
    assert config.runtime_name == "agentcore_session_dev"
    assert config.model_id == "global.anthropic.claude-sonnet-4-6"
    assert config.session_store == "s3"
    assert config.idle_timeout_seconds == 900
    assert config.max_lifetime_seconds == 28800
    assert config.endpoint_name == "live"
    assert config.user_password_auth is True
    assert config.retain is False
    assert config.ssm_prefix == "/agentcore-session/dev"


def test_load_prod_overrides():
    config = load(stage="prod")
    assert config.retain is True
    assert config.session_expiry_days == 90
    assert config.user_password_auth is False
    assert config.tags == {"project": "agentcore-session-stack", "criticality": "high"}


def test_load_reads_cli_strings_as_typed_values():
    config = load(
        {"idle_timeout_seconds": "120", "user_password_auth": "false", "subnet_ids": "", "network_mode": "public"}
    )
    assert config.idle_timeout_seconds == 120
    assert config.user_password_auth is False
    assert config.subnet_ids == ()


def test_command_line_settings_override_the_stage_as_their_types():
    context = {"stage": "prod", "authorizer": "iam", "idle_timeout_seconds": "300", "@aws-cdk/core:flag": True}
    overrides = setting_overrides(context.get)

    config = load_stage_config(copy.deepcopy(ROOT), "prod", overrides=overrides)

    assert overrides == {"authorizer": "iam", "idle_timeout_seconds": "300"}  # stage and CDK flags are not settings
    assert (config.authorizer, config.idle_timeout_seconds) == ("iam", 300)
    assert config.session_expiry_days == 90  # the rest of prod is unchanged


def test_command_line_setting_of_the_wrong_type_is_named_as_a_c_key():
    problems = refusal(context=copy.deepcopy(ROOT), cli={"idle_timeout_seconds": "soon"})

    assert reported(problems) == [("-c idle_timeout_seconds", "soon")]
    assert "integer" in problems[0].allowed and "60 to 28800" in problems[0].allowed


def test_a_value_is_named_where_cdk_json_sets_it():
    context = copy.deepcopy(ROOT)
    context["defaults"]["mfa"] = "sometimes"

    assert reported(refusal(context=context)) == [("agentcore-session.defaults.mfa", "sometimes")]


def test_load_unknown_stage_names_the_defined_ones():
    (problem,) = refusal(context=copy.deepcopy(ROOT), stage="qa")
    assert (problem.key, problem.value) == ("stage", "qa")
    assert "dev, prod" in problem.allowed


def test_load_collects_every_problem_at_once():
    problems = refusal({"runtime_name": "bad-name", "idle_timeout_seconds": 30, "mfa": "sometimes"})

    assert sorted(reported(problems)) == [
        (DEV + "idle_timeout_seconds", 30),
        (DEV + "mfa", "sometimes"),
        (DEV + "runtime_name", "bad-name"),
    ]


# (overrides, the key reported, the value reported, a fragment of `allowed` naming the limit)
REFUSALS = [
    ({"runtime_name": "my-agent"}, "runtime_name", "my-agent", RUNTIME_NAME_PATTERN.pattern),
    ({"runtime_name": "a" * 49}, "runtime_name", "a" * 49, RUNTIME_NAME_PATTERN.pattern),
    ({"endpoint_name": "my-endpoint"}, "endpoint_name", "my-endpoint", RUNTIME_NAME_PATTERN.pattern),
    ({"endpoint_name": "DEFAULT"}, "endpoint_name", "DEFAULT", "DEFAULT"),
    ({"idle_timeout_seconds": 59}, "idle_timeout_seconds", 59, "60 to 28800"),
    ({"max_lifetime_seconds": 28801}, "max_lifetime_seconds", 28801, "60 to 28800"),
    (
        {"idle_timeout_seconds": 3600, "max_lifetime_seconds": 1800},
        "max_lifetime_seconds",
        1800,
        "idle_timeout_seconds (3600)",
    ),
    ({"memory_event_expiry_days": 6}, "memory_event_expiry_days", 6, "7 to 365"),
    ({"memory_event_expiry_days": 366}, "memory_event_expiry_days", 366, "7 to 365"),
    ({"session_expiry_days": 0}, "session_expiry_days", 0, "1 to 3650"),
    ({"model_id": "claude sonnet"}, "model_id", "claude sonnet", MODEL_ID_PATTERN.pattern),
    ({"session_store": "dynamodb"}, "session_store", "dynamodb", "'s3' or 'agentcore-memory'"),
    ({"session_prefix": "sessions"}, "session_prefix", "sessions", PREFIX_PATTERN.pattern),
    ({"network_mode": "private"}, "network_mode", "private", "'public' or 'vpc'"),
    ({"authorizer": "apikey"}, "authorizer", "apikey", "'jwt' or 'iam'"),
    ({"memory_name": "prod-memory"}, "memory_name", "prod-memory", RUNTIME_NAME_PATTERN.pattern),
    ({"mfa": "sometimes"}, "mfa", "sometimes", "'off' or 'optional'"),
    ({"log_level": "TRACE"}, "log_level", "TRACE", "'DEBUG', 'INFO', 'WARNING' or 'ERROR'"),
    ({"log_retention_days": 10}, "log_retention_days", 10, ", ".join(map(str, LOG_RETENTION_DAYS))),
    ({"removal_policy": "snapshot"}, "removal_policy", "snapshot", "'destroy' or 'retain'"),
    ({"access_token_validity_minutes": 2}, "access_token_validity_minutes", 2, "5 to 1440"),
    ({"refresh_token_validity_days": 0}, "refresh_token_validity_days", 0, "1 to 3650"),
    ({"latency_alarm_threshold_ms": 50}, "latency_alarm_threshold_ms", 50, "100 to 900000"),
    ({"idle_timeout_seconds": "soon"}, "idle_timeout_seconds", "soon", "integer"),
    ({"idle_timeout_seconds": True}, "idle_timeout_seconds", True, "integer"),
    ({"user_password_auth": 1}, "user_password_auth", 1, "true or false"),
    ({"telemetry_capture_content": "yes"}, "telemetry_capture_content", "yes", "true or false"),
    ({"forget_me": "maybe"}, "forget_me", "maybe", "true or false"),
    ({"long_term_memory": 1}, "long_term_memory", 1, "true or false"),
    ({"long_term_memory": "true"}, "long_term_memory", "true", "session_store is 's3'"),
    ({"tags": ["project"]}, "tags", ["project"], "object"),
    ({"tags": {f"k{i}": "v" for i in range(51)}}, "tags", {f"k{i}": "v" for i in range(51)}, "at most 50"),
    ({"alarm_email": 7}, "alarm_email", 7, "string"),
    ({"alarm_email": "ops"}, "alarm_email", "ops", "e-mail"),
    ({"platform_version": "v2"}, "platform_version", "v2", "'V2' or 'V1'"),
    ({"vpc_id": "vpc-0123456789abcdef0"}, "vpc_id", "vpc-0123456789abcdef0", "network_mode is 'public'"),
    ({"subnet_ids": ["subnet-0123456789abcdef0"]}, "subnet_ids", ["subnet-0123456789abcdef0"], "'public'"),
    ({**VPC_IDS, "vpc_id": None}, "vpc_id", None, "required when network_mode is 'vpc'"),
    ({**VPC_IDS, "subnet_ids": []}, "subnet_ids", [], "required when network_mode is 'vpc'"),
    ({**VPC_IDS, "security_group_ids": []}, "security_group_ids", [], "required when network_mode is 'vpc'"),
    ({**VPC_IDS, "vpc_id": "vpc-1"}, "vpc_id", "vpc-1", VPC_ID_PATTERN.pattern),
    ({**VPC_IDS, "subnet_ids": ["subnet-1"]}, "subnet_ids[0]", "subnet-1", "subnet-"),
    ({**VPC_IDS, "security_group_ids": ["sg-1"]}, "security_group_ids[0]", "sg-1", "sg-"),
    (
        {**VPC_IDS, "availability_zone_ids": ["use1-az1", "use1-az2"]},
        "availability_zone_ids",
        ["use1-az1", "use1-az2"],
        "1 entries like subnet_ids",
    ),
    (
        {**VPC_IDS, "availability_zone_ids": ["us-east-1a"]},
        "availability_zone_ids[0]",
        "us-east-1a",
        AZ_ID_PATTERN.pattern,
    ),
    (
        {"invoke_principals": ["arn:aws:iam::123456789012:role/backend"]},
        "invoke_principals",
        ["arn:aws:iam::123456789012:role/backend"],
        "authorizer is 'jwt'",
    ),
    (
        {"authorizer": "iam", "invoke_principals": ["123456789012"]},
        "invoke_principals[0]",
        "123456789012",
        PRINCIPAL_ARN_PATTERN.pattern,
    ),
    (
        {"web_local_origins": ["https://evil.example.com"]},
        "web_local_origins[0]",
        "https://evil.example.com",
        "localhost",
    ),
    ({"colour": "blue"}, "colour", "blue", "access_token_validity_minutes, alarm_email, authorizer"),
]


@pytest.mark.parametrize(("overrides", "key", "value", "limit"), REFUSALS, ids=lambda x: str(x)[:40])
def test_load_refuses_an_invalid_value_naming_key_value_and_limit(overrides, key, value, limit):
    (problem,) = refusal(overrides)

    assert (problem.key, problem.value) == (DEV + key, value)
    assert limit in problem.allowed


def test_a_vpc_stage_with_every_id_is_accepted():
    """Control for the VPC refusals above."""
    config = load({**VPC_IDS, "availability_zone_ids": ["use1-az1"]})
    assert (config.vpc_id, config.subnet_ids, config.availability_zone_ids) == (
        "vpc-0123456789abcdef0",
        ("subnet-0123456789abcdef0",),
        ("use1-az1",),
    )


def test_limits_themselves_are_accepted():
    """Control for the range refusals above: each bound is allowed."""
    config = load(
        {
            "idle_timeout_seconds": 60,
            "max_lifetime_seconds": 60,
            "memory_event_expiry_days": 365,
            "session_expiry_days": 3650,
            "access_token_validity_minutes": 5,
            "latency_alarm_threshold_ms": 900000,
            "tags": {f"k{i}": "v" for i in range(50)},
            "authorizer": "iam",
            "invoke_principals": ["arn:aws:iam::123456789012:role/backend"],
        }
    )
    assert (config.idle_timeout_seconds, config.max_lifetime_seconds, len(config.tags)) == (60, 60, 50)


@pytest.mark.parametrize("stage", ["Prod", "dev-1", "x" * 13, ""])
def test_load_rejects_bad_stage_name(stage):
    context = copy.deepcopy(ROOT)
    context["stages"][stage] = {}

    (problem,) = refusal(context=context, stage=stage)

    assert (problem.key, problem.value) == ("stage", stage)
    assert STAGE_NAME_PATTERN.pattern in problem.allowed


def test_load_without_a_stage_reports_it_unset():
    (problem,) = refusal(context=copy.deepcopy(ROOT), stage=None)
    assert (problem.key, problem.value) == ("stage", UNSET)
    assert "-c stage=" in problem.allowed


def test_load_takes_every_value_from_cdk_json():
    """No second copy of a default: a setting cdk.json drops is missing, not silently defaulted."""
    context = copy.deepcopy(ROOT)
    del context["defaults"]["model_id"], context["defaults"]["latency_alarm_threshold_ms"]

    problems = refusal(context=context)

    assert reported(problems) == [(DEV + "model_id", UNSET), (DEV + "latency_alarm_threshold_ms", UNSET)]
    assert all("agentcore-session.defaults" in problem.allowed for problem in problems)


def test_load_takes_a_missing_default_from_the_stage():
    context = copy.deepcopy(ROOT)
    del context["defaults"]["model_id"]
    context["stages"]["dev"]["model_id"] = "us.amazon.nova-pro-v1:0"
    assert load_stage_config(context, "dev").model_id == "us.amazon.nova-pro-v1:0"


def test_load_leaves_optional_settings_unset():
    config = load()
    assert (config.alarm_email, config.vpc_id, config.subnet_ids, config.security_group_ids) == (None, None, (), ())


def test_load_requires_the_app_name():
    context = copy.deepcopy(ROOT)
    del context["app_name"]
    assert reported(refusal(context=context)) == [("agentcore-session.app_name", UNSET)]


def test_load_rejects_a_bad_app_name():
    (problem,) = refusal(context={**copy.deepcopy(ROOT), "app_name": "Agent Core"})
    assert (problem.key, problem.value) == ("agentcore-session.app_name", "Agent Core")
    assert "^[a-z][a-z0-9-]{0,29}$" in problem.allowed


@pytest.mark.parametrize("name", ["app_name", "stage"])
def test_app_name_and_stage_are_not_stage_settings(name):
    """They are read from the context root and -c stage only; cdk.json's defaults may not set them."""
    context = copy.deepcopy(ROOT)
    context["defaults"][name] = "other"

    (problem,) = refusal(context=context)

    assert (problem.key, problem.value) == (f"agentcore-session.defaults.{name}", "other")
    assert "access_token_validity_minutes" in problem.allowed


def test_load_rejects_a_context_that_is_not_an_object():
    (problem,) = refusal(context=["not", "an", "object"])
    assert (problem.key, problem.value) == ("agentcore-session", ["not", "an", "object"])


def test_platform_version_is_v2_from_cdk_json_and_may_be_pinned_or_left_to_the_service():
    assert load().platform_version == "V2"
    assert load({"platform_version": "V1"}).platform_version == "V1"
    assert load({"platform_version": None}).platform_version is None  # null in cdk.json: the service's default


def test_a_long_value_is_shown_cut_with_its_length():
    (problem,) = refusal({"session_prefix": "p" * 600})
    assert problem.value == "p" * 600
    assert "(600 characters)" in str(problem) and len(str(problem)) < 300


def test_long_term_memory_is_off_by_default_and_when_absent():
    without_key = copy.deepcopy(ROOT)
    del without_key["defaults"]["long_term_memory"]

    assert load().long_term_memory is False
    assert load_stage_config(without_key, "dev").long_term_memory is False


def test_long_term_memory_with_the_memory_store_is_accepted():
    config = load({"session_store": "agentcore-memory", "long_term_memory": "true"})

    assert (config.session_store, config.long_term_memory) == ("agentcore-memory", True)


def test_long_term_memory_with_the_s3_store_names_both_keys():
    (problem,) = refusal({"long_term_memory": True})

    assert (problem.key, problem.value) == (DEV + "long_term_memory", True)
    assert "session_store is 's3'" in problem.allowed and "'agentcore-memory'" in problem.allowed
