"""The servers under test and how each is started against the benchmark's model stand-ins.

OpenAI path (Strands' ``OpenAIModel`` against the OpenAI-compatible stub, ``local/openai_stub.py``):

- ``baseline``: the reference design (:mod:`bench.baseline_agent`, one module-level agent);
- ``agent-none``: ``python -m agent`` with ``SESSION_STORE=none`` (isolation only);
- ``agent-file``: ``python -m agent`` with ``SESSION_STORE=file`` (isolation + persistence on local disk).

Bedrock path, the deployed configuration (Strands' ``BedrockModel`` over botocore against the Bedrock Runtime
stand-in, the S3 store on moto; :mod:`bench.bedrock_path`):

- ``baseline-bedrock``: the same reference design with ``BedrockModel`` and the deployed model id;
- ``agent-bedrock``: ``python -m agent`` with the stack's environment: ``MODEL_PROVIDER=bedrock``, ``MODEL_ID``,
  ``SESSION_STORE=s3``, the session bucket and prefix;
- ``agent-none-bedrock`` (opt-in experiment): ``agent-bedrock`` without a store, which separates the Bedrock
  client's cost from the S3 store's;
- ``agent-bedrock-prebuilt`` (opt-in experiment, for the restore rows): ``agent-bedrock`` with its AWS clients built
  before the snapshot, as the baseline builds its own (:mod:`bench.prebuilt_agent`), which prices the rule that
  the agent builds them after each restore.

Each of ours is compared with the baseline on its own model path (:data:`BASELINE_OF`), so ratios compare
like with like.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from bench.bedrock_path import BedrockPath
from local.processes import ServerProcess, free_port, python_module, running, spawn

BASELINE = "baseline"
AGENT_NONE = "agent-none"
AGENT_FILE = "agent-file"
BASELINE_BEDROCK = "baseline-bedrock"
AGENT_BEDROCK = "agent-bedrock"
AGENT_NONE_BEDROCK = "agent-none-bedrock"
AGENT_BEDROCK_PREBUILT = "agent-bedrock-prebuilt"
TARGETS: tuple[str, ...] = (BASELINE, AGENT_NONE, AGENT_FILE, BASELINE_BEDROCK, AGENT_BEDROCK)
# Opt-in (``--targets``): ours on the Bedrock provider without a store; ours with clients built before the snapshot.
EXPERIMENTS: tuple[str, ...] = (AGENT_NONE_BEDROCK, AGENT_BEDROCK_PREBUILT)
BASELINES: tuple[str, ...] = (BASELINE, BASELINE_BEDROCK)
BEDROCK_TARGETS: tuple[str, ...] = (BASELINE_BEDROCK, AGENT_BEDROCK, AGENT_NONE_BEDROCK, AGENT_BEDROCK_PREBUILT)
# Ours → the reference design on the same model path; the budgets compare each pair.
BASELINE_OF: dict[str, str] = {AGENT_NONE: BASELINE, AGENT_FILE: BASELINE, AGENT_BEDROCK: BASELINE_BEDROCK}
# Restored from a CRIU checkpoint (platform V2): the deployed configuration and its baseline (bench/restore.py).
RESTORED_TARGETS: tuple[str, ...] = (BASELINE_BEDROCK, AGENT_BEDROCK, AGENT_BEDROCK_PREBUILT)
STUB_MODEL_ID = "bench-stub"


def needs_bedrock_path(targets: tuple[str, ...]) -> bool:
    """True when any of ``targets`` runs against the Bedrock stand-in and moto."""
    return any(target in BEDROCK_TARGETS for target in targets)


@dataclass(frozen=True, kw_only=True)
class TargetSpec:
    """How to start one server under test.

    Attributes:
        name: one of :data:`TARGETS` or :data:`EXPERIMENTS`.
        module: the ``python -m`` module to run.
        env: environment on top of the benchmark's own (port added at start).
        uses_session_dir: True when a fresh ``SESSION_DIR`` must be given per start.
    """

    name: str
    module: str
    env: dict[str, str] = field(default_factory=dict)
    uses_session_dir: bool = False


def target_spec(name: str, *, stub_url: str, bedrock: BedrockPath | None = None, max_sessions: int = 100) -> TargetSpec:
    """The spec of target ``name``: OpenAI targets talk to the stub at ``stub_url`` (``http://host:port/v1``),
    Bedrock targets to ``bedrock`` (required for them).

    Raises:
        ValueError: unknown target, or a Bedrock target without ``bedrock``.
    """
    if name not in TARGETS + EXPERIMENTS:
        raise ValueError(f"target {name!r} is not one of {', '.join(TARGETS + EXPERIMENTS)}")
    s3_store_env: dict[str, str] = {}
    if name in BEDROCK_TARGETS:
        if bedrock is None:
            raise ValueError(
                f"target {name!r} runs on the Bedrock path: pass bedrock= (bench.bedrock_path.started_bedrock_path)"
            )
        model_env, s3_store_env = bedrock.model_env(), bedrock.store_env()
    else:
        model_env = {
            "MODEL_PROVIDER": "openai",
            "OPENAI_BASE_URL": stub_url,
            "OPENAI_API_KEY": "bench",
            "MODEL_ID": STUB_MODEL_ID,
        }
    if name in BASELINES:
        return TargetSpec(name=name, module="bench.baseline_agent", env=model_env)
    agent_env = {
        **model_env,
        "SESSION_STORE": "file" if name == AGENT_FILE else "none",
        "MAX_SESSIONS": str(max_sessions),
        "LOG_LEVEL": "INFO",
        "AGENT_OBSERVABILITY_ENABLED": "false",
        **(s3_store_env if name in (AGENT_BEDROCK, AGENT_BEDROCK_PREBUILT) else {}),
    }
    module = "bench.prebuilt_agent" if name == AGENT_BEDROCK_PREBUILT else "agent"
    return TargetSpec(name=name, module=module, env=agent_env, uses_session_dir=name == AGENT_FILE)


def start_env(spec: TargetSpec, port: int, session_dir: Path) -> dict[str, str]:
    """The target's environment for one start on ``port`` (on top of the benchmark's own)."""
    env = {**spec.env, "PORT": str(port)}
    if spec.uses_session_dir:
        env["SESSION_DIR"] = str(session_dir)
    return env


def spawn_target(spec: TargetSpec, *, log_dir: Path, session_dir: Path) -> ServerProcess:
    """Spawn (without waiting): cold-start measurements time from here."""
    port = free_port()
    return spawn(
        python_module(spec.module),
        name=spec.name,
        port=port,
        log_path=log_dir / f"{spec.name}.log",
        env=start_env(spec, port, session_dir),
    )


@contextmanager
def started_target(spec: TargetSpec, *, log_dir: Path) -> Iterator[ServerProcess]:
    """A fresh, healthy server (with an empty session directory) for one measurement."""
    with tempfile.TemporaryDirectory(prefix=f"bench-{spec.name}-") as session_dir:
        port = free_port()
        with running(
            python_module(spec.module),
            name=spec.name,
            port=port,
            log_path=log_dir / f"{spec.name}.log",
            env=start_env(spec, port, Path(session_dir)),
        ) as server:
            yield server


@contextmanager
def started_stub(*, log_dir: Path) -> Iterator[ServerProcess]:
    """The OpenAI stub in a process of its own, one delta per streamed reply; ``base_url + '/v1'`` is for the agents."""
    port = free_port()
    command = python_module("local.openai_stub", "--port", str(port), "--one-delta")
    with running(command, name="stub", port=port, log_path=log_dir / "stub.log") as server:
        yield server
