"""Typed agent settings, read once from the environment and validated before the server starts.

Settings flow one way: environment → :class:`Settings` → factories (model, store, registry) → entrypoint.
Every problem is collected and reported at once, each message naming the variable, its value and the limit.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Literal

ModelProvider = Literal["bedrock", "openai"]
SessionStoreKind = Literal["s3", "agentcore-memory", "file", "none"]
AuthorizerType = Literal["jwt", "iam"]

MODEL_PROVIDERS: tuple[str, ...] = ("bedrock", "openai")
SESSION_STORES: tuple[str, ...] = ("s3", "agentcore-memory", "file", "none")
AUTHORIZER_TYPES: tuple[str, ...] = ("jwt", "iam")
LOG_LEVELS: tuple[str, ...] = ("DEBUG", "INFO", "WARNING", "ERROR")
DEFAULT_MODEL_ID = "global.anthropic.claude-sonnet-4-6"
DEFAULT_SESSION_DIR = Path(__file__).resolve().parent.parent / ".sessions"
DEFAULT_HOST = "127.0.0.1"
# Longest S3 key the store builds besides SESSION_PREFIX: "actors/" + actor (<= 128) + "/session_" + session id
# (<= 256) + "/agents/agent_default/messages/message_<20 digits>.json" is 464 bytes; S3 keys are at most
# 1,024 bytes of UTF-8 including every prefix (Amazon S3 user guide, "Naming Amazon S3 objects"; botocore's
# ObjectKey shape states no maximum). 512 bytes of prefix leaves room.
MAX_SESSION_PREFIX_BYTES = 512
TRUE_WORDS = ("1", "true", "yes", "on")
FALSE_WORDS = ("0", "false", "no", "off", "")


class SettingsError(ValueError):
    """Raised with every invalid setting listed, one per line."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("invalid agent settings:\n" + "\n".join(f"- {p}" for p in problems))


@dataclass(frozen=True, kw_only=True)
class Settings:
    """Agent configuration.

    Attributes:
        model_provider: ``bedrock`` (default) or ``openai`` (any OpenAI-compatible endpoint).
        model_id: model or inference-profile id; default ``global.anthropic.claude-sonnet-4-6``.
        aws_region: region for Bedrock and the session stores; default from ``AWS_REGION``/``AWS_DEFAULT_REGION``.
        openai_base_url: required when ``model_provider`` is ``openai``.
        openai_api_key: API key for the OpenAI-compatible endpoint; default ``not-needed`` (local servers).
        session_store: ``file`` (default), ``s3``, ``agentcore-memory`` or ``none``.
        session_bucket: required for ``s3``.
        session_prefix: key prefix for ``s3``; default ``sessions/``.
        memory_id: required for ``agentcore-memory``.
        session_dir: directory for ``file``; default ``<repo>/.sessions``.
        max_sessions: agents kept in memory at once (1..10000); default 100.
        session_idle_ttl_seconds: an idle agent is dropped after this (1..86400); default 900.
        session_wait_seconds: how long a request waits for its session's previous request
            before 409 ``session_busy`` (0..3600); default 120.
        session_max_waiters: requests that may wait for one busy session at once (0..1000); one more is
            refused at once with 429 ``session_queue_full`` and ``Retry-After``; default 16.
        max_prompt_chars: longest accepted prompt (1..1000000); default 16000.
        log_level: ``DEBUG``, ``INFO`` (default), ``WARNING`` or ``ERROR``.
        host: listening address; default ``127.0.0.1`` (the image sets ``0.0.0.0``, which AgentCore requires).
        port: listening port (1..65535); default 8080.
        http_header_timeout_seconds: a connection must deliver a complete request head this long after it
            opened or after its previous response (1..600); default 10.
        http_body_timeout_seconds: the request body must arrive within this (1..600); default 30.
        http_max_connections: open connections at once (8..65536, and at most half the process's file
            descriptor limit); one more is answered 503 and closed; default 256.
        observability_enabled: run under OpenTelemetry auto-instrumentation; default false.
        authorizer_type: how the runtime in front authenticates callers, so the agent knows which forwarded
            header names the caller: ``jwt`` (default; the ``sub`` of the forwarded bearer token) or ``iam``
            (the end user the SigV4 caller names in ``X-Amzn-Bedrock-AgentCore-Runtime-Custom-User-Id``).
    """

    model_provider: ModelProvider = "bedrock"
    model_id: str = DEFAULT_MODEL_ID
    aws_region: str | None = None
    openai_base_url: str | None = None
    openai_api_key: str = "not-needed"
    session_store: SessionStoreKind = "file"
    session_bucket: str | None = None
    session_prefix: str = "sessions/"
    memory_id: str | None = None
    session_dir: Path = DEFAULT_SESSION_DIR
    max_sessions: int = 100
    session_idle_ttl_seconds: int = 900
    session_wait_seconds: int = 120
    session_max_waiters: int = 16
    max_prompt_chars: int = 16000
    log_level: str = "INFO"
    host: str = DEFAULT_HOST
    port: int = 8080
    http_header_timeout_seconds: int = 10
    http_body_timeout_seconds: int = 30
    http_max_connections: int = 256
    observability_enabled: bool = False
    authorizer_type: AuthorizerType = "jwt"

    def __post_init__(self) -> None:
        problems = _cross_field_problems(self)
        if problems:
            raise SettingsError(problems)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Build settings from environment variables (``os.environ`` by default).

        Raises:
            SettingsError: listing every invalid or missing variable.
        """
        reader = _EnvReader(os.environ if env is None else env)
        values = dict(
            model_provider=reader.choice("MODEL_PROVIDER", MODEL_PROVIDERS, "bedrock"),
            model_id=reader.text("MODEL_ID", DEFAULT_MODEL_ID),
            aws_region=reader.optional("AWS_REGION") or reader.optional("AWS_DEFAULT_REGION"),
            openai_base_url=reader.optional("OPENAI_BASE_URL"),
            openai_api_key=reader.text("OPENAI_API_KEY", "not-needed"),
            session_store=reader.choice("SESSION_STORE", SESSION_STORES, "file"),
            session_bucket=reader.optional("SESSION_BUCKET"),
            session_prefix=reader.text("SESSION_PREFIX", "sessions/", allow_empty=True),
            memory_id=reader.optional("MEMORY_ID"),
            session_dir=Path(reader.text("SESSION_DIR", str(DEFAULT_SESSION_DIR))),
            max_sessions=reader.integer("MAX_SESSIONS", 100, 1, 10000),
            session_idle_ttl_seconds=reader.integer("SESSION_IDLE_TTL_SECONDS", 900, 1, 86400),
            session_wait_seconds=reader.integer("SESSION_WAIT_SECONDS", 120, 0, 3600),
            session_max_waiters=reader.integer("SESSION_MAX_WAITERS", 16, 0, 1000),
            max_prompt_chars=reader.integer("MAX_PROMPT_CHARS", 16000, 1, 1_000_000),
            log_level=reader.choice("LOG_LEVEL", LOG_LEVELS, "INFO", upper=True),
            host=reader.text("HOST", DEFAULT_HOST),
            port=reader.integer("PORT", 8080, 1, 65535),
            http_header_timeout_seconds=reader.integer("HTTP_HEADER_TIMEOUT_SECONDS", 10, 1, 600),
            http_body_timeout_seconds=reader.integer("HTTP_BODY_TIMEOUT_SECONDS", 30, 1, 600),
            http_max_connections=reader.integer("HTTP_MAX_CONNECTIONS", 256, 8, 65536),
            observability_enabled=reader.boolean("AGENT_OBSERVABILITY_ENABLED", False),
            authorizer_type=reader.choice("AUTHORIZER_TYPE", AUTHORIZER_TYPES, "jwt"),
        )
        problems = reader.problems + _cross_field_problems(SimpleNamespace(**values))
        if problems:
            raise SettingsError(problems)
        return cls(**values)  # type: ignore[arg-type]


def _cross_field_problems(settings: Settings | SimpleNamespace) -> list[str]:
    """Problems that depend on more than one setting (a store or provider needing its parameter)."""
    problems = []
    if settings.model_provider == "openai" and not settings.openai_base_url:
        problems.append("OPENAI_BASE_URL is required when MODEL_PROVIDER=openai (e.g. http://localhost:11434/v1)")
    if settings.openai_base_url and not settings.openai_base_url.startswith(("http://", "https://")):
        problems.append(f"OPENAI_BASE_URL={settings.openai_base_url!r} must start with http:// or https://")
    if settings.session_store == "s3" and not settings.session_bucket:
        problems.append("SESSION_BUCKET is required when SESSION_STORE=s3")
    if settings.session_store == "agentcore-memory" and not settings.memory_id:
        problems.append("MEMORY_ID is required when SESSION_STORE=agentcore-memory")
    if settings.session_prefix and not settings.session_prefix.endswith("/"):
        problems.append(f"SESSION_PREFIX={settings.session_prefix!r} must end with '/' (or be empty)")
    prefix_bytes = len(settings.session_prefix.encode("utf-8", "surrogatepass"))
    if prefix_bytes > MAX_SESSION_PREFIX_BYTES:
        problems.append(
            f"SESSION_PREFIX is {prefix_bytes} bytes long but must be at most {MAX_SESSION_PREFIX_BYTES} "
            "(S3 keys are at most 1024 bytes and the store adds up to 464)"
        )
    return problems


class _EnvReader:
    """Reads typed values from an environment mapping, collecting problems instead of raising."""

    def __init__(self, env: Mapping[str, str]) -> None:
        self.env = env
        self.problems: list[str] = []

    def optional(self, name: str) -> str | None:
        value = self.env.get(name, "").strip()
        return value or None

    def text(self, name: str, default: str, *, allow_empty: bool = False) -> str:
        if name not in self.env:
            return default
        value = self.env[name].strip()
        if not value and not allow_empty:
            self.problems.append(f"{name} is set but empty; unset it to use the default {default!r}")
        return value

    def choice(self, name: str, allowed: tuple[str, ...], default: str, *, upper: bool = False) -> str:
        raw = self.env.get(name, "").strip() or default
        value = raw.upper() if upper else raw.lower()
        if value not in allowed:
            self.problems.append(f"{name}={raw!r} is not one of {', '.join(allowed)}")
        return value

    def integer(self, name: str, default: int, minimum: int, maximum: int) -> int:
        raw = self.env.get(name, "").strip()
        if not raw:
            return default
        try:
            value = int(raw)
        except ValueError:
            self.problems.append(f"{name}={raw!r} is not an integer (expected {minimum}..{maximum})")
            return default
        if not minimum <= value <= maximum:
            self.problems.append(f"{name}={value} is out of range: must be between {minimum} and {maximum}")
        return value

    def boolean(self, name: str, default: bool) -> bool:
        raw = self.env.get(name)
        if raw is None:
            return default
        if raw.strip().lower() in TRUE_WORDS:
            return True
        if raw.strip().lower() in FALSE_WORDS:
            return False
        self.problems.append(f"{name}={raw!r} is not a boolean (use true or false)")
        return default
