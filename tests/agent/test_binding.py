"""Outside the container the agent listens on loopback only; ``HOST`` moves it.

The agent trusts the Bearer token it is forwarded without checking its signature, so only AgentCore (in the
container) or the local front door may reach it. The image sets ``HOST=0.0.0.0``; tests/container reaches the
container through its published port, which only works on that interface.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from local.processes import REPO_ROOT, free_port, listening_addresses, start_server, wait_until_healthy

UNUSED_MODEL = {"MODEL_PROVIDER": "openai", "OPENAI_BASE_URL": "http://127.0.0.1:9/v1"}  # never called here


def _environment(tmp_path: Path, port: int, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "HOST"}
    return {**env, **UNUSED_MODEL, "SESSION_DIR": str(tmp_path / "sessions"), "PORT": str(port), **extra}


@pytest.mark.parametrize(
    ("extra", "expected"),
    [({}, {"127.0.0.1"}), ({"HOST": "0.0.0.0"}, {"0.0.0.0"})],  # nosec B104
    ids=["default", "HOST=0.0.0.0"],
)
def test_python_m_agent_listens_on_loopback_unless_host_says_otherwise(tmp_path, extra, expected):
    port = free_port()
    server = start_server(
        [sys.executable, "-m", "agent"],
        port=port,
        log_path=tmp_path / "agent.log",
        env=_environment(tmp_path, port, **extra),
        timeout=60,
    )
    try:
        assert listening_addresses(port) == expected
    finally:
        server.stop()


def test_make_dev_listens_on_loopback(tmp_path):
    port = free_port()
    env = {k: v for k, v in _environment(tmp_path, port).items() if k != "PORT"}
    with (tmp_path / "make.log").open("wb") as log:
        make = subprocess.Popen(
            ["make", "dev", f"PORT={port}"],
            cwd=REPO_ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        wait_until_healthy(f"http://127.0.0.1:{port}", process=make, timeout=120, log_path=tmp_path / "make.log")
        assert listening_addresses(port) == {"127.0.0.1"}
    finally:
        os.killpg(make.pid, signal.SIGTERM)
        make.wait(timeout=30)
