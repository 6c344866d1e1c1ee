"""Assemble the offline runtime: moto Cognito, the front door (JWT or SigV4) and the agent server behind it.

WHY one object: tests and `python -m local` need the same parts started in the same order and
torn down in reverse, and both need the identifiers (pool, client, ARN, URLs) afterwards.
The agent runs as deployed (`local/deployed_twin.py`): S3 store on moto, Bedrock provider, and the
Bedrock Runtime stand-in when no model is configured.
"""

from __future__ import annotations

import logging
import os
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

from local.agent_process import DEFAULT_AGENT_COMMAND, AgentProcess, start_agent_process
from local.aws_emulator import Emulator, start_emulator
from local.bedrock_runtime import BedrockRuntimeStandIn, start_bedrock_runtime
from local.deployed_twin import TwinEnvironment, aws_credentials_found, model_is_configured, twin_environment
from local.front_door import FrontDoorConfig, create_front_door
from local.http_server import BackgroundServer
from local.identity_pool import LocalIdentity, create_identity
from local.inbound_auth import AUTHORIZER_TYPES, AuthorizerType, InboundAuthorizer
from local.jwt_authorizer import JwtAuthorizer, discover
from local.outputs_file import outputs_document, write_outputs
from local.processes import REPO_ROOT
from local.request_body import DEFAULT_MAX_PROMPT_CHARS, max_body_bytes
from local.sigv4_authorizer import LocalKeyPair, SigV4Authorizer
from local.web_twin import RuntimeAddress, WebTwin

logger = logging.getLogger(__name__)

LOCAL_ACCOUNT = "123456789012"
# The Host the front door names the agent with over its Unix socket (any name would do: nothing resolves it).
_AGENT_SOCKET_URL = "http://agent"


@dataclass(frozen=True, kw_only=True)
class LocalRuntimeSettings:
    """How to run the local runtime.

    Attributes:
        state_dir: where the outputs file, agent log and file session store live.
            Default: `<repo>/.local-runtime`.
        region: region in the pool id, token issuer and runtime ARN. Default: `us-east-1`.
        endpoint_name: the runtime endpoint (the `qualifier`). Default: `local`.
        agent_command: argv that starts the agent server on `$UNIX_SOCKET` (see `local/agent_process.py`).
            Default: `python -m agent`.
        agent_url: an agent server that is already running (reached over TCP); when set, no process is started.
        agent_env: extra environment for the agent process. Default: the deployed configuration's twin
            (S3 store on moto; Bedrock, on the stand-in when no model is configured); anything given here wins.
        front_door_port: port for the front door; 0 picks a free one. Default: 0.
        front_door_host: address the front door listens on. Default: `127.0.0.1` (the agent itself listens on a
            Unix socket only this user can reach: it trusts the tokens the front door checked).
        moto_port: port for moto; 0 picks a free one. Default: 0.
        authorizer: the emulated runtime's inbound auth: `jwt` (Cognito bearer tokens, like the default
            stage) or `iam` (SigV4 with a generated local key pair, like `-c authorizer=iam`). Default: `jwt`.
        web: also serve the built web chat and the managed-login stand-in (local/web_twin.py; `jwt` only).
            Default: False (`make local` turns it on).
        long_term_memory: the agent stores conversations in an AgentCore Memory on the emulator with the stack's
            long-term strategies and recalls them across sessions (the stage setting `long_term_memory`).
            Default: False (the S3 store, as the default stage deploys).
    """

    state_dir: Path = REPO_ROOT / ".local-runtime"
    region: str = "us-east-1"
    endpoint_name: str = "local"
    agent_command: Sequence[str] = DEFAULT_AGENT_COMMAND
    agent_url: str | None = None
    agent_env: Mapping[str, str] = field(default_factory=dict)
    front_door_port: int = 0
    front_door_host: str = "127.0.0.1"
    moto_port: int = 0
    authorizer: AuthorizerType = "jwt"
    web: bool = False
    long_term_memory: bool = False

    def __post_init__(self) -> None:
        problems = [
            f"{name} is {value} but must be between 0 and 65535"
            for name, value in (("front_door_port", self.front_door_port), ("moto_port", self.moto_port))
            if not 0 <= value <= 65535
        ]
        if not self.agent_url and not self.agent_command:
            problems.append(
                "agent_command is empty and agent_url is unset: one of them must say how to reach the agent"
            )
        if self.web and self.authorizer != "jwt":
            problems.append("web is on but authorizer is 'iam': a browser signs in with Cognito tokens (jwt)")
        if self.authorizer not in AUTHORIZER_TYPES:
            problems.append(f"authorizer is {self.authorizer!r} but must be one of {', '.join(AUTHORIZER_TYPES)}")
        if problems:
            raise ValueError("; ".join(problems))

    @property
    def outputs_path(self) -> Path:
        """The outputs file the client's `--local` reads."""
        return self.state_dir / "outputs.json"


def _max_prompt_chars(env: Mapping[str, str]) -> int:
    """The agent's MAX_PROMPT_CHARS from the environment it gets, else its default.

    Raises:
        ValueError: the variable is set but is not an integer (the agent would refuse to start anyway).
    """
    raw = env.get("MAX_PROMPT_CHARS", "").strip()
    if not raw:
        return DEFAULT_MAX_PROMPT_CHARS
    try:
        return int(raw)
    except ValueError:
        raise ValueError(f"MAX_PROMPT_CHARS={raw!r} is not an integer") from None


class LocalRuntime:
    """A running local runtime; use as a context manager or call `stop()`."""

    def __init__(self, settings: LocalRuntimeSettings) -> None:
        """Start moto, create the pool, start the agent (unless `agent_url`), the front door, write outputs."""
        self.settings = settings
        self._emulator: Emulator | None = None
        self._agent: AgentProcess | None = None
        self._front_door: BackgroundServer | None = None
        self.key_pair: LocalKeyPair | None = None
        self._bedrock: BedrockRuntimeStandIn | None = None
        self.web: WebTwin | None = None
        try:
            self._start()
        except Exception:
            self.stop()
            raise

    def _start(self) -> None:
        settings = self.settings
        settings.state_dir.mkdir(parents=True, exist_ok=True)
        self._emulator = start_emulator(port=settings.moto_port)
        self.identity: LocalIdentity = create_identity(endpoint_url=self._emulator.endpoint_url, region=settings.region)
        self.runtime_arn = (
            f"arn:aws:bedrock-agentcore:{settings.region}:{LOCAL_ACCOUNT}:runtime/"
            f"agentcore_session_local-{secrets.token_hex(5)}"
        )
        self.twin = self._twin_environment()
        if settings.web:
            self.web = WebTwin(identity=self.identity, host=settings.front_door_host)
        agent_env = {**self.twin.env, "AUTHORIZER_TYPE": settings.authorizer, **settings.agent_env}
        # One number for both: the agent gets MAX_PROMPT_CHARS explicitly, the front door the body limit it implies.
        max_prompt_chars = _max_prompt_chars({**os.environ, **agent_env})
        agent_env["MAX_PROMPT_CHARS"] = str(max_prompt_chars)
        if settings.agent_url:
            self.agent_url = settings.agent_url.rstrip("/")
            upstream_url, unix_socket = self.agent_url, None
        else:
            self._agent = start_agent_process(
                command=settings.agent_command, env=agent_env, log_path=settings.state_dir / "agent.log"
            )
            self.agent_url = self._agent.address
            upstream_url, unix_socket = _AGENT_SOCKET_URL, self._agent.unix_socket
        config = FrontDoorConfig(
            runtime_arn=self.runtime_arn,
            endpoint_name=settings.endpoint_name,
            upstream_url=upstream_url,
            upstream_unix_socket=unix_socket,
            max_body_bytes=max_body_bytes(max_prompt_chars),
        )
        self._front_door = BackgroundServer(
            create_front_door(config=config, authorizer=self._authorizer()),
            port=settings.front_door_port,
            host=settings.front_door_host,
        )
        if self.web:
            self.web.connect(
                RuntimeAddress(
                    front_door_url=self.front_door_url, runtime_arn=self.runtime_arn, qualifier=settings.endpoint_name
                )
            )
        write_outputs(
            settings.outputs_path,
            outputs_document(
                identity=self.identity,
                runtime_arn=self.runtime_arn,
                endpoint_name=settings.endpoint_name,
                front_door_url=self.front_door_url,
                session_store=agent_env["SESSION_STORE"],
                session_bucket=agent_env.get("SESSION_BUCKET") if agent_env["SESSION_STORE"] == "s3" else None,
                memory_id=agent_env.get("MEMORY_ID") if agent_env["SESSION_STORE"] == "agentcore-memory" else None,
                long_term_memory_namespaces=agent_env.get("LONG_TERM_MEMORY_NAMESPACES") or None,
                authorizer=settings.authorizer,
                key_pair=self.key_pair,
            ),
        )
        logger.info("front_door=<%s>, agent=<%s> | local runtime ready", self.front_door_url, self.agent_url)

    def _authorizer(self) -> InboundAuthorizer:
        """Cognito's pool as custom JWT authorizer, or SigV4 against a key pair generated for this run."""
        if self.settings.authorizer == "iam":
            self.key_pair = LocalKeyPair.generate()  # the outputs file hands it to the client
            return SigV4Authorizer(region=self.settings.region, key_pairs=[self.key_pair])
        clients = {self.identity.client_id, *([self.web.client_id] if self.web else [])}
        return JwtAuthorizer(provider=discover(self.identity.discovery_url), allowed_clients=frozenset(clients))

    def _twin_environment(self) -> TwinEnvironment:
        """The agent's deployed-twin environment; starts the Bedrock stand-in when no model is configured."""
        credentials_found = aws_credentials_found()
        if not self.settings.agent_url and not model_is_configured(
            {**os.environ, **self.settings.agent_env}, credentials_found=credentials_found
        ):
            self._bedrock = start_bedrock_runtime()
        return twin_environment(
            emulator_url=self.aws_endpoint_url,
            region=self.settings.region,
            bedrock_stand_in_url=self._bedrock.endpoint_url if self._bedrock else None,
            credentials_found=credentials_found,
            long_term_memory=self.settings.long_term_memory,
        )

    @property
    def agent_unix_socket(self) -> Path | None:
        """The Unix socket of the agent this runtime started (None with `agent_url`); `agent_url` names it too."""
        return self._agent.unix_socket if self._agent else None

    @property
    def bedrock_stand_in_url(self) -> str | None:
        """The Bedrock Runtime stand-in's URL when the agent uses it, else None."""
        return self._bedrock.endpoint_url if self._bedrock else None

    @property
    def front_door_url(self) -> str:
        """Base URL clients call instead of `https://bedrock-agentcore.<region>.amazonaws.com`."""
        assert self._front_door is not None, "front door is not running"
        return self._front_door.url

    @property
    def aws_endpoint_url(self) -> str:
        """moto's URL (Cognito lives there)."""
        assert self._emulator is not None, "emulator is not running"
        return self._emulator.endpoint_url

    def stop(self) -> None:
        """Stop everything that was started, in reverse order; safe to call twice."""
        if self._front_door:
            self._front_door.stop()
            self._front_door = None
        if self.web:
            self.web.stop()
            self.web = None
        if self._agent:
            self._agent.stop()
            self._agent = None
        if self._bedrock:
            self._bedrock.stop()
            self._bedrock = None
        if self._emulator:
            self._emulator.stop()
            self._emulator = None
        if self.settings.outputs_path.exists():
            self.settings.outputs_path.unlink()

    def __enter__(self) -> LocalRuntime:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
