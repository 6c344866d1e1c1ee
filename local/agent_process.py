"""Start and stop the agent server as a child process of the local runtime.

WHY a subprocess: the front door talks to the agent over HTTP exactly as AgentCore talks to the
container, and `local/` never imports `agent/` internals. The command is replaceable so tests can run
the same server with a scripted model (`tests/support/run_agent.py`).
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

import httpx

logger = logging.getLogger(__name__)

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_AGENT_COMMAND: tuple[str, ...] = (sys.executable, "-m", "agent")
# WHY loopback whatever HOST the shell has: the agent trusts forwarded tokens without checking signatures (the
# front door checked them), so nothing but the front door on this machine may reach it. `env` can override.
AGENT_HOST = "127.0.0.1"


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class AgentProcess:
    """The agent server running as a child process, reachable at `.url`."""

    def __init__(
        self,
        *,
        command: Sequence[str] = DEFAULT_AGENT_COMMAND,
        env: Mapping[str, str] | None = None,
        startup_timeout_seconds: float = 60.0,
        log_path: Path | None = None,
    ) -> None:
        """Launch `command` with `HOST=127.0.0.1`, `PORT=<free port>` and wait until `GET /ping` answers 200.

        Args:
            command: argv; `{port}` in any argument is replaced by the chosen port.
            env: extra environment variables (added to this process's environment; `HOST` here wins).
            startup_timeout_seconds: how long to wait for `/ping`.
            log_path: file receiving the agent's stdout/stderr; None inherits this process's.

        Raises:
            RuntimeError: the process exited or did not answer `/ping` in time (its log is named).
        """
        self.port = free_port()
        argv = [part.replace("{port}", str(self.port)) for part in command]
        child_env = {**os.environ, "HOST": AGENT_HOST, **(env or {}), "PORT": str(self.port)}
        self._log = open(log_path, "ab") if log_path else None  # noqa: SIM115 - closed in stop()
        self._process = subprocess.Popen(
            argv, cwd=REPO_ROOT, env=child_env, stdout=self._log, stderr=subprocess.STDOUT if self._log else None
        )
        logger.info("pid=<%s>, port=<%s> | agent server starting", self._process.pid, self.port)
        try:
            self._wait_ready(startup_timeout_seconds, log_path)
        except Exception:
            self.stop()
            raise

    @property
    def url(self) -> str:
        """Base URL of the agent server."""
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        """Terminate the child (SIGTERM, then SIGKILL after 5 s)."""
        if self._process.poll() is None:
            self._process.send_signal(signal.SIGTERM)
            try:
                self._process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait(timeout=5)
        if self._log:
            self._log.close()
            self._log = None

    def _wait_ready(self, timeout_seconds: float, log_path: Path | None) -> None:
        deadline = time.monotonic() + timeout_seconds
        where = f"; see {log_path}" if log_path else ""
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"agent server exited with code {self._process.returncode} during startup{where}")
            try:
                if httpx.get(f"{self.url}/ping", timeout=1.0).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"agent server did not answer GET /ping within {timeout_seconds} s{where}")
