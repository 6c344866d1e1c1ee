"""Typed agent settings, read once from the environment and validated before the server starts.

Settings flow one way: environment → :class:`Settings` → factories (model, store, registry) → entrypoint.
Each setting is one field of :class:`Settings` (a pydantic model), declared once: its type, default, environment
variable (``validation_alias``) and limits (``ge``/``le``, a ``Literal`` of choices); a rule between settings is
a field validator of the later field. ``Settings.from_env`` only decides which variables count as given (an
empty one is unset, except where empty is a value); pydantic judges every value, so settings built in code are
held to the same limits. Every problem is reported at once in one shape, naming the variable, the value given
and what is allowed::

    MAX_SESSIONS = '0'; allowed: an integer from 1 to 10000
"""

from __future__ import annotations

import os
import re
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal, Self

from pydantic import (
    AliasChoices,
    BaseModel,
    ConfigDict,
    Field,
    ModelWrapValidatorHandler,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic.fields import FieldInfo

from agent.setting_problems import ProblemsError, problems_from, rule

ModelProvider = Literal["bedrock", "openai"]
SessionStoreKind = Literal["s3", "agentcore-memory", "file", "none"]
AuthorizerType = Literal["jwt", "iam"]
LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR"]

DEFAULT_MODEL_ID = "global.anthropic.claude-sonnet-4-6"
DEFAULT_SESSION_DIR = Path(__file__).resolve().parent.parent / ".sessions"  # the image sets /var/lib/agent/sessions
# Longest S3 key the store builds besides SESSION_PREFIX: "actors/" + actor (<= 128) + "/session_" + session id
# (<= 256) + "/agents/agent_default/messages/message_<20 digits>.json" is 464 bytes; S3 keys are at most
# 1,024 bytes of UTF-8 including every prefix (Amazon S3 user guide, "Naming Amazon S3 objects"; botocore's
# ObjectKey shape states no maximum). 512 bytes of prefix leaves room.
MAX_SESSION_PREFIX_BYTES = 512
# A Unix socket path must fit sockaddr_un.sun_path with its closing NUL: 108 bytes on Linux, 104 on macOS
# (unix(7); macOS <sys/un.h>); the shorter bound keeps one setting valid on both.
MAX_UNIX_SOCKET_PATH_BYTES = 103
ACTOR_NAMESPACE_END = "/{actorId}/"
TRUE_WORDS = ("1", "true", "yes", "on")
FALSE_WORDS = ("0", "false", "no", "off", "")


class SettingsError(ProblemsError):
    """Raised with every invalid setting listed, one per line.

    WHY not a ValueError: pydantic would wrap a ValueError raised in a validator into its own error; this one
    leaves ``Settings(...)`` as it is.

    Attributes:
        problems: the problems, in field order.
    """

    heading = "invalid agent settings"


class Settings(BaseModel):
    """Agent configuration; each field names its variable, default and limits once, below.

    Attributes:
        model_provider: ``bedrock`` or ``openai`` (any OpenAI-compatible endpoint).
        model_id: model or inference-profile id.
        aws_region: region for Bedrock and the session stores; None lets boto3 decide.
        openai_base_url: required when ``model_provider`` is ``openai``.
        openai_api_key: API key for the OpenAI-compatible endpoint (``not-needed`` suits local servers).
        session_store: ``file``, ``s3``, ``agentcore-memory`` or ``none``.
        session_bucket: required for ``s3``.
        session_prefix: key prefix for ``s3``: empty or ending in ``/``, at most 512 bytes.
        memory_id: required for ``agentcore-memory``.
        long_term_memory_namespaces: comma-separated namespace templates of the memory's long-term strategies
            (the stack sets them with ``long_term_memory`` on); each turn recalls the caller's records from them.
            Each must end with ``/{actorId}/``; unset or empty: no long-term recall.
        session_dir: directory for ``file``.
        max_sessions: agents kept in memory at once.
        session_idle_ttl_seconds: an idle agent is dropped after this.
        session_wait_seconds: how long a request waits for its session's previous request before 409
            ``session_busy``.
        session_max_waiters: requests that may wait for one busy session at once; one more is refused at once
            with 429 ``session_queue_full`` and ``Retry-After``.
        max_prompt_chars: longest accepted prompt.
        log_level: ``DEBUG``, ``INFO``, ``WARNING`` or ``ERROR``.
        host: listening address (the image sets ``0.0.0.0``, which AgentCore requires).
        port: listening port.
        unix_socket: listen on this Unix socket instead of ``host``:``port`` (the local runtime's agent does, in a
            directory only its user may enter, so no other local process can skip the front door); None: TCP.
        http_header_timeout_seconds: a connection must deliver a complete request head this long after it
            opened or after its previous response.
        http_body_timeout_seconds: the request body must arrive within this.
        http_max_connections: open connections at once (and at most half the process's file descriptor
            limit); one more is answered 503 and closed. WebSocket connections count too.
        ws_idle_timeout_seconds: a ``/ws`` connection that sends no frame for this long while no turn runs is
            closed (4408), so idle sockets do not hold connection slots.
        observability_enabled: run under OpenTelemetry auto-instrumentation.
        telemetry_capture_content: export prompts, answers, system prompt and tool arguments and results in
            telemetry; off by default, a privacy decision (``agent/observability.py``).
        authorizer_type: how the runtime in front authenticates callers, so the agent knows which forwarded
            header names the caller: ``jwt`` (the ``sub`` of the forwarded bearer token) or ``iam`` (the end
            user the SigV4 caller names in ``X-Amzn-Bedrock-AgentCore-Runtime-Custom-User-Id``).
        forget_me_enabled: serve ``{"action": "forget_me"}``, which erases everything the store holds about the
            caller (``agent/erasure.py``); the stack sets it from the stage's ``forget_me`` setting.
    """

    # strict: the environment's text is read into each type first (_read_environment_text), nothing else coerced.
    model_config = ConfigDict(
        strict=True, frozen=True, extra="forbid", validate_default=True, validate_by_name=True, validate_by_alias=True
    )

    model_provider: ModelProvider = Field(default="bedrock", validation_alias="MODEL_PROVIDER")
    model_id: str = Field(default=DEFAULT_MODEL_ID, min_length=1, validation_alias="MODEL_ID")
    aws_region: str | None = Field(default=None, validation_alias=AliasChoices("AWS_REGION", "AWS_DEFAULT_REGION"))
    openai_base_url: str | None = Field(default=None, validation_alias="OPENAI_BASE_URL")
    openai_api_key: str = Field(default="not-needed", min_length=1, validation_alias="OPENAI_API_KEY")
    session_store: SessionStoreKind = Field(default="file", validation_alias="SESSION_STORE")
    session_bucket: str | None = Field(default=None, validation_alias="SESSION_BUCKET")
    session_prefix: str = Field(default="sessions/", validation_alias="SESSION_PREFIX")
    memory_id: str | None = Field(default=None, validation_alias="MEMORY_ID")
    long_term_memory_namespaces: str | None = Field(default=None, validation_alias="LONG_TERM_MEMORY_NAMESPACES")
    session_dir: Path = Field(default=DEFAULT_SESSION_DIR, validation_alias="SESSION_DIR")
    max_sessions: int = Field(default=100, ge=1, le=10000, validation_alias="MAX_SESSIONS")
    session_idle_ttl_seconds: int = Field(default=900, ge=1, le=86400, validation_alias="SESSION_IDLE_TTL_SECONDS")
    session_wait_seconds: int = Field(default=120, ge=0, le=3600, validation_alias="SESSION_WAIT_SECONDS")
    session_max_waiters: int = Field(default=16, ge=0, le=1000, validation_alias="SESSION_MAX_WAITERS")
    max_prompt_chars: int = Field(default=16000, ge=1, le=1_000_000, validation_alias="MAX_PROMPT_CHARS")
    log_level: LogLevel = Field(default="INFO", validation_alias="LOG_LEVEL")
    host: str = Field(default="127.0.0.1", min_length=1, validation_alias="HOST")
    port: int = Field(default=8080, ge=1, le=65535, validation_alias="PORT")
    unix_socket: str | None = Field(default=None, validation_alias="UNIX_SOCKET")
    http_header_timeout_seconds: int = Field(default=10, ge=1, le=600, validation_alias="HTTP_HEADER_TIMEOUT_SECONDS")
    http_body_timeout_seconds: int = Field(default=30, ge=1, le=600, validation_alias="HTTP_BODY_TIMEOUT_SECONDS")
    http_max_connections: int = Field(default=256, ge=8, le=65536, validation_alias="HTTP_MAX_CONNECTIONS")
    ws_idle_timeout_seconds: int = Field(default=300, ge=1, le=3600, validation_alias="WS_IDLE_TIMEOUT_SECONDS")
    observability_enabled: bool = Field(default=False, validation_alias="AGENT_OBSERVABILITY_ENABLED")
    telemetry_capture_content: bool = Field(default=False, validation_alias="AGENT_TELEMETRY_CAPTURE_CONTENT")
    authorizer_type: AuthorizerType = Field(default="jwt", validation_alias="AUTHORIZER_TYPE")
    forget_me_enabled: bool = Field(default=True, validation_alias="FORGET_ME_ENABLED")

    @property
    def recall_namespaces(self) -> tuple[str, ...]:
        """The long-term namespace templates to recall from, in order (empty: long-term memory is off)."""
        return _namespaces(self.long_term_memory_namespaces)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Build settings from environment variables (``os.environ`` by default); unset ones keep their default.

        Raises:
            SettingsError: listing every invalid or missing variable.
        """
        environment = os.environ if env is None else env
        given: dict[str, str] = {}
        for info in cls.model_fields.values():
            for variable in _variables(info):
                text = environment.get(variable)
                if text is not None and (text.strip() or not _empty_is_unset(info)):
                    given[variable] = text
                    break
        return cls.model_validate(given)

    # Self, not the class: mypy 2.4 rejects a wrap validator typed by its class once it has seen one of the other
    # shape (with or without ``info``) in the same run, as it does for agent/settings.py and bench/config.py.
    @model_validator(mode="wrap")
    @classmethod
    def _one_error_shape(cls, values: Any, handler: ModelWrapValidatorHandler[Self]) -> Self:
        """Every problem as a :class:`Problem` naming the variable, however the settings were built."""
        try:
            return handler(values)
        except ValidationError as error:
            given = values if isinstance(values, Mapping) else {}
            keys = {name: _variables(info) for name, info in cls.model_fields.items()}
            problems = problems_from(
                error, cls.model_fields, given, keys=keys, unknown="a setting of agent/settings.py"
            )
            raise SettingsError(problems) from None

    @field_validator("*", mode="before")
    @classmethod
    def _read_environment_text(cls, value: Any, info: ValidationInfo) -> Any:
        """A variable's text as its field's type: trimmed; ``1``/``true``/``yes``/``on`` (or ``0``/``false``/
        ``no``/``off``/empty) for a boolean; an integer's digits; a choice in its case; a path."""
        if not isinstance(value, str):
            return value
        kind = cls.model_fields[str(info.field_name)].annotation
        text = value.strip()
        if kind is bool:
            return _boolean(text)
        if kind is int:
            return int(text) if re.fullmatch(r"[+-]?\d+", text) else value
        if typing.get_origin(kind) is Literal:
            choices = typing.get_args(kind)
            return text.upper() if all(choice.isupper() for choice in choices) else text.lower()
        if kind is Path:
            if not text:
                raise rule("a directory path (unset it for the default)")
            return Path(text)
        return text

    @field_validator("openai_base_url")
    @classmethod
    def _base_url_for_openai(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None and info.data.get("model_provider") == "openai":
            raise rule(
                "an http:// or https:// URL, required when MODEL_PROVIDER=openai (e.g. http://localhost:11434/v1)"
            )
        if value is not None and not value.startswith(("http://", "https://")):
            raise rule("an http:// or https:// URL")
        return value

    @field_validator("session_bucket")
    @classmethod
    def _bucket_for_s3(cls, value: str | None, info: ValidationInfo) -> str | None:
        if not value and info.data.get("session_store") == "s3":
            raise rule("a bucket name, required when SESSION_STORE=s3")
        return value

    @field_validator("session_prefix")
    @classmethod
    def _prefix_fits_s3_keys(cls, value: str) -> str:
        if value and not value.endswith("/"):
            raise rule("empty or ending in '/'")
        if len(value.encode("utf-8", "surrogatepass")) > MAX_SESSION_PREFIX_BYTES:
            raise rule(f"at most {MAX_SESSION_PREFIX_BYTES} bytes (S3 keys: at most 1024, the store adds up to 464)")
        return value

    @field_validator("memory_id")
    @classmethod
    def _memory_for_agentcore_memory(cls, value: str | None, info: ValidationInfo) -> str | None:
        if not value and info.data.get("session_store") == "agentcore-memory":
            raise rule("a memory id, required when SESSION_STORE=agentcore-memory")
        return value

    @field_validator("long_term_memory_namespaces")
    @classmethod
    def _recall_reaches_the_caller_only(cls, value: str | None, info: ValidationInfo) -> str | None:
        """Recall reads the Memory's long-term records, by namespace prefix, for the caller's actor only.

        WHY end with ``/{actorId}/``: recall is a prefix match (``namespacePath``), so without the closing
        delimiter ``/facts/bob`` would also return bob-x's records. No other variable: the Strands integration
        fills only ``{actorId}``, ``{sessionId}`` and ``{memoryStrategyId}``, the last from a strategy id the agent
        is not given, which would format as empty and silently recall nothing (bedrock_agentcore 1.25
        session_manager.py ``retrieve_customer_context``).
        """
        namespaces = _namespaces(value)
        if namespaces and info.data.get("session_store") != "agentcore-memory":
            raise rule("unset unless SESSION_STORE=agentcore-memory (long-term memory is read from AgentCore Memory)")
        for namespace in namespaces:
            if not namespace.endswith(ACTOR_NAMESPACE_END) or re.findall(r"\{([^}]*)\}", namespace) != ["actorId"]:
                raise rule(
                    f"comma-separated namespaces, each ending with {ACTOR_NAMESPACE_END!r} and using no other variable"
                    f" ({namespace!r} does not)"
                )
        return value

    @field_validator("unix_socket")
    @classmethod
    def _socket_path_fits_sockaddr_un(cls, value: str | None) -> str | None:
        if value is not None and len(value.encode("utf-8", "surrogatepass")) > MAX_UNIX_SOCKET_PATH_BYTES:
            raise rule(f"a path of at most {MAX_UNIX_SOCKET_PATH_BYTES} bytes (a socket path must fit sockaddr_un)")
        return value


def _namespaces(text: str | None) -> tuple[str, ...]:
    """The comma-separated namespace templates of ``LONG_TERM_MEMORY_NAMESPACES``, trimmed, empty ones dropped."""
    return tuple(part.strip() for part in (text or "").split(",") if part.strip())


def _variables(info: FieldInfo) -> tuple[str, ...]:
    """The variables a field is read from, in order (``AWS_REGION``, then ``AWS_DEFAULT_REGION``)."""
    alias = info.validation_alias
    if isinstance(alias, AliasChoices):
        return tuple(str(choice) for choice in alias.choices)
    return (str(alias),)


def _empty_is_unset(info: FieldInfo) -> bool:
    """An empty variable keeps the default of an optional setting, a number or a choice; elsewhere (a name, a
    prefix, a boolean) it is a value the model judges (``SESSION_PREFIX=`` is valid, ``MODEL_ID=`` is not)."""
    kind = info.annotation
    return info.default is None or kind is int or typing.get_origin(kind) is Literal


def _boolean(text: str) -> Any:
    word = text.lower()
    if word in TRUE_WORDS or word in FALSE_WORDS:
        return word in TRUE_WORDS
    raise rule(f"true or false ({', '.join(TRUE_WORDS)} / {', '.join(w for w in FALSE_WORDS if w)} or empty)")
