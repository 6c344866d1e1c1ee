"""Typed, validated configuration for one deployment stage, read once from CDK context.

Context layout (defaults in ``cdk.json``, overridable with ``-c key=value``)::

    "agentcore-session": {
        "app_name": "agentcore-session",
        "defaults": {...every StageConfig field...},
        "stages": {"dev": {...overrides...}, "prod": {...overrides...}}
    }

``-c stage=prod`` chooses the stage. Every problem is collected and reported at once, each message
naming the key, the value and what is allowed, so a bad ``cdk.json`` fails synth in one round trip.
Nothing below ``stacks/`` reads context: constructs receive these typed values.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any

CONTEXT_ROOT = "agentcore-session"
STAGE_KEY = "stage"

STAGE_NAME_PATTERN = re.compile(r"^[a-z][a-z0-9]{0,11}$")
APP_NAME_PATTERN = re.compile(r"^[a-z][a-z0-9-]{0,29}$")
RUNTIME_NAME_PATTERN = re.compile(r"^[a-zA-Z][a-zA-Z0-9_]{0,47}$")
ENDPOINT_NAME_PATTERN = re.compile(r"^[a-zA-Z][a-zA-Z0-9_]{0,47}$")
# A foundation-model id ("anthropic.claude-...-v1:0") or an inference-profile id with a
# geography prefix ("us.", "eu.", "apac.", "global." ...): provider, dot, model name.
MODEL_ID_PATTERN = re.compile(r"^(?:(?:us|eu|apac|jp|au|ca|us-gov|global)\.)?[a-z0-9-]+\.[A-Za-z0-9._:-]+$")
PREFIX_PATTERN = re.compile(r"^[a-z0-9][a-z0-9/_-]{0,62}/$")
VPC_ID_PATTERN = re.compile(r"^vpc-[0-9a-f]{8,17}$")
SUBNET_ID_PATTERN = re.compile(r"^subnet-[0-9a-f]{8,17}$")
SECURITY_GROUP_ID_PATTERN = re.compile(r"^sg-[0-9a-f]{8,17}$")
# Monitoring (stacks/monitoring_stack.py): where alarms are mailed, when latency alarms.
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
LATENCY_ALARM_RANGE_MS = (100, 900000)

SESSION_STORES = ("s3", "agentcore-memory")
NETWORK_MODES = ("public", "vpc")
MFA_MODES = ("off", "optional")
REMOVAL_POLICIES = ("destroy", "retain")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
AUTHORIZERS = ("jwt", "iam")

LIFECYCLE_RANGE_SECONDS = (60, 28800)
MEMORY_EXPIRY_RANGE_DAYS = (7, 365)
SESSION_EXPIRY_RANGE_DAYS = (1, 3650)
ACCESS_TOKEN_RANGE_MINUTES = (5, 1440)
REFRESH_TOKEN_RANGE_DAYS = (1, 3650)
MAX_TAGS = 50


def stack_prefix(stage: str) -> str:
    """``dev`` → ``AgentCoreSession-dev``: the one naming rule for a stage's stacks (``-Identity``,
    ``-Runtime``, ``-Monitoring``), shared by the stage and the deploy/destroy scripts."""
    return f"AgentCoreSession-{stage}"


class ConfigError(ValueError):
    """Raised once with every problem found in the context, one per line."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("invalid configuration:\n  - " + "\n  - ".join(problems))


@dataclass(frozen=True, kw_only=True)
class StageConfig:
    """Everything that may differ between stages. Each field documents its default in cdk.json."""

    app_name: str
    stage: str
    runtime_name: str
    endpoint_name: str
    description: str
    model_id: str
    session_store: str
    session_prefix: str
    session_expiry_days: int
    memory_event_expiry_days: int
    idle_timeout_seconds: int
    max_lifetime_seconds: int
    log_level: str
    authorizer: str
    network_mode: str
    vpc_id: str | None
    subnet_ids: tuple[str, ...]
    security_group_ids: tuple[str, ...]
    user_password_auth: bool
    mfa: str
    access_token_validity_minutes: int
    refresh_token_validity_days: int
    removal_policy: str
    observability_enabled: bool
    tags: Mapping[str, str] = field(default_factory=dict)
    # Monitoring: optional alarm e-mail subscription; average latency (ms) that alarms over 3 periods.
    alarm_email: str | None = None
    latency_alarm_threshold_ms: int = 30000

    @property
    def stack_prefix(self) -> str:
        """CloudFormation stack names start with this, e.g. ``AgentCoreSession-dev``."""
        return stack_prefix(self.stage)

    @property
    def export_prefix(self) -> str:
        """Export names are ``<app>-<stage>-<OutputKey>``: unique per account and region."""
        return f"{self.app_name}-{self.stage}"

    @property
    def ssm_prefix(self) -> str:
        """SSM parameters live under ``/<app>/<stage>/``."""
        return f"/{self.app_name}/{self.stage}"

    @property
    def retain(self) -> bool:
        """Whether stateful resources (user pool, session store) outlive the stack."""
        return self.removal_policy == "retain"


_FIELD_NAMES = {f.name for f in fields(StageConfig)} - {"app_name", "stage"}


def load_stage_config(context: Mapping[str, Any], stage_override: str | None = None) -> StageConfig:
    """Build the StageConfig for the chosen stage from the app's context.

    Args:
        context: the ``agentcore-session`` context object (``app.node.try_get_context``).
        stage_override: the ``-c stage=...`` value, if any.

    Raises:
        ConfigError: listing every invalid or unknown key.
    """
    problems: list[str] = []
    if not isinstance(context, Mapping):
        raise ConfigError([f"context key '{CONTEXT_ROOT}' must be an object, got {context!r}"])
    app_name = context.get("app_name", "agentcore-session")
    stages = context.get("stages", {})
    stage = stage_override or context.get("default_stage", "dev")
    if not isinstance(stage, str) or not STAGE_NAME_PATTERN.match(stage):
        raise ConfigError(
            [
                f"stage is {stage!r} but must match {STAGE_NAME_PATTERN.pattern} (lowercase letters and digits, at most 12)"
            ]
        )
    if stage not in stages:
        raise ConfigError([f"stage is '{stage}' but cdk.json defines only: {', '.join(sorted(stages)) or 'none'}"])
    merged: dict[str, Any] = {**context.get("defaults", {}), **(stages[stage] or {})}
    unknown = sorted(set(merged) - _FIELD_NAMES)
    problems += [f"{key} is not a known setting (known: {', '.join(sorted(_FIELD_NAMES))})" for key in unknown]
    if not isinstance(app_name, str) or not APP_NAME_PATTERN.match(app_name):
        problems.append(f"app_name is {app_name!r} but must match {APP_NAME_PATTERN.pattern}")
    values = _coerce(merged, stage, app_name, problems)
    if problems:
        raise ConfigError(problems)
    config = StageConfig(app_name=app_name, stage=stage, **values)
    problems += validate(config)
    if problems:
        raise ConfigError(problems)
    return config


def _coerce(merged: dict[str, Any], stage: str, app_name: str, problems: list[str]) -> dict[str, Any]:
    """Turn raw context values into typed field values, recording type problems."""
    default_runtime_name = f"{app_name}_{stage}".replace("-", "_")
    spec: dict[str, tuple[type, Any]] = {
        "runtime_name": (str, default_runtime_name),
        "endpoint_name": (str, "live"),
        "description": (str, f"Strands agent with per-session memory ({stage})"),
        "model_id": (str, "global.anthropic.claude-sonnet-4-6"),
        "session_store": (str, "s3"),
        "session_prefix": (str, "sessions/"),
        "session_expiry_days": (int, 30),
        "memory_event_expiry_days": (int, 30),
        "idle_timeout_seconds": (int, 900),
        "max_lifetime_seconds": (int, 28800),
        "log_level": (str, "INFO"),
        "authorizer": (str, "jwt"),
        "network_mode": (str, "public"),
        "vpc_id": (str, None),
        "subnet_ids": (list, []),
        "security_group_ids": (list, []),
        "user_password_auth": (bool, False),
        "mfa": (str, "optional"),
        "access_token_validity_minutes": (int, 60),
        "refresh_token_validity_days": (int, 30),
        "removal_policy": (str, "destroy"),
        "observability_enabled": (bool, True),
        "tags": (dict, {}),
        "alarm_email": (str, None),
        "latency_alarm_threshold_ms": (int, 30000),
    }
    out: dict[str, Any] = {}
    for name, (kind, default) in spec.items():
        value = merged.get(name, default)
        value = _from_cli_string(value, kind)
        if value is not None and not _is_kind(value, kind):
            problems.append(f"{name} is {value!r} but must be a {kind.__name__}")
            continue
        out[name] = tuple(value) if kind is list else value
    return out


def _from_cli_string(value: Any, kind: type) -> Any:
    """``-c key=value`` always delivers strings: read booleans and integers the way a user means them."""
    if not isinstance(value, str) or kind is str:
        return value
    if kind is bool and value.lower() in ("true", "false"):
        return value.lower() == "true"
    if kind is int and re.fullmatch(r"-?\d+", value):
        return int(value)
    if kind is list:
        return [part for part in value.split(",") if part]
    return value


def _is_kind(value: Any, kind: type) -> bool:
    """isinstance, except that a bool is not an int here (``true`` is not 1 day)."""
    if kind is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, kind)


def validate(config: StageConfig) -> list[str]:
    """Every rule the service or this project imposes on a StageConfig, as messages."""
    problems: list[str] = []
    _match(
        problems,
        "runtime_name",
        config.runtime_name,
        RUNTIME_NAME_PATTERN,
        "a letter, then letters, digits or _ (at most 48)",
    )
    _match(
        problems,
        "endpoint_name",
        config.endpoint_name,
        ENDPOINT_NAME_PATTERN,
        "a letter, then letters, digits or _ (at most 48)",
    )
    if config.endpoint_name.upper() == "DEFAULT":
        problems.append("endpoint_name is 'DEFAULT' but that name is reserved by the service")
    _match(
        problems,
        "model_id",
        config.model_id,
        MODEL_ID_PATTERN,
        "a Bedrock model id or inference-profile id such as 'global.anthropic.claude-sonnet-4-6'",
    )
    _match(
        problems,
        "session_prefix",
        config.session_prefix,
        PREFIX_PATTERN,
        "lowercase key prefix ending in '/' such as 'sessions/'",
    )
    _one_of(problems, "session_store", config.session_store, SESSION_STORES)
    _one_of(problems, "network_mode", config.network_mode, NETWORK_MODES)
    _one_of(problems, "mfa", config.mfa, MFA_MODES)
    _one_of(problems, "removal_policy", config.removal_policy, REMOVAL_POLICIES)
    _one_of(problems, "log_level", config.log_level, LOG_LEVELS)
    _one_of(problems, "authorizer", config.authorizer, AUTHORIZERS)
    _within(problems, "idle_timeout_seconds", config.idle_timeout_seconds, LIFECYCLE_RANGE_SECONDS)
    _within(problems, "max_lifetime_seconds", config.max_lifetime_seconds, LIFECYCLE_RANGE_SECONDS)
    if config.idle_timeout_seconds > config.max_lifetime_seconds:
        problems.append(
            f"idle_timeout_seconds is {config.idle_timeout_seconds} but must be at most "
            f"max_lifetime_seconds ({config.max_lifetime_seconds})"
        )
    _within(problems, "memory_event_expiry_days", config.memory_event_expiry_days, MEMORY_EXPIRY_RANGE_DAYS)
    _within(problems, "session_expiry_days", config.session_expiry_days, SESSION_EXPIRY_RANGE_DAYS)
    _within(problems, "access_token_validity_minutes", config.access_token_validity_minutes, ACCESS_TOKEN_RANGE_MINUTES)
    _within(problems, "refresh_token_validity_days", config.refresh_token_validity_days, REFRESH_TOKEN_RANGE_DAYS)
    problems += _network_problems(config)
    if config.alarm_email is not None:
        _match(problems, "alarm_email", config.alarm_email, EMAIL_PATTERN, "an e-mail address such as ops@example.com")
    _within(problems, "latency_alarm_threshold_ms", config.latency_alarm_threshold_ms, LATENCY_ALARM_RANGE_MS)
    if len(config.tags) > MAX_TAGS:
        problems.append(f"tags has {len(config.tags)} entries but must have at most {MAX_TAGS}")
    return problems


def _network_problems(config: StageConfig) -> list[str]:
    """VPC settings are required in vpc mode and meaningless in public mode."""
    if config.network_mode == "public":
        stray = [name for name in ("vpc_id", "subnet_ids", "security_group_ids") if getattr(config, name)]
        return [f"{name} is set but network_mode is 'public'; set network_mode to 'vpc' or remove it" for name in stray]
    if config.network_mode != "vpc":
        return []
    problems: list[str] = []
    if not config.vpc_id:
        problems.append("vpc_id is missing but network_mode is 'vpc'; give the VPC id (vpc-...)")
    else:
        _match(problems, "vpc_id", config.vpc_id, VPC_ID_PATTERN, "a VPC id such as vpc-0123456789abcdef0")
    if not config.subnet_ids:
        problems.append("subnet_ids is empty but network_mode is 'vpc'; give at least one private subnet id")
    for subnet in config.subnet_ids:
        _match(problems, "subnet_ids", subnet, SUBNET_ID_PATTERN, "subnet ids such as subnet-0123456789abcdef0")
    for group in config.security_group_ids:
        _match(
            problems,
            "security_group_ids",
            group,
            SECURITY_GROUP_ID_PATTERN,
            "security group ids such as sg-0123456789abcdef0",
        )
    return problems


def _match(problems: list[str], name: str, value: str, pattern: re.Pattern[str], allowed: str) -> None:
    if not pattern.match(value):
        problems.append(f"{name} is {value!r} but must be {allowed} (pattern {pattern.pattern})")


def _one_of(problems: list[str], name: str, value: str, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        problems.append(f"{name} is {value!r} but must be one of: {', '.join(allowed)}")


def _within(problems: list[str], name: str, value: int, bounds: tuple[int, int]) -> None:
    low, high = bounds
    if not low <= value <= high:
        problems.append(f"{name} is {value} but must be between {low} and {high}")
