"""Container image size and container cold start (``podman run`` → ``/ping`` 200 → first answer).

Two configurations of the one image, started in turn: ``openai-file`` (the OpenAI stub, the file store) and
``bedrock-s3`` — the deployed one: ``MODEL_PROVIDER=bedrock`` with the deployed model id against the Bedrock
stand-in and the S3 store on moto (:mod:`bench.bedrock_path`), both reached from the container at the host's
loopback. Uses what ``scripts/container_prereqs.sh`` prepares (``.build/containers.conf`` and the local debootstrap
base image) and builds ``agent/Dockerfile`` unmodified, with the same build args and secrets as the
container test; layers are cached, so a rebuild after ``make test`` takes seconds. When podman or the
base image is missing the measurement is reported as not measured, with the reason.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import time
import uuid
from pathlib import Path
from typing import Any

import httpx

from bench.bedrock_path import BedrockPath
from bench.client import invoke, new_session_id
from bench.scenarios import name_prompt
from bench.stats import median
from local.processes import REPO_ROOT, free_port, spawn

AGENT_DIR = REPO_ROOT / "agent"
BASE_IMAGE = os.environ.get("AGENT_BASE_IMAGE", "localhost/agentcore-session-base:bookworm")
CONTAINERS_CONF = Path(os.environ.get("CONTAINERS_CONF", str(REPO_ROOT / ".build" / "containers.conf")))
# One tag per checkout (as tests/container does): parallel clones or worktrees never replace each other's image.
IMAGE = f"localhost/agentcore-session-agent:bench-{hashlib.sha256(str(REPO_ROOT).encode()).hexdigest()[:8]}"
# slirp4netns maps 10.0.2.2 to the host's loopback, where the stub, the Bedrock stand-in and moto listen.
NETWORK = "slirp4netns:allow_host_loopback=true"
HOST_FROM_CONTAINER = "10.0.2.2"
BUILD_TIMEOUT_SECONDS = 900
START_TIMEOUT_SECONDS = 120
COLD_NAME = "Container"
OPENAI_FILE = "openai-file"
BEDROCK_S3 = "bedrock-s3"


def _podman(*args: str, timeout: float = 120, check: bool = True) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        ["podman", *args],
        env={**os.environ, "CONTAINERS_CONF": str(CONTAINERS_CONF)},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if check and done.returncode != 0:
        raise RuntimeError(
            f"podman {' '.join(args[:2])} exited {done.returncode}: {(done.stdout + done.stderr)[-2000:]}"
        )
    return done


def unavailable_reason(containers_conf: Path = CONTAINERS_CONF) -> str | None:
    """Why the container cannot be measured here, or None when it can."""
    if shutil.which("podman") is None:
        return "podman is not installed"
    if not containers_conf.is_file():
        return f"{containers_conf} missing; run sudo scripts/container_prereqs.sh"
    if _podman("image", "exists", BASE_IMAGE, check=False).returncode != 0:
        return f"base image {BASE_IMAGE} missing; run sudo scripts/container_prereqs.sh"
    return None


def _build_args() -> list[str]:
    cert = os.environ.get("PIP_CERT") or "/etc/ssl/certs/ca-certificates.crt"
    secrets = ["--secret", f"id=pip_cert,src={cert}"] if Path(cert).is_file() else []
    return [
        "build",
        "--network=host",
        "--layers",
        "--build-arg",
        f"BASE_IMAGE={BASE_IMAGE}",
        *secrets,
        "--tag",
        IMAGE,
        "--file",
        str(AGENT_DIR / "Dockerfile"),
        str(AGENT_DIR),
    ]


def configurations(stub_port: int, bedrock: BedrockPath | None) -> dict[str, dict[str, str]]:
    """Container environment per configuration (the stub on ``stub_port``); the deployed one with the Bedrock path."""
    envs = {
        OPENAI_FILE: {
            "MODEL_PROVIDER": "openai",
            "OPENAI_BASE_URL": f"http://{HOST_FROM_CONTAINER}:{stub_port}/v1",
            "OPENAI_API_KEY": "bench",
            "MODEL_ID": "bench-stub",
            "SESSION_STORE": "file",
        }
    }
    if bedrock is not None:
        envs[BEDROCK_S3] = {**bedrock.model_env(HOST_FROM_CONTAINER), **bedrock.store_env(HOST_FROM_CONTAINER)}
    return envs


def _cold_start(env: dict[str, str], client: httpx.Client, log_dir: Path) -> dict[str, Any]:
    """One ``podman run`` → ``/ping`` → first answer, timed from the spawn of ``podman run``.

    ``podman run`` stays attached (the container's output goes to its log), so it lives exactly as long as the
    container: a container that dies during startup ends the wait at once.
    """
    port, name = free_port(), f"bench-agent-{uuid.uuid4().hex[:8]}"
    env_args = [arg for key, value in env.items() for arg in ("--env", f"{key}={value}")]
    command = ["podman", "run", "--name", name, f"--network={NETWORK}", "--publish", f"127.0.0.1:{port}:8080"]
    container = spawn(
        [*command, *env_args, IMAGE],
        name=f"container {name}",
        port=port,
        log_path=log_dir / f"{name}.log",
        env={"CONTAINERS_CONF": str(CONTAINERS_CONF)},
    )
    try:
        ping_s = container.wait_healthy(START_TIMEOUT_SECONDS)
        call = invoke(client, container.base_url, new_session_id("container"), name_prompt(COLD_NAME))
        answer_s = time.perf_counter() - container.spawned_at
    finally:
        _podman("rm", "--force", "--time", "2", name, check=False)
        container.stop()
    return {"ping_s": ping_s, "answer_s": answer_s, "ok": call.ok and call.answer == f"Nice to meet you, {COLD_NAME}."}


def _summary(runs: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "ping_s": [round(r["ping_s"], 3) for r in runs],
        "answer_s": [round(r["answer_s"], 3) for r in runs],
        "median_ping_s": round(median([r["ping_s"] for r in runs]), 3),
        "median_answer_s": round(median([r["answer_s"] for r in runs]), 3),
        "wrong_answers": sum(not r["ok"] for r in runs),
    }


def measure_container(stub_port: int, bedrock: BedrockPath | None, *, reps: int, log_dir: Path) -> dict[str, Any]:
    """Build (cached) the image, read its size, and time ``reps`` container cold starts of each configuration.

    The configurations alternate (and which goes first rotates), so background load falls on both alike.
    """
    reason = unavailable_reason()
    if reason is not None:
        return {"measured": False, "reason": reason}
    started = time.perf_counter()
    _podman(*_build_args(), timeout=BUILD_TIMEOUT_SECONDS)
    build_s = time.perf_counter() - started
    size = int(_podman("image", "inspect", "--format", "{{.Size}}", IMAGE).stdout.strip())
    envs = configurations(stub_port, bedrock)
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in envs}
    with httpx.Client() as client:
        for rep in range(reps):
            names = list(envs)
            for name in names[rep % len(names) :] + names[: rep % len(names)]:
                runs[name].append(_cold_start(envs[name], client, log_dir))
    return {
        "measured": True,
        "image": IMAGE,
        "base_image": BASE_IMAGE,
        "build_s": round(build_s, 1),
        "size_bytes": size,
        "size_mb": round(size / 1e6, 1),
        "reps": reps,
        "configurations": {name: _summary(items) for name, items in runs.items()},
    }
