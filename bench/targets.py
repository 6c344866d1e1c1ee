"""The servers under test and how each is started against the benchmark's stub model.

- ``baseline``: the reference design (:mod:`bench.baseline_agent`, one module-level agent);
- ``agent-none``: ``python -m agent`` with ``SESSION_STORE=none`` (isolation only);
- ``agent-file``: ``python -m agent`` with ``SESSION_STORE=file`` (isolation + persistence on local disk);
- ``agent-none-tls`` (opt-in experiment): ``agent-none`` with one TLS context for the model client;
- ``agent-none-bedrock`` (opt-in experiment): ``agent-none`` with ``MODEL_PROVIDER=bedrock``, the deployed
  default. Offline its Bedrock endpoint is the stub, which answers 404, so every turn is a 502 — but the
  per-session agent (and its ``BedrockModel``) is created and held, which is what the memory figure needs.

All three use Strands' ``OpenAIModel`` against the same stub, so the model round trip is identical.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from bench.processes import Server, free_port, python_module, running, spawn

BASELINE = "baseline"
AGENT_NONE = "agent-none"
AGENT_FILE = "agent-file"
AGENT_NONE_TLS = "agent-none-tls"
AGENT_NONE_BEDROCK = "agent-none-bedrock"
TARGETS: tuple[str, ...] = (BASELINE, AGENT_NONE, AGENT_FILE)
# Opt-in (``--targets``): ours with the model-client fix the profile points at (bench/shared_tls_agent.py),
# and ours on the deployed default provider (Bedrock; for memory only, every model call fails offline).
EXPERIMENTS: tuple[str, ...] = (AGENT_NONE_TLS, AGENT_NONE_BEDROCK)
STUB_MODEL_ID = "bench-stub"


@dataclass(frozen=True, kw_only=True)
class TargetSpec:
    """How to start one server under test.

    Attributes:
        name: one of :data:`TARGETS`.
        module: the ``python -m`` module to run.
        env: environment on top of the benchmark's own (port added at start).
        uses_session_dir: True when a fresh ``SESSION_DIR`` must be given per start.
    """

    name: str
    module: str
    env: dict[str, str] = field(default_factory=dict)
    uses_session_dir: bool = False


def target_spec(name: str, *, stub_url: str, max_sessions: int = 100) -> TargetSpec:
    """The spec of target ``name`` talking to the stub at ``stub_url`` (``http://host:port/v1``)."""
    model_env = {"OPENAI_BASE_URL": stub_url, "OPENAI_API_KEY": "bench", "MODEL_ID": STUB_MODEL_ID}
    if name == BASELINE:
        return TargetSpec(name=name, module="bench.baseline_agent", env=model_env)
    if name not in (AGENT_NONE, AGENT_FILE) + EXPERIMENTS:
        raise ValueError(f"target {name!r} is not one of {', '.join(TARGETS + EXPERIMENTS)}")
    agent_env = {
        **model_env,
        "MODEL_PROVIDER": "openai",
        "SESSION_STORE": "file" if name == AGENT_FILE else "none",
        "MAX_SESSIONS": str(max_sessions),
        "LOG_LEVEL": "INFO",
        "AGENT_OBSERVABILITY_ENABLED": "false",
    }
    if name == AGENT_NONE_BEDROCK:
        agent_env |= {"MODEL_PROVIDER": "bedrock", "MODEL_ID": "global.anthropic.claude-sonnet-4-6",
                      "AWS_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench",
                      "AWS_ENDPOINT_URL_BEDROCK_RUNTIME": stub_url.removesuffix("/v1")}
    module = "bench.shared_tls_agent" if name == AGENT_NONE_TLS else "agent"
    return TargetSpec(name=name, module=module, env=agent_env, uses_session_dir=name == AGENT_FILE)


def _start_env(spec: TargetSpec, port: int, session_dir: Path) -> dict[str, str]:
    env = {**spec.env, "PORT": str(port)}
    if spec.uses_session_dir:
        env["SESSION_DIR"] = str(session_dir)
    return env


def spawn_target(spec: TargetSpec, *, log_dir: Path, session_dir: Path) -> Server:
    """Spawn (without waiting): cold-start measurements time from here."""
    port = free_port()
    return spawn(spec.name, python_module(spec.module), port=port, log_path=log_dir / f"{spec.name}.log",
                 env=_start_env(spec, port, session_dir))


@contextmanager
def started_target(spec: TargetSpec, *, log_dir: Path) -> Iterator[Server]:
    """A fresh, healthy server (with an empty session directory) for one measurement."""
    with tempfile.TemporaryDirectory(prefix=f"bench-{spec.name}-") as session_dir:
        port = free_port()
        with running(spec.name, python_module(spec.module), port=port, log_path=log_dir / f"{spec.name}.log",
                     env=_start_env(spec, port, Path(session_dir))) as server:
            yield server


@contextmanager
def started_stub(*, log_dir: Path) -> Iterator[Server]:
    """The stub model server; ``base_url + '/v1'`` is what the agents use."""
    port = free_port()
    with running("stub", python_module("bench.stub_model", "--port", str(port)), port=port,
                 log_path=log_dir / "stub.log") as server:
        yield server
