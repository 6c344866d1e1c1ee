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
``a,b``). Nothing here repeats a value of ``cdk.json``: a setting neither the defaults nor the stage gives is
reported as missing, except the optional ones (a default below, meaning "none") and the two derived from the
app and stage names (``runtime_name``, ``description``).

Each setting is one field of :class:`StageConfig` (a pydantic model): its type, its bounds or pattern, and, for
a rule between settings, a field validator. Adding a setting is adding a field (and its ``cdk.json`` value and
docs/deploy.md row). Every problem is reported at once in one shape (stacks/validation.py), naming the key as
written in ``cdk.json`` or on the command line, the value and what is allowed, so a bad ``cdk.json`` fails synth
in one round trip. Nothing below ``stacks/`` reads context: constructs receive these typed values. bench/ reads
the same ``cdk.json`` for the values it must match.
"""

from __future__ import annotations

import re
import types
import typing
from collections.abc import Callable, Mapping
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator

from stacks.validation import UNSET, ConfigError, Problem, problems_from, rule

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
# Monitoring (stacks/monitoring/monitoring_stack.py): where alarms are mailed.
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# Web app (stacks/web/): extra sign-in callback origins, for a developer's local web server only.
LOCAL_ORIGIN_PATTERN = re.compile(r"^http://(?:localhost|127\.0\.0\.1):[0-9]{1,5}$")
# CloudWatch Logs retention values (botocore logs model, shape Days).
_DAYS = "1 3 5 7 14 30 60 90 120 150 180 365 400 545 731 1096 1827 2192 2557 2922 3288 3653"
LOG_RETENTION_DAYS = tuple(int(days) for days in _DAYS.split())

SessionStore = Literal["s3", "agentcore-memory"]
NetworkMode = Literal["public", "vpc"]
MfaMode = Literal["off", "optional"]
RemovalPolicy = Literal["destroy", "retain"]
LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR"]
Authorizer = Literal["jwt", "iam"]
# AgentCore Runtime platform versions (aws-cdk-lib 2.275 PlatformVersion.V1/V2); unset: the service's default.
PlatformVersion = Literal["V2", "V1"]
AUTHORIZERS = typing.get_args(Authorizer)
PLATFORM_VERSIONS = typing.get_args(PlatformVersion)

NAME_RULE = "a letter, then letters, digits or _ (at most 48)"


# Items of list settings, each matching its pattern.
SubnetId = Annotated[str, Field(pattern=SUBNET_ID_PATTERN.pattern)]
SecurityGroupId = Annotated[str, Field(pattern=SECURITY_GROUP_ID_PATTERN.pattern)]
AzId = Annotated[str, Field(pattern=AZ_ID_PATTERN.pattern)]
PrincipalArn = Annotated[str, Field(pattern=PRINCIPAL_ARN_PATTERN.pattern)]
LocalOrigin = Annotated[str, Field(pattern=LOCAL_ORIGIN_PATTERN.pattern)]
VPC_SETTINGS = ("vpc_id", "subnet_ids", "security_group_ids", "availability_zone_ids")


class StageConfig(BaseModel):
    """Everything that may differ between stages, as ``cdk.json`` sets it (``defaults`` then the stage's).

    One field a setting, with its type and limits; a rule between settings is a validator of the later one.
    The fields with a default here are optional: absent means none (no VPC, no alarm e-mail, no tags).
    ``runtime_name`` defaults to ``<app_name>_<stage>`` and ``description`` to one naming the stage.
    """

    # strict: a JSON value of another type is an error (``true`` is not 1 day); -c strings are read first.
    # python-re: the patterns are Python's (the principal ARN's ``\w{1,512}`` is too large for the Rust engine).
    model_config = ConfigDict(strict=True, frozen=True, extra="forbid", validate_default=True, regex_engine="python-re")

    app_name: str = Field(pattern=APP_NAME_PATTERN.pattern, description="lowercase letters, digits or -, at most 30")
    stage: str = Field(pattern=STAGE_NAME_PATTERN.pattern, description="lowercase letters and digits, at most 12")
    runtime_name: str = Field(pattern=RUNTIME_NAME_PATTERN.pattern, description=NAME_RULE)
    endpoint_name: str = Field(pattern=ENDPOINT_NAME_PATTERN.pattern, description=NAME_RULE)
    description: str
    model_id: str = Field(
        pattern=MODEL_ID_PATTERN.pattern,
        description="a Bedrock model id or inference-profile id such as 'global.anthropic.claude-sonnet-4-6'",
    )
    session_store: SessionStore
    session_prefix: str = Field(
        pattern=PREFIX_PATTERN.pattern, description="a lowercase key prefix ending in '/' such as 'sessions/'"
    )
    session_expiry_days: int = Field(ge=1, le=3650)
    memory_event_expiry_days: int = Field(ge=7, le=365)
    idle_timeout_seconds: int = Field(ge=60, le=28800)
    max_lifetime_seconds: int = Field(ge=60, le=28800)
    log_level: LogLevel
    # Retention of the runtime's service-created log groups, set after each deploy (scripts/log_retention.py).
    log_retention_days: int
    authorizer: Authorizer
    network_mode: NetworkMode
    user_password_auth: bool
    mfa: MfaMode
    access_token_validity_minutes: int = Field(ge=5, le=1440)
    refresh_token_validity_days: int = Field(ge=1, le=3650)
    removal_policy: RemovalPolicy
    observability_enabled: bool
    # Privacy decision: with observability on, export prompts, answers and tool data in traces (CloudWatch)?
    # Off by default; the agent then redacts them (AGENT_TELEMETRY_CAPTURE_CONTENT, agent/observability.py).
    telemetry_capture_content: bool
    # Forget-me (agent/forget_me.py): end users may erase their stored data; on, the role may also delete in the
    # store (stacks/runtime/conversation_store.py); off, the agent answers 403 and the role has no delete grant.
    forget_me: bool
    # Monitoring: average latency (ms) that alarms over 3 periods; optional alarm e-mail subscription.
    latency_alarm_threshold_ms: int = Field(ge=100, le=900000)
    # V2 or V1; None leaves it to the service (stacks/runtime/platform_version.py: V2 only where AWS lists it).
    platform_version: PlatformVersion | None = None
    alarm_email: str | None = Field(
        default=None, pattern=EMAIL_PATTERN.pattern, description="an e-mail address such as ops@example.com"
    )
    vpc_id: str | None = Field(
        default=None, pattern=VPC_ID_PATTERN.pattern, description="a VPC id such as vpc-0123456789abcdef0"
    )
    subnet_ids: tuple[SubnetId, ...] = Field(default=(), description="subnet ids such as subnet-0123456789abcdef0")
    security_group_ids: tuple[SecurityGroupId, ...] = Field(
        default=(), description="security group ids such as sg-0123456789abcdef0"
    )
    # AgentCore Memory store: the memory's name (create-only; default ``<runtime_name>_memory``). A retained
    # memory keeps its name after `make destroy`, so the next deploy needs another one (docs/delivery.md).
    memory_name: str | None = Field(default=None, pattern=RUNTIME_NAME_PATTERN.pattern, description=NAME_RULE)
    # Long-term memory across sessions (AgentCore Memory strategies; stacks/runtime/conversation_store.py):
    # needs session_store agentcore-memory, whose events the strategies extract from. Absent: off.
    long_term_memory: bool = False
    # VPC mode: the AZ id of each subnet, in order (optional; checked against AgentCore's supported zones).
    availability_zone_ids: tuple[AzId, ...] = Field(default=(), description="AZ ids such as use1-az1")
    # IAM mode: the only principals that may invoke (rendered as the runtime's resource-based policy).
    invoke_principals: tuple[PrincipalArn, ...] = Field(
        default=(), description="IAM role or user ARNs such as arn:aws:iam::123456789012:role/backend"
    )
    tags: Mapping[str, str] = Field(default_factory=dict, max_length=50)
    # Web login: origins besides the distribution's that Cognito may redirect to (a local `npm run dev`).
    web_local_origins: tuple[LocalOrigin, ...] = Field(default=(), description="http://localhost:<port> origins only")

    @field_validator("*", mode="before")
    @classmethod
    def _read_command_line_text(cls, value: Any, info: ValidationInfo) -> Any:
        """``-c key=value`` always delivers strings: read booleans, integers and lists the way a user means them;
        a JSON list becomes the tuple the field holds."""
        kind = _kind(cls.model_fields[str(info.field_name)].annotation)
        if isinstance(value, list) and kind is tuple:
            return tuple(value)
        if not isinstance(value, str) or kind is str:
            return value
        if kind is bool and value.lower() in ("true", "false"):
            return value.lower() == "true"
        if kind is int and re.fullmatch(r"-?\d+", value):
            return int(value)
        if kind is tuple:
            return tuple(part for part in value.split(",") if part)
        return value

    @field_validator("endpoint_name")
    @classmethod
    def _endpoint_not_reserved(cls, value: str) -> str:
        if value.upper() == "DEFAULT":
            raise rule(f"{NAME_RULE}, except DEFAULT (reserved by the service)")
        return value

    @field_validator("log_retention_days")
    @classmethod
    def _a_cloudwatch_retention(cls, value: int) -> int:
        if value not in LOG_RETENTION_DAYS:
            raise rule(f"one of {', '.join(map(str, LOG_RETENTION_DAYS))} (CloudWatch Logs retention days)")
        return value

    @field_validator("max_lifetime_seconds")
    @classmethod
    def _lifetime_covers_idle_timeout(cls, value: int, info: ValidationInfo) -> int:
        idle = info.data.get("idle_timeout_seconds")
        if idle is not None and idle > value:
            raise rule(f"at least idle_timeout_seconds ({idle})")
        return value

    @field_validator(*VPC_SETTINGS)
    @classmethod
    def _vpc_settings_need_vpc_mode(cls, value: Any, info: ValidationInfo) -> Any:
        """VPC settings are required in vpc mode and meaningless in public mode."""
        mode, name = info.data.get("network_mode"), info.field_name
        if mode == "public" and value:
            raise rule("unset while network_mode is 'public' (or set network_mode to 'vpc')")
        if mode != "vpc" or value:
            return value
        if name == "vpc_id":
            raise rule("the VPC id (vpc-...), required when network_mode is 'vpc'")
        if name == "subnet_ids":
            raise rule("at least one private subnet id, required when network_mode is 'vpc'")
        if name == "security_group_ids":
            raise rule(
                "the security groups of the runtime's network interfaces, required when network_mode is 'vpc' "
                "(the stack creates none: docs/delivery.md, VPC mode)"
            )
        return value

    @field_validator("availability_zone_ids")
    @classmethod
    def _one_zone_per_subnet(cls, value: tuple[str, ...], info: ValidationInfo) -> tuple[str, ...]:
        subnets = info.data.get("subnet_ids")
        if value and subnets is not None and len(value) != len(subnets):
            raise rule(f"the AZ id of each subnet, in order: {len(subnets)} entries like subnet_ids")
        return value

    @field_validator("long_term_memory")
    @classmethod
    def _long_term_memory_needs_agentcore_memory(cls, value: bool, info: ValidationInfo) -> bool:
        """Long-term records are extracted from AgentCore Memory events, which the s3 store does not write."""
        store = info.data.get("session_store")
        if value and store is not None and store != "agentcore-memory":
            raise rule(f"false while session_store is '{store}' (or set session_store to 'agentcore-memory')")
        return value

    @field_validator("invoke_principals")
    @classmethod
    def _principals_need_iam(cls, value: tuple[str, ...], info: ValidationInfo) -> tuple[str, ...]:
        """Only an IAM runtime has SigV4 callers to restrict."""
        authorizer = info.data.get("authorizer")
        if value and authorizer is not None and authorizer != "iam":
            raise rule(f"unset while authorizer is '{authorizer}' (or set authorizer to 'iam')")
        return value

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
_FROM_CONTEXT_ROOT = ("app_name", "stage")
_SETTINGS = {name: info for name, info in StageConfig.model_fields.items() if name not in _FROM_CONTEXT_ROOT}
_OPTIONAL = {name for name, info in _SETTINGS.items() if not info.is_required()}
_UNKNOWN = f"a known setting: {', '.join(sorted(_SETTINGS))}"


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
        ConfigError: listing every missing, unknown or invalid key, its value and what is allowed.
    """
    if not isinstance(context, Mapping):
        raise ConfigError([Problem(CONTEXT_ROOT, context, "an object (cdk.json context)")])
    stage_name = _stage(context, stage)
    given, misplaced = _given(context, stage_name, overrides or {})
    values = {name: value for name, (_, value) in given.items() if value is not UNSET}
    values = {name: value for name, value in values.items() if value is not None or name not in _OPTIONAL}
    app_name = values.get("app_name")
    app_name_valid = isinstance(app_name, str) and APP_NAME_PATTERN.match(app_name) is not None
    if app_name_valid:
        values = _derived(typing.cast(str, app_name), stage_name) | values
    try:
        config = StageConfig(stage=stage_name, **values)
    except ValidationError as error:
        keys = {name: key for name, (key, _) in given.items()} | {"stage": STAGE_KEY}
        problems = problems_from(
            error,
            StageConfig.model_fields,
            key=lambda name: keys.get(name, f"{CONTEXT_ROOT}.stages.{stage_name}.{name}"),
            given={name for name, (_, value) in given.items() if value is not UNSET},
            missing=f"required: set it in {CONTEXT_ROOT}.defaults or {CONTEXT_ROOT}.stages.{stage_name}",
            unknown=_UNKNOWN,
        )
        if not app_name_valid:  # the one problem: the names derived from it are not reported too
            derived = {f"{CONTEXT_ROOT}.stages.{stage_name}.{name}" for name in _DERIVED if name not in given}
            problems = [problem for problem in problems if problem.key not in derived]
        raise ConfigError(problems + misplaced) from None
    if misplaced:
        raise ConfigError(misplaced)
    return config


def _given(
    context: Mapping[str, Any], stage: str, overrides: Mapping[str, Any]
) -> tuple[dict[str, tuple[str, Any]], list[Problem]]:
    """Each setting given (``defaults``, then the stage's, then ``-c``) with the key it was written under, and
    ``app_name`` (``UNSET`` when missing); ``app_name`` or ``stage`` written as a stage setting is a problem."""
    given = {
        **_located(context.get("defaults") or {}, f"{CONTEXT_ROOT}.defaults."),
        **_located(context["stages"][stage] or {}, f"{CONTEXT_ROOT}.stages.{stage}."),
        **_located(overrides, "-c "),
    }
    misplaced = [Problem(key, value, _UNKNOWN) for name, (key, value) in given.items() if name in _FROM_CONTEXT_ROOT]
    given = {name: located for name, located in given.items() if name not in _FROM_CONTEXT_ROOT}
    return given | _located({"app_name": context.get("app_name", UNSET)}, f"{CONTEXT_ROOT}."), misplaced


def _located(settings: Mapping[str, Any], prefix: str) -> dict[str, tuple[str, Any]]:
    """Each setting with the key a user wrote it under (``agentcore-session.stages.dev.mfa``, ``-c mfa``)."""
    return {name: (f"{prefix}{name}", value) for name, value in settings.items()}


def _stage(context: Mapping[str, Any], stage: str | None) -> str:
    """The stage name, checked before anything else: every other key's name depends on it."""
    if stage is None:
        raise ConfigError([Problem(STAGE_KEY, UNSET, "a stage name: choose one with -c stage=<name>")])
    if not STAGE_NAME_PATTERN.match(stage):
        allowed = f"lowercase letters and digits, at most 12 (pattern {STAGE_NAME_PATTERN.pattern})"
        raise ConfigError([Problem(STAGE_KEY, stage, allowed)])
    stages = context.get("stages", {})
    if stage not in stages:
        raise ConfigError(
            [Problem(STAGE_KEY, stage, f"a stage cdk.json defines: {', '.join(sorted(stages)) or 'none'}")]
        )
    return stage


def _derived(app_name: str, stage: str) -> dict[str, str]:
    """The settings whose default depends on the app and stage names."""
    return {
        "runtime_name": f"{app_name}_{stage}".replace("-", "_"),
        "description": f"Strands agent with per-session memory ({stage})",
    }


def _kind(hint: Any) -> type:
    """The type a field holds, as -c text is read: ``str | None`` → str, ``tuple[str, ...]`` → tuple,
    a ``Literal`` of strings → str, Mapping → dict."""
    if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union:
        hint = next(arg for arg in typing.get_args(hint) if arg is not type(None))
    origin = typing.get_origin(hint) or hint
    if origin is Literal:
        return type(typing.get_args(hint)[0])
    if origin is Mapping:
        return dict
    return typing.cast(type, origin)
