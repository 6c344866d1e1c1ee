"""Typed, validated configuration for one deployment stage, read once from CDK context.

Context layout, all in ``cdk.json`` (the one place a value is written)::

    "stage": "dev",
    "agentcore-session": {
        "app_name": "agentcore-session",
        "defaults": {...a value for every setting...},
        "stages": {"dev": {...overrides...}, "prod": {...overrides...}}
    }

``-c stage=prod`` chooses the stage, and ``-c <setting>=<value>`` (e.g. ``-c authorizer=iam``) overrides one
setting of that stage for one synth or deploy (``setting_overrides``), read as its type (``true``, ``300``,
``a,b``). Nothing here repeats a value of ``cdk.json``: a setting neither the
defaults nor the stage gives is reported as missing, except the optional ones (a default below, meaning
"none") and the two derived from the app and stage names (``runtime_name``, ``description``). Every problem
is collected and reported at once (stacks/validation.py), each message naming the key, the value and what
is allowed, so a bad ``cdk.json`` fails synth in one round trip. Nothing below ``stacks/`` reads context:
constructs receive these typed values. bench/ reads the same ``cdk.json`` for the values it must match.
"""

from __future__ import annotations

import re
import types
import typing
from collections.abc import Callable, Mapping
from dataclasses import MISSING, dataclass, field, fields
from typing import Any

from stacks.validation import ConfigError, Problems

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
AZ_ID_PATTERN = re.compile(r"^[a-z]{2,6}\d-az\d{1,2}$")
# An IAM role or user ARN, as aws:PrincipalArn reports a caller (a role session reports its role's ARN).
PRINCIPAL_ARN_PATTERN = re.compile(r"^arn:aws(?:-cn|-us-gov)?:iam::\d{12}:(?:role|user)/[\w+=,.@/-]{1,512}$")
# Monitoring (stacks/monitoring/monitoring_stack.py): where alarms are mailed, when latency alarms.
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
LATENCY_ALARM_RANGE_MS = (100, 900000)
# Web app (stacks/web/): extra sign-in callback origins, for a developer's local web server only.
LOCAL_ORIGIN_PATTERN = re.compile(r"^http://(?:localhost|127\.0\.0\.1):[0-9]{1,5}$")
# CloudWatch Logs retention values (botocore logs model, shape Days).
_DAYS = "1 3 5 7 14 30 60 90 120 150 180 365 400 545 731 1096 1827 2192 2557 2922 3288 3653"
LOG_RETENTION_DAYS = tuple(int(days) for days in _DAYS.split())

SESSION_STORES = ("s3", "agentcore-memory")
NETWORK_MODES = ("public", "vpc")
MFA_MODES = ("off", "optional")
REMOVAL_POLICIES = ("destroy", "retain")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
AUTHORIZERS = ("jwt", "iam")
# AgentCore Runtime platform versions (aws-cdk-lib 2.275 PlatformVersion.V1/V2); unset: the service's default.
PLATFORM_VERSIONS = ("V2", "V1")

LIFECYCLE_RANGE_SECONDS = (60, 28800)
MEMORY_EXPIRY_RANGE_DAYS = (7, 365)
SESSION_EXPIRY_RANGE_DAYS = (1, 3650)
ACCESS_TOKEN_RANGE_MINUTES = (5, 1440)
REFRESH_TOKEN_RANGE_DAYS = (1, 3650)
MAX_TAGS = 50


TYPE_NAMES = {str: "a string", int: "an integer", bool: "a boolean", list: "a list", dict: "an object"}


@dataclass(frozen=True, kw_only=True)
class StageConfig:
    """Everything that may differ between stages, as ``cdk.json`` sets it (``defaults`` then the stage's).

    The fields with a default here are optional: absent means none (no VPC, no alarm e-mail, no tags).
    ``runtime_name`` defaults to ``<app_name>_<stage>`` and ``description`` to one naming the stage.
    """

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
    # Retention of the runtime's service-created log groups, set after each deploy (scripts/log_retention.py).
    log_retention_days: int
    authorizer: str
    network_mode: str
    user_password_auth: bool
    mfa: str
    access_token_validity_minutes: int
    refresh_token_validity_days: int
    removal_policy: str
    observability_enabled: bool
    # Privacy decision: with observability on, export prompts, answers and tool data in traces (CloudWatch)?
    # Off by default; the agent then redacts them (AGENT_TELEMETRY_CAPTURE_CONTENT, agent/observability.py).
    telemetry_capture_content: bool
    # Forget-me (agent/forget_me.py): end users may erase their stored data; on, the role may also delete in the
    # store (stacks/runtime/conversation_store.py); off, the agent answers 403 and the role has no delete grant.
    forget_me: bool
    # Monitoring: average latency (ms) that alarms over 3 periods; optional alarm e-mail subscription.
    latency_alarm_threshold_ms: int
    # V2 or V1; None leaves it to the service (stacks/runtime/platform_version.py: V2 only where AWS lists it).
    platform_version: str | None = None
    alarm_email: str | None = None
    vpc_id: str | None = None
    subnet_ids: tuple[str, ...] = ()
    security_group_ids: tuple[str, ...] = ()
    # AgentCore Memory store: the memory's name (create-only; default ``<runtime_name>_memory``). A retained
    # memory keeps its name after `make destroy`, so the next deploy needs another one (docs/delivery.md).
    memory_name: str | None = None
    # VPC mode: the AZ id of each subnet, in order (optional; checked against AgentCore's supported zones).
    availability_zone_ids: tuple[str, ...] = ()
    # IAM mode: the only principals that may invoke (rendered as the runtime's resource-based policy).
    invoke_principals: tuple[str, ...] = ()
    tags: Mapping[str, str] = field(default_factory=dict)
    # Web login: origins besides the distribution's that Cognito may redirect to (a local `npm run dev`).
    web_local_origins: tuple[str, ...] = ()

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


_DERIVED = ("runtime_name", "description")
_SETTINGS = {f.name: f for f in fields(StageConfig) if f.name not in ("app_name", "stage")}
_OPTIONAL = {name for name, f in _SETTINGS.items() if f.default is not MISSING or f.default_factory is not MISSING}
_HINTS = typing.get_type_hints(StageConfig)


def setting_overrides(try_get_context: Callable[[str], Any]) -> dict[str, Any]:
    """The settings given on the command line (``cdk synth -c authorizer=iam``), by name.

    WHY top-level keys: the CDK CLI's ``-c key=value`` sets one top-level context key to a string and cannot
    reach into the ``agentcore-session`` object of ``cdk.json``. Only names of settings count, so the CDK's
    own context keys (feature flags, ``stage``) never do.
    """
    return {name: value for name in _SETTINGS if (value := try_get_context(name)) is not None}


def load_stage_config(
    context: Mapping[str, Any], stage: str | None, *, overrides: Mapping[str, Any] | None = None
) -> StageConfig:
    """Build the StageConfig for ``stage`` from the app's context.

    Args:
        context: the ``agentcore-session`` context object (``app.node.try_get_context``).
        stage: the ``-c stage=...`` value (``cdk.json`` sets ``dev``).
        overrides: settings from the command line (``setting_overrides``); they win over the stage's values.

    Raises:
        ConfigError: listing every missing, unknown or invalid key.
    """
    if not isinstance(context, Mapping):
        raise ConfigError([f"context key '{CONTEXT_ROOT}' must be an object, got {context!r}"])
    stage_name = _stage(context, stage)
    problems = Problems()
    raw_app_name = context.get("app_name")
    if raw_app_name is None:
        problems.add(f"app_name is missing; set it in cdk.json under {CONTEXT_ROOT}")
    else:
        problems.match("app_name", raw_app_name, APP_NAME_PATTERN, "lowercase letters, digits or -, at most 30")
    merged: dict[str, Any] = {
        **context.get("defaults", {}),
        **(context["stages"][stage_name] or {}),
        **(overrides or {}),
    }
    for key in sorted(set(merged) - set(_SETTINGS)):
        problems.add(f"{key} is not a known setting (known: {', '.join(sorted(_SETTINGS))})")
    values = _typed(merged, stage_name, problems)
    problems.raise_if_any()
    app_name = typing.cast(str, raw_app_name)  # matched APP_NAME_PATTERN above, or we raised
    for name, value in _derived(app_name, stage_name).items():
        values.setdefault(name, value)
    config = StageConfig(app_name=app_name, stage=stage_name, **values)
    _validate(config, problems)
    problems.raise_if_any()
    return config


def _stage(context: Mapping[str, Any], stage: str | None) -> str:
    """The stage name, checked before anything else: every other message depends on it."""
    if stage is None:
        raise ConfigError(["stage is missing; choose one with -c stage=<name> (cdk.json sets stage)"])
    problems = Problems()
    problems.match("stage", stage, STAGE_NAME_PATTERN, "lowercase letters and digits, at most 12")
    problems.raise_if_any()
    stages = context.get("stages", {})
    if stage not in stages:
        raise ConfigError([f"stage is '{stage}' but cdk.json defines only: {', '.join(sorted(stages)) or 'none'}"])
    return stage


def _derived(app_name: str, stage: str) -> dict[str, str]:
    """The settings whose default depends on the app and stage names."""
    return {
        "runtime_name": f"{app_name}_{stage}".replace("-", "_"),
        "description": f"Strands agent with per-session memory ({stage})",
    }


def _typed(merged: Mapping[str, Any], stage: str, problems: Problems) -> dict[str, Any]:
    """Each setting given, as its field's type; a required one missing or of another type is a problem."""
    out: dict[str, Any] = {}
    for name in _SETTINGS:
        if name not in merged:
            if name not in _OPTIONAL and name not in _DERIVED:
                problems.add(f"{name} is missing; set it in cdk.json under {CONTEXT_ROOT}.defaults or .stages.{stage}")
            continue
        kind = _kind(_HINTS[name])
        value = _from_cli_string(merged[name], kind)
        if value is None and name in _OPTIONAL:
            continue
        if not _is_kind(value, kind):
            problems.add(f"{name} is {value!r} but must be {TYPE_NAMES[kind]}")
            continue
        out[name] = tuple(value) if kind is list else value
    return out


def _kind(hint: Any) -> type:
    """The JSON type a field is written as: ``str | None`` → str, ``tuple[str, ...]`` → list, Mapping → dict."""
    if isinstance(hint, types.UnionType):
        hint = next(arg for arg in typing.get_args(hint) if arg is not type(None))
    origin = typing.get_origin(hint) or hint
    if origin is tuple:
        return list
    if origin is Mapping:
        return dict
    return typing.cast(type, origin)


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


def _validate(config: StageConfig, problems: Problems) -> None:
    """Every rule the service or this project imposes on a StageConfig."""
    name_rule = "a letter, then letters, digits or _ (at most 48)"
    problems.match("runtime_name", config.runtime_name, RUNTIME_NAME_PATTERN, name_rule)
    problems.match("endpoint_name", config.endpoint_name, ENDPOINT_NAME_PATTERN, name_rule)
    if config.memory_name is not None:
        problems.match("memory_name", config.memory_name, RUNTIME_NAME_PATTERN, name_rule)
    if config.endpoint_name.upper() == "DEFAULT":
        problems.add("endpoint_name is 'DEFAULT' but that name is reserved by the service")
    problems.match(
        "model_id",
        config.model_id,
        MODEL_ID_PATTERN,
        "a Bedrock model id or inference-profile id such as 'global.anthropic.claude-sonnet-4-6'",
    )
    problems.match(
        "session_prefix",
        config.session_prefix,
        PREFIX_PATTERN,
        "lowercase key prefix ending in '/' such as 'sessions/'",
    )
    problems.one_of("session_store", config.session_store, SESSION_STORES)
    problems.one_of("network_mode", config.network_mode, NETWORK_MODES)
    problems.one_of("mfa", config.mfa, MFA_MODES)
    problems.one_of("removal_policy", config.removal_policy, REMOVAL_POLICIES)
    problems.one_of("log_level", config.log_level, LOG_LEVELS)
    if config.log_retention_days not in LOG_RETENTION_DAYS:
        problems.add(
            f"log_retention_days is {config.log_retention_days} but must be one of: "
            f"{', '.join(map(str, LOG_RETENTION_DAYS))}"
        )
    problems.one_of("authorizer", config.authorizer, AUTHORIZERS)
    if config.platform_version is not None:
        problems.one_of("platform_version", config.platform_version, PLATFORM_VERSIONS)
    problems.within("idle_timeout_seconds", config.idle_timeout_seconds, LIFECYCLE_RANGE_SECONDS)
    problems.within("max_lifetime_seconds", config.max_lifetime_seconds, LIFECYCLE_RANGE_SECONDS)
    if config.idle_timeout_seconds > config.max_lifetime_seconds:
        problems.add(
            f"idle_timeout_seconds is {config.idle_timeout_seconds} but must be at most "
            f"max_lifetime_seconds ({config.max_lifetime_seconds})"
        )
    problems.within("memory_event_expiry_days", config.memory_event_expiry_days, MEMORY_EXPIRY_RANGE_DAYS)
    problems.within("session_expiry_days", config.session_expiry_days, SESSION_EXPIRY_RANGE_DAYS)
    problems.within("access_token_validity_minutes", config.access_token_validity_minutes, ACCESS_TOKEN_RANGE_MINUTES)
    problems.within("refresh_token_validity_days", config.refresh_token_validity_days, REFRESH_TOKEN_RANGE_DAYS)
    _validate_network(config, problems)
    _validate_invoke_principals(config, problems)
    if config.alarm_email is not None:
        problems.match("alarm_email", config.alarm_email, EMAIL_PATTERN, "an e-mail address such as ops@example.com")
    problems.within("latency_alarm_threshold_ms", config.latency_alarm_threshold_ms, LATENCY_ALARM_RANGE_MS)
    problems.at_most("tags", len(config.tags), "entries", MAX_TAGS)
    for origin in config.web_local_origins:
        problems.match("web_local_origins", origin, LOCAL_ORIGIN_PATTERN, "http://localhost:<port> origins only")


def _validate_invoke_principals(config: StageConfig, problems: Problems) -> None:
    """Principals are IAM role or user ARNs, and only an IAM runtime has SigV4 callers to restrict."""
    if config.invoke_principals and config.authorizer != "iam":
        problems.add(
            f"invoke_principals is set but authorizer is '{config.authorizer}'; "
            "set authorizer to 'iam' or remove invoke_principals"
        )
    for principal in config.invoke_principals:
        problems.match(
            "invoke_principals",
            principal,
            PRINCIPAL_ARN_PATTERN,
            "IAM role or user ARNs such as arn:aws:iam::123456789012:role/backend",
        )


def _validate_network(config: StageConfig, problems: Problems) -> None:
    """VPC settings are required in vpc mode and meaningless in public mode."""
    if config.network_mode == "public":
        for name in ("vpc_id", "subnet_ids", "security_group_ids", "availability_zone_ids"):
            if getattr(config, name):
                problems.add(f"{name} is set but network_mode is 'public'; set network_mode to 'vpc' or remove it")
        return
    if config.network_mode != "vpc":
        return
    if not config.vpc_id:
        problems.add("vpc_id is missing but network_mode is 'vpc'; give the VPC id (vpc-...)")
    else:
        problems.match("vpc_id", config.vpc_id, VPC_ID_PATTERN, "a VPC id such as vpc-0123456789abcdef0")
    if not config.subnet_ids:
        problems.add("subnet_ids is empty but network_mode is 'vpc'; give at least one private subnet id")
    for subnet in config.subnet_ids:
        problems.match("subnet_ids", subnet, SUBNET_ID_PATTERN, "subnet ids such as subnet-0123456789abcdef0")
    if not config.security_group_ids:
        problems.add(
            "security_group_ids is empty but network_mode is 'vpc'; give the security groups of the runtime's "
            "network interfaces (the stack creates none: docs/delivery.md, VPC mode)"
        )
    for group in config.security_group_ids:
        problems.match(
            "security_group_ids", group, SECURITY_GROUP_ID_PATTERN, "security group ids such as sg-0123456789abcdef0"
        )
    if config.availability_zone_ids and len(config.availability_zone_ids) != len(config.subnet_ids):
        problems.add(
            f"availability_zone_ids has {len(config.availability_zone_ids)} entries but subnet_ids has "
            f"{len(config.subnet_ids)}; give the AZ id of each subnet, in order"
        )
    for zone in config.availability_zone_ids:
        problems.match("availability_zone_ids", zone, AZ_ID_PATTERN, "AZ ids such as use1-az1")
