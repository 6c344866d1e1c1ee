"""Typed agent settings, read once from the environment and validated before the server starts.

Settings flow one way: environment → :class:`Settings` → factories (model, store, registry) → entrypoint.
Each setting is declared once, as a field with its default, its environment variable and its limit;
``Settings.from_env`` only turns the variables' text into values, and ``Settings`` itself checks every value,
so settings built in code are held to the same limits. Every problem is collected and reported at once, each
message naming the variable, its value and the limit.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import Field, dataclass, field, fields
from pathlib import Path
from typing import Any, Literal, get_args

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
TRUE_WORDS = ("1", "true", "yes", "on")
FALSE_WORDS = ("0", "false", "no", "off", "")


class SettingsError(ValueError):
    """Raised with every invalid setting listed, one per line."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("invalid agent settings:\n" + "\n".join(f"- {p}" for p in problems))


class Problems:
    """Every problem found in a configuration, so all of them are reported at once.

    The one place agent configuration is judged: each check adds a message naming the variable, its value
    and the limit, and :meth:`raise_if_any` raises them together.
    """

    def __init__(self) -> None:
        self.messages: list[str] = []

    def add(self, message: str) -> None:
        """Record a problem that no check below describes."""
        self.messages.append(message)

    def check_between(self, name: str, value: int, minimum: int, maximum: int) -> None:
        """``value`` must be in ``minimum..maximum``."""
        if not minimum <= value <= maximum:
            self.add(f"{name}={value} is out of range: must be between {minimum} and {maximum}")

    def check_one_of(self, name: str, value: str, allowed: tuple[str, ...]) -> None:
        """``value`` must be one of ``allowed``."""
        if value not in allowed:
            self.add(f"{name}={value!r} is not one of {', '.join(allowed)}")

    def raise_if_any(self) -> None:
        """Raise :class:`SettingsError` listing every problem, if there is one."""
        if self.messages:
            raise SettingsError(self.messages)


@dataclass(frozen=True)
class EnvVar:
    """Where a field comes from and what it may hold.

    Attributes:
        name: the environment variable.
        fallback: a second variable read when ``name`` is unset or empty.
        between: inclusive bounds of an integer.
        one_of: the allowed values of a choice (derived from the field's ``Literal`` type).
        case: how a choice is normalized before it is checked (``lower`` or ``upper``).
        allow_empty: an empty value is a value (``SESSION_PREFIX=``), not a mistake.
    """

    name: str
    fallback: str | None = None
    between: tuple[int, int] | None = None
    one_of: tuple[str, ...] = ()
    case: Callable[[str], str] = str.lower
    allow_empty: bool = False


def _env(name: str, **spec: Any) -> dict[str, EnvVar]:
    """Field metadata: the field is read from the variable ``name`` (see :class:`EnvVar` for ``spec``)."""
    return {"env": EnvVar(name, **spec)}


@dataclass(frozen=True, kw_only=True)
class Settings:
    """Agent configuration; each field names its variable, default and limit once, below.

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

    model_provider: ModelProvider = field(
        default="bedrock", metadata=_env("MODEL_PROVIDER", one_of=get_args(ModelProvider))
    )
    model_id: str = field(default=DEFAULT_MODEL_ID, metadata=_env("MODEL_ID"))
    aws_region: str | None = field(default=None, metadata=_env("AWS_REGION", fallback="AWS_DEFAULT_REGION"))
    openai_base_url: str | None = field(default=None, metadata=_env("OPENAI_BASE_URL"))
    openai_api_key: str = field(default="not-needed", metadata=_env("OPENAI_API_KEY"))
    session_store: SessionStoreKind = field(
        default="file", metadata=_env("SESSION_STORE", one_of=get_args(SessionStoreKind))
    )
    session_bucket: str | None = field(default=None, metadata=_env("SESSION_BUCKET"))
    session_prefix: str = field(default="sessions/", metadata=_env("SESSION_PREFIX", allow_empty=True))
    memory_id: str | None = field(default=None, metadata=_env("MEMORY_ID"))
    session_dir: Path = field(default=DEFAULT_SESSION_DIR, metadata=_env("SESSION_DIR"))
    max_sessions: int = field(default=100, metadata=_env("MAX_SESSIONS", between=(1, 10000)))
    session_idle_ttl_seconds: int = field(default=900, metadata=_env("SESSION_IDLE_TTL_SECONDS", between=(1, 86400)))
    session_wait_seconds: int = field(default=120, metadata=_env("SESSION_WAIT_SECONDS", between=(0, 3600)))
    session_max_waiters: int = field(default=16, metadata=_env("SESSION_MAX_WAITERS", between=(0, 1000)))
    max_prompt_chars: int = field(default=16000, metadata=_env("MAX_PROMPT_CHARS", between=(1, 1_000_000)))
    log_level: LogLevel = field(default="INFO", metadata=_env("LOG_LEVEL", one_of=get_args(LogLevel), case=str.upper))
    host: str = field(default="127.0.0.1", metadata=_env("HOST"))
    port: int = field(default=8080, metadata=_env("PORT", between=(1, 65535)))
    unix_socket: str | None = field(default=None, metadata=_env("UNIX_SOCKET"))
    http_header_timeout_seconds: int = field(default=10, metadata=_env("HTTP_HEADER_TIMEOUT_SECONDS", between=(1, 600)))
    http_body_timeout_seconds: int = field(default=30, metadata=_env("HTTP_BODY_TIMEOUT_SECONDS", between=(1, 600)))
    http_max_connections: int = field(default=256, metadata=_env("HTTP_MAX_CONNECTIONS", between=(8, 65536)))
    ws_idle_timeout_seconds: int = field(default=300, metadata=_env("WS_IDLE_TIMEOUT_SECONDS", between=(1, 3600)))
    observability_enabled: bool = field(default=False, metadata=_env("AGENT_OBSERVABILITY_ENABLED"))
    telemetry_capture_content: bool = field(default=False, metadata=_env("AGENT_TELEMETRY_CAPTURE_CONTENT"))
    authorizer_type: AuthorizerType = field(
        default="jwt", metadata=_env("AUTHORIZER_TYPE", one_of=get_args(AuthorizerType))
    )

    forget_me_enabled: bool = field(default=True, metadata=_env("FORGET_ME_ENABLED"))

    def __post_init__(self) -> None:
        problems = Problems()
        for setting in fields(self):
            spec: EnvVar = setting.metadata["env"]
            value = getattr(self, setting.name)
            if spec.between is not None:
                problems.check_between(spec.name, value, *spec.between)
            if spec.one_of:
                problems.check_one_of(spec.name, value, spec.one_of)
        _check_combinations(self, problems)
        problems.raise_if_any()

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Build settings from environment variables (``os.environ`` by default); unset ones keep their default.

        Raises:
            SettingsError: listing every invalid or missing variable.
        """
        reader = _EnvReader(os.environ if env is None else env)
        values = {setting.name: value for setting in fields(cls) if (value := reader.read(setting)) is not _UNSET}
        try:
            settings = cls(**values)
        except SettingsError as invalid:
            raise SettingsError(reader.problems.messages + invalid.problems) from None
        reader.problems.raise_if_any()
        return settings


def _check_combinations(settings: Settings, problems: Problems) -> None:
    """Problems that depend on more than one setting (a store or provider needing its parameter)."""
    if settings.model_provider == "openai" and not settings.openai_base_url:
        problems.add("OPENAI_BASE_URL is required when MODEL_PROVIDER=openai (e.g. http://localhost:11434/v1)")
    if settings.openai_base_url and not settings.openai_base_url.startswith(("http://", "https://")):
        problems.add(f"OPENAI_BASE_URL={settings.openai_base_url!r} must start with http:// or https://")
    if settings.session_store == "s3" and not settings.session_bucket:
        problems.add("SESSION_BUCKET is required when SESSION_STORE=s3")
    if settings.session_store == "agentcore-memory" and not settings.memory_id:
        problems.add("MEMORY_ID is required when SESSION_STORE=agentcore-memory")
    if settings.session_prefix and not settings.session_prefix.endswith("/"):
        problems.add(f"SESSION_PREFIX={settings.session_prefix!r} must end with '/' (or be empty)")
    socket_bytes = len((settings.unix_socket or "").encode("utf-8", "surrogatepass"))
    if socket_bytes > MAX_UNIX_SOCKET_PATH_BYTES:
        problems.add(
            f"UNIX_SOCKET is {socket_bytes} bytes long but must be at most {MAX_UNIX_SOCKET_PATH_BYTES} "
            "(a socket path must fit sockaddr_un)"
        )
    prefix_bytes = len(settings.session_prefix.encode("utf-8", "surrogatepass"))
    if prefix_bytes > MAX_SESSION_PREFIX_BYTES:
        problems.add(
            f"SESSION_PREFIX is {prefix_bytes} bytes long but must be at most {MAX_SESSION_PREFIX_BYTES} "
            "(S3 keys are at most 1024 bytes and the store adds up to 464)"
        )


_UNSET: Any = object()


class _EnvReader:
    """Turns variables into field values by the type of each field's default, collecting what cannot be read."""

    def __init__(self, env: Mapping[str, str]) -> None:
        self._env = env
        self.problems = Problems()

    def read(self, setting: Field[Any]) -> Any:
        """The field's value from its variable, or ``_UNSET`` to keep the default (unset, or unreadable)."""
        spec: EnvVar = setting.metadata["env"]
        raw = self._env.get(spec.name)
        if spec.fallback is not None and not (raw or "").strip():
            raw = self._env.get(spec.fallback)
        if raw is None:
            return _UNSET
        text, default = raw.strip(), setting.default
        if isinstance(default, bool):
            return self._boolean(spec.name, raw)
        if not text and (default is None or isinstance(default, int) or spec.one_of):
            return _UNSET  # empty means "not set" for these
        if not text and not spec.allow_empty:
            self.problems.add(f"{spec.name} is set but empty; unset it to use the default {str(default)!r}")
            return _UNSET
        if isinstance(default, int):
            return self._integer(spec, text)
        if spec.one_of:
            choice = spec.case(text)
            return choice if choice in spec.one_of else text
        return Path(text) if isinstance(default, Path) else text

    def _integer(self, spec: EnvVar, text: str) -> Any:
        try:
            return int(text)
        except ValueError:
            low, high = spec.between or (None, None)
            self.problems.add(f"{spec.name}={text!r} is not an integer (expected {low}..{high})")
            return _UNSET

    def _boolean(self, name: str, raw: str) -> Any:
        word = raw.strip().lower()
        if word in TRUE_WORDS or word in FALSE_WORDS:
            return word in TRUE_WORDS
        self.problems.add(f"{name}={raw!r} is not a boolean (use true or false)")
        return _UNSET
