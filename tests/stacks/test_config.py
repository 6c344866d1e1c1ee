"""Stage configuration: defaults, per-stage overrides, CLI strings, and every validation message."""

from __future__ import annotations

import copy

import pytest

from stacks.config import AZ_ID_PATTERN, PRINCIPAL_ARN_PATTERN, load_stage_config, setting_overrides
from stacks.validation import ConfigError
from tests.support.cdk_app import cdk_json_context

ROOT = cdk_json_context()["agentcore-session"]


def load(overrides: dict | None = None, stage: str = "dev"):
    context = copy.deepcopy(ROOT)
    context["stages"][stage] = {**context["stages"].get(stage, {}), **(overrides or {})}
    return load_stage_config(context, stage)


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


def test_command_line_settings_override_the_stage_as_their_types():
    context = {"stage": "prod", "authorizer": "iam", "idle_timeout_seconds": "300", "@aws-cdk/core:flag": True}
    overrides = setting_overrides(context.get)

    config = load_stage_config(copy.deepcopy(ROOT), "prod", overrides=overrides)

    assert overrides == {"authorizer": "iam", "idle_timeout_seconds": "300"}  # stage and CDK flags are not settings
    assert (config.authorizer, config.idle_timeout_seconds) == ("iam", 300)
    assert config.session_expiry_days == 90  # the rest of prod is unchanged


def test_command_line_setting_of_the_wrong_type_is_named():
    with pytest.raises(ConfigError) as raised:
        load_stage_config(copy.deepcopy(ROOT), "dev", overrides={"idle_timeout_seconds": "soon"})

    assert str(raised.value) == "invalid configuration:\n  - idle_timeout_seconds is 'soon' but must be an integer"


def test_load_unknown_stage_names_the_defined_ones():
    with pytest.raises(ConfigError) as error:
        load_stage_config(copy.deepcopy(ROOT), "qa")
    assert error.value.problems == ["stage is 'qa' but cdk.json defines only: dev, prod"]


def test_load_collects_every_problem_at_once():
    with pytest.raises(ConfigError) as error:
        load({"runtime_name": "bad-name", "idle_timeout_seconds": 30, "mfa": "sometimes"})
    assert error.value.problems == [
        "runtime_name is 'bad-name' but must be a letter, then letters, digits or _ (at most 48) "
        "(pattern ^[a-zA-Z][a-zA-Z0-9_]{0,47}$)",
        "mfa is 'sometimes' but must be one of: off, optional",
        "idle_timeout_seconds is 30 but must be between 60 and 28800",
    ]
    assert str(error.value) == "invalid configuration:\n  - " + "\n  - ".join(error.value.problems)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            {"runtime_name": "my-agent"},
            "runtime_name is 'my-agent' but must be a letter, then letters, digits or _ (at most 48) (pattern "
            "^[a-zA-Z][a-zA-Z0-9_]{0,47}$)",
        ),
        (
            {"runtime_name": "a" * 49},
            f"runtime_name is '{'a' * 49}' but must be a letter, then letters, digits or _ (at most 48) (pattern "
            f"^[a-zA-Z][a-zA-Z0-9_]{{0,47}}$)",
        ),
        ({"endpoint_name": "DEFAULT"}, "endpoint_name is 'DEFAULT' but that name is reserved by the service"),
        ({"idle_timeout_seconds": 59}, "idle_timeout_seconds is 59 but must be between 60 and 28800"),
        ({"max_lifetime_seconds": 28801}, "max_lifetime_seconds is 28801 but must be between 60 and 28800"),
        (
            {"idle_timeout_seconds": 3600, "max_lifetime_seconds": 1800},
            "idle_timeout_seconds is 3600 but must be at most max_lifetime_seconds (1800)",
        ),
        ({"memory_event_expiry_days": 6}, "memory_event_expiry_days is 6 but must be between 7 and 365"),
        ({"memory_event_expiry_days": 366}, "memory_event_expiry_days is 366 but must be between 7 and 365"),
        ({"session_expiry_days": 0}, "session_expiry_days is 0 but must be between 1 and 3650"),
        (
            {"model_id": "claude sonnet"},
            "model_id is 'claude sonnet' but must be a Bedrock model id or inference-profile id such as "
            "'global.anthropic.claude-sonnet-4-6' (pattern "
            "^(?:(?:us|eu|apac|jp|au|ca|us-gov|global)\\.)?[a-z0-9-]+\\.[A-Za-z0-9._:-]+$)",
        ),
        ({"session_store": "dynamodb"}, "session_store is 'dynamodb' but must be one of: s3, agentcore-memory"),
        (
            {"session_prefix": "sessions"},
            "session_prefix is 'sessions' but must be lowercase key prefix ending in '/' such as 'sessions/' "
            "(pattern ^[a-z0-9][a-z0-9/_-]{0,62}/$)",
        ),
        ({"network_mode": "private"}, "network_mode is 'private' but must be one of: public, vpc"),
        ({"authorizer": "apikey"}, "authorizer is 'apikey' but must be one of: jwt, iam"),
        (
            {"memory_name": "prod-memory"},
            "memory_name is 'prod-memory' but must be a letter, then letters, digits or _ (at most 48) "
            "(pattern ^[a-zA-Z][a-zA-Z0-9_]{0,47}$)",
        ),
        ({"log_level": "TRACE"}, "log_level is 'TRACE' but must be one of: DEBUG, INFO, WARNING, ERROR"),
        (
            {"log_retention_days": 10},
            "log_retention_days is 10 but must be one of: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, "
            "731, 1096, 1827, 2192, 2557, 2922, 3288, 3653",
        ),
        ({"removal_policy": "snapshot"}, "removal_policy is 'snapshot' but must be one of: destroy, retain"),
        ({"access_token_validity_minutes": 2}, "access_token_validity_minutes is 2 but must be between 5 and 1440"),
        ({"refresh_token_validity_days": 0}, "refresh_token_validity_days is 0 but must be between 1 and 3650"),
        ({"idle_timeout_seconds": "soon"}, "idle_timeout_seconds is 'soon' but must be an integer"),
        ({"user_password_auth": 1}, "user_password_auth is 1 but must be a boolean"),
        ({"telemetry_capture_content": "yes"}, "telemetry_capture_content is 'yes' but must be a boolean"),
        ({"tags": ["project"]}, "tags is ['project'] but must be an object"),
        ({"alarm_email": 7}, "alarm_email is 7 but must be a string"),
        (
            {"vpc_id": "vpc-0123456789abcdef0"},
            "vpc_id is set but network_mode is 'public'; set network_mode to 'vpc' or remove it",
        ),
        (
            {
                "network_mode": "vpc",
                "subnet_ids": ["subnet-0123456789abcdef0"],
                "security_group_ids": ["sg-0123456789abcdef0"],
            },
            "vpc_id is missing but network_mode is 'vpc'; give the VPC id (vpc-...)",
        ),
        (
            {"network_mode": "vpc", "vpc_id": "vpc-0123456789abcdef0", "security_group_ids": ["sg-0123456789abcdef0"]},
            "subnet_ids is empty but network_mode is 'vpc'; give at least one private subnet id",
        ),
        (
            {"network_mode": "vpc", "vpc_id": "vpc-0123456789abcdef0", "subnet_ids": ["subnet-0123456789abcdef0"]},
            "security_group_ids is empty but network_mode is 'vpc'; give the security groups of the runtime's "
            "network interfaces (the stack creates none: docs/delivery.md, VPC mode)",
        ),
        (
            {
                "network_mode": "vpc",
                "vpc_id": "vpc-0123456789abcdef0",
                "subnet_ids": ["subnet-0123456789abcdef0"],
                "security_group_ids": ["sg-0123456789abcdef0"],
                "availability_zone_ids": ["use1-az1", "use1-az2"],
            },
            "availability_zone_ids has 2 entries but subnet_ids has 1; give the AZ id of each subnet, in order",
        ),
        (
            {
                "network_mode": "vpc",
                "vpc_id": "vpc-0123456789abcdef0",
                "subnet_ids": ["subnet-0123456789abcdef0"],
                "security_group_ids": ["sg-0123456789abcdef0"],
                "availability_zone_ids": ["us-east-1a"],
            },
            "availability_zone_ids is 'us-east-1a' but must be AZ ids such as use1-az1 (pattern "
            + AZ_ID_PATTERN.pattern
            + ")",
        ),
        (
            {
                "network_mode": "vpc",
                "vpc_id": "vpc-1",
                "subnet_ids": ["subnet-0123456789abcdef0"],
                "security_group_ids": ["sg-0123456789abcdef0"],
            },
            "vpc_id is 'vpc-1' but must be a VPC id such as vpc-0123456789abcdef0 (pattern ^vpc-[0-9a-f]{8,17}$)",
        ),
        (
            {"invoke_principals": ["arn:aws:iam::123456789012:role/backend"]},
            "invoke_principals is set but authorizer is 'jwt'; set authorizer to 'iam' or remove invoke_principals",
        ),
        (
            {"authorizer": "iam", "invoke_principals": ["123456789012"]},
            "invoke_principals is '123456789012' but must be IAM role or user ARNs such as "
            "arn:aws:iam::123456789012:role/backend (pattern " + PRINCIPAL_ARN_PATTERN.pattern + ")",
        ),
        (
            {"colour": "blue"},
            "colour is not a known setting (known: access_token_validity_minutes, alarm_email, authorizer, "
            "availability_zone_ids, description, endpoint_name, forget_me, idle_timeout_seconds, invoke_principals, "
            "latency_alarm_threshold_ms, log_level, log_retention_days, max_lifetime_seconds, "
            "memory_event_expiry_days, memory_name, mfa, model_id, network_mode, observability_enabled, "
            "platform_version, "
            "refresh_token_validity_days, removal_policy, runtime_name, security_group_ids, session_expiry_days, "
            "session_prefix, session_store, subnet_ids, tags, telemetry_capture_content, user_password_auth, vpc_id, "
            "web_local_origins)",
        ),
    ],
)
def test_load_rejects_invalid_value_with_exact_message(overrides, message):
    with pytest.raises(ConfigError) as error:
        load(overrides)
    assert error.value.problems == [message]


@pytest.mark.parametrize("stage", ["Prod", "dev-1", "x" * 13, ""])
def test_load_rejects_bad_stage_name(stage):
    context = copy.deepcopy(ROOT)
    context["stages"][stage] = {}
    with pytest.raises(ConfigError) as error:
        load_stage_config(context, stage)
    assert error.value.problems == [
        f"stage is {stage!r} but must be lowercase letters and digits, at most 12 (pattern ^[a-z][a-z0-9]{{0,11}}$)"
    ]


def test_load_without_a_stage_says_how_to_choose_one():
    with pytest.raises(ConfigError) as error:
        load_stage_config(copy.deepcopy(ROOT), None)
    assert error.value.problems == ["stage is missing; choose one with -c stage=<name> (cdk.json sets stage)"]


def test_load_takes_every_value_from_cdk_json():
    """No second copy of a default: a setting cdk.json drops is missing, not silently defaulted."""
    context = copy.deepcopy(ROOT)
    del context["defaults"]["model_id"], context["defaults"]["latency_alarm_threshold_ms"]
    with pytest.raises(ConfigError) as error:
        load_stage_config(context, "dev")
    assert error.value.problems == [
        "model_id is missing; set it in cdk.json under agentcore-session.defaults or .stages.dev",
        "latency_alarm_threshold_ms is missing; set it in cdk.json under agentcore-session.defaults or .stages.dev",
    ]


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
    with pytest.raises(ConfigError) as error:
        load_stage_config(context, "dev")
    assert error.value.problems == ["app_name is missing; set it in cdk.json under agentcore-session"]


def test_load_rejects_a_bad_app_name():
    with pytest.raises(ConfigError) as error:
        load_stage_config({**copy.deepcopy(ROOT), "app_name": "Agent Core"}, "dev")
    assert error.value.problems == [
        "app_name is 'Agent Core' but must be lowercase letters, digits or -, at most 30 (pattern "
        "^[a-z][a-z0-9-]{0,29}$)"
    ]


def test_load_rejects_too_many_tags():
    with pytest.raises(ConfigError) as error:
        load({"tags": {f"k{i}": "v" for i in range(51)}})
    assert error.value.problems == ["tags has 51 entries but must have at most 50"]


def test_platform_version_is_v2_from_cdk_json_and_may_be_pinned_or_left_to_the_service():
    assert load().platform_version == "V2"
    assert load({"platform_version": "V1"}).platform_version == "V1"
    assert load({"platform_version": None}).platform_version is None  # null in cdk.json: the service's default


def test_platform_version_rejects_an_unknown_version_with_exact_message():
    with pytest.raises(ConfigError) as error:
        load({"platform_version": "v2"})
    assert error.value.problems == ["platform_version is 'v2' but must be one of: V2, V1"]
