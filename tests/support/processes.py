"""Start a server subprocess, wait until its ``GET /ping`` answers 200, and stop it cleanly.

Tests talk to real processes over HTTP; these helpers make sure every process a test starts is
reaped (terminate, then kill after a grace period) and that its output is kept in a log file the
test can read, which is how request-log assertions are made.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx

REPO_ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    """Return a TCP port that was free on 127.0.0.1 a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class ServerProcess:
    """A running server subprocess with its base URL and combined stdout/stderr log file."""

    process: subprocess.Popen[bytes]
    base_url: str
    log_path: Path

    def log_text(self) -> str:
        """Everything the process has written so far."""
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def is_running(self) -> bool:
        """True while the process has not exited."""
        return self.process.poll() is None

    def stop(self, timeout: float = 10.0) -> int:
        """Send SIGTERM, wait, then SIGKILL if needed; returns the exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=timeout)
        return self.process.returncode


def wait_for_ping(
    base_url: str,
    *,
    process: subprocess.Popen[bytes] | None = None,
    timeout: float = 30.0,
    log_path: Path | None = None,
    health_path: str = "/ping",
) -> None:
    """Poll ``GET <base_url><health_path>`` (``/ping`` by default) until it returns 200.

    Raises:
        RuntimeError: the process exited first or the deadline passed (message includes the log tail).
    """
    deadline = time.monotonic() + timeout
    last_error = "no attempt made"
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            break
        try:
            if httpx.get(f"{base_url}{health_path}", timeout=2.0).status_code == 200:
                return
            last_error = f"non-200 {health_path}"
        except httpx.HTTPError as error:
            last_error = repr(error)
        time.sleep(0.1)
    tail = log_path.read_text(errors="replace")[-4000:] if log_path and log_path.exists() else ""
    exit_code = process.poll() if process is not None else None
    raise RuntimeError(
        f"server at {base_url} not healthy (exit code {exit_code}, last error {last_error}); log tail:\n{tail}"
    )


def start_server(
    command: Sequence[str],
    *,
    port: int,
    log_path: Path,
    env: Mapping[str, str] | None = None,
    cwd: Path = REPO_ROOT,
    timeout: float = 30.0,
    inherit_env: bool = True,
    health_path: str = "/ping",
    preexec_fn: Callable[[], None] | None = None,
) -> ServerProcess:
    """Start ``command`` (which must listen on 127.0.0.1:``port``) and wait until ``health_path`` answers 200.

    ``env`` is merged over the current environment, or, with ``inherit_env=False``, over ``PATH`` alone
    (for tests that must run a server with exactly a given environment). Output goes to ``log_path``.
    ``preexec_fn`` runs in the child before the command (e.g. to lower a resource limit).
    """
    base_env = dict(os.environ) if inherit_env else {"PATH": os.environ.get("PATH", "")}
    full_env = {**base_env, "PYTHONUNBUFFERED": "1", **(env or {})}
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("ab") as log_file:
        process = subprocess.Popen(
            list(command), cwd=cwd, env=full_env, stdout=log_file, stderr=subprocess.STDOUT, preexec_fn=preexec_fn
        )
    server = ServerProcess(process=process, base_url=f"http://127.0.0.1:{port}", log_path=log_path)
    try:
        wait_for_ping(server.base_url, process=process, timeout=timeout, log_path=log_path, health_path=health_path)
    except BaseException:
        server.stop()
        raise
    return server


def listening_addresses(port: int) -> set[str]:
    """IPv4 addresses a TCP socket listens on at ``port`` (from ``/proc/net/tcp``, so for any process)."""
    addresses = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        local, state = line.split()[1], line.split()[3]
        address, _, hex_port = local.partition(":")
        if state == "0A" and int(hex_port, 16) == port:  # 0A = TCP_LISTEN
            addresses.add(socket.inet_ntoa(bytes.fromhex(address)[::-1]))
    return addresses
