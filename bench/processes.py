"""Server processes the benchmark starts: spawn, wait for ``/ping``, read RSS, stop.

Timing starts at ``Popen`` (process spawn) and ``/ping`` is polled every few milliseconds with a raw
HTTP request, so the cold-start numbers measure the server, not the poller. Every process started
here is stopped by its owner (``stop()``, or the ``running`` context manager).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
PING_POLL_SECONDS = 0.005
PING_PATH = "/ping"


class ServerStartError(RuntimeError):
    """A server exited or did not answer ``/ping`` in time (the message carries its log tail)."""


def free_port() -> int:
    """A TCP port that was free on 127.0.0.1 a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def ping_once(port: int, *, host: str = "127.0.0.1", timeout: float = 1.0, path: str = PING_PATH) -> bool:
    """True when ``GET <path>`` (``/ping`` unless told) on host:port answers 200 right now."""
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            sock.sendall(f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nConnection: close\r\n\r\n".encode())
            return sock.recv(64).startswith((b"HTTP/1.1 200", b"HTTP/1.0 200"))
    except OSError:
        return False


def wait_for_ping(
    port: int, *, timeout: float, alive: Callable[[], bool] = lambda: True, path: str = PING_PATH
) -> float:
    """Poll ``GET <path>`` until 200; return the ``time.perf_counter()`` at which it answered.

    Raises:
        ServerStartError: ``alive()`` turned false or ``timeout`` seconds passed.
    """
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        if ping_once(port, path=path):
            return time.perf_counter()
        if not alive():
            raise ServerStartError(f"server on port {port} exited before answering /ping")
        time.sleep(PING_POLL_SECONDS)
    raise ServerStartError(f"server on port {port} did not answer /ping within {timeout:g} s")


def rss_kib(pid: int) -> int:
    """Resident set size of a process in KiB, from ``/proc/<pid>/status`` (``VmRSS``)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"VmRSS not found for pid {pid}")


@dataclass
class Server:
    """A started server process."""

    name: str
    process: subprocess.Popen[bytes]
    port: int
    log_path: Path
    spawned_at: float
    health_path: str = PING_PATH

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>``."""
        return f"http://127.0.0.1:{self.port}"

    def alive(self) -> bool:
        """True while the process runs."""
        return self.process.poll() is None

    def log_tail(self, chars: int = 3000) -> str:
        """The end of the process's combined output."""
        return self.log_path.read_text(errors="replace")[-chars:] if self.log_path.exists() else ""

    def wait_ready(self, timeout: float = 60.0) -> float:
        """Wait for ``/ping`` 200; returns seconds since spawn."""
        try:
            return wait_for_ping(self.port, timeout=timeout, alive=self.alive, path=self.health_path) - self.spawned_at
        except ServerStartError as error:
            self.stop()
            raise ServerStartError(f"{self.name}: {error}\n{self.log_tail()}") from None

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM, then SIGKILL after ``timeout`` seconds."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=timeout)


def spawn(
    name: str,
    command: Sequence[str],
    *,
    port: int,
    log_path: Path,
    env: Mapping[str, str] | None = None,
    health_path: str = PING_PATH,
) -> Server:
    """Start ``command`` with ``env`` merged over the current environment; output to ``log_path``.

    ``health_path`` is what answers 200 once the server is ready (``/ping`` for the agents and stand-ins;
    moto has no ``/ping`` and is asked for ``/moto-api/data.json``).
    """
    log_path.parent.mkdir(parents=True, exist_ok=True)
    full_env = {**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})}
    with log_path.open("ab") as log_file:
        spawned_at = time.perf_counter()
        process = subprocess.Popen(
            list(command), cwd=REPO_ROOT, env=full_env, stdout=log_file, stderr=subprocess.STDOUT
        )
    return Server(
        name=name, process=process, port=port, log_path=log_path, spawned_at=spawned_at, health_path=health_path
    )


@contextmanager
def running(
    name: str,
    command: Sequence[str],
    *,
    port: int,
    log_path: Path,
    env: Mapping[str, str] | None = None,
    timeout: float = 60.0,
    health_path: str = PING_PATH,
) -> Iterator[Server]:
    """Spawn, wait for ``health_path`` (``/ping``) and always stop the server afterwards."""
    server = spawn(name, command, port=port, log_path=log_path, env=env, health_path=health_path)
    try:
        server.wait_ready(timeout)
        yield server
    finally:
        server.stop()


def python_module(module: str, *args: str) -> list[str]:
    """``[<this python>, -m, module, *args]``: servers run on the interpreter of the benchmark (the .venv)."""
    return [sys.executable, "-m", module, *args]
