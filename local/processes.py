"""Start a server as a child process, wait until its health path answers, stop it: the one helper for every part.

WHY one module: the local runtime starts the agent, the benchmark starts the servers it measures and the
stand-ins, and the tests start agents, moto and stand-ins; each used to carry its own spawn, poll and stop
(and its own `free_port`). They live here, in `local/`, which bench/ and tests/ may import.

Readiness is `GET <health path>` answering 200 (`/ping` for the agent and the stand-ins; moto has none and
is asked for `/moto-api/data.json`), over TCP on 127.0.0.1, or over the Unix socket a server listens on instead
(the local runtime's agent). Between two probes the waiter blocks on the child's exit
(`Popen.wait` with the poll interval as its timeout), never on a sleep: a child that dies during startup
is reported at once, with its exit code and its log, not when the deadline passes. The probe is one
`http.client` request, a fraction of a millisecond, so a cold start the benchmark times is the server's.
Every process started here is stopped by its owner: `stop()` sends SIGTERM, then SIGKILL after a grace period.
"""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypedDict, Unpack
from urllib.parse import urlsplit

REPO_ROOT = Path(__file__).resolve().parent.parent
LOOPBACK = "127.0.0.1"
DEFAULT_HEALTH_PATH = "/ping"
POLL_SECONDS = 0.005
PROBE_TIMEOUT_SECONDS = 2.0
STARTUP_TIMEOUT_SECONDS = 60.0
STOP_GRACE_SECONDS = 10.0
LOG_TAIL_CHARS = 4000
_TCP_LISTEN = "0A"  # the socket state column of /proc/net/tcp (include/net/tcp_states.h: TCP_LISTEN = 10)


def stop_on_signal() -> threading.Event:
    """An event SIGINT or SIGTERM sets: a server's ``main`` waits on it, then stops what it started.

    WHY an event, not the default handlers: Ctrl-C or ``stop_process``'s SIGTERM must reach the ``finally`` that
    stops the children (moto, the stand-ins, the agent), which KeyboardInterrupt inside a wait does not promise.
    """
    stopped = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stopped.set())
    return stopped


class ServerStartError(RuntimeError):
    """A server exited during startup or did not answer its health path in time (the message names its log)."""


def free_port(host: str = LOOPBACK) -> int:
    """A free TCP port on ``host`` that no other ``bind(0)`` on this machine is handed for the next minute.

    WHY not just "bound to port 0 a moment ago": a server needs seconds (imports) before it binds, and on a
    machine running several test suites another process's ``bind(0)`` could be given the same port meanwhile,
    so a health check would reach the other server. As Yelp's ephemeral-port-reserve does, the port is left in
    TIME_WAIT (a connection to it is accepted and closed by the accepting side first): the kernel hands it to
    no ``bind(0)`` while that lasts (60 s on Linux), yet a server binding it with ``SO_REUSEADDR`` (uvicorn,
    asyncio, werkzeug and Go listeners all set it) gets it at once.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((host, 0))
        listener.listen(1)
        port: int = listener.getsockname()[1]
        with socket.create_connection((host, port)):
            accepted, _ = listener.accept()
            accepted.close()
    return port


def python_module(module: str, *args: str) -> list[str]:
    """``[<this interpreter>, -m, module, *args]``: servers run on the caller's interpreter (the .venv)."""
    return [sys.executable, "-m", module, *args]


class _UnixHTTPConnection(http.client.HTTPConnection):
    """``http.client`` over a Unix socket: ``connect()`` is the hook ``HTTPConnection`` calls to open its socket."""

    def __init__(self, path: Path, *, timeout: float) -> None:
        super().__init__("localhost", timeout=timeout)
        self._path = path

    def connect(self) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(str(self._path))


def health_answers(
    base_url: str,
    path: str = DEFAULT_HEALTH_PATH,
    *,
    timeout: float = PROBE_TIMEOUT_SECONDS,
    unix_socket: Path | None = None,
) -> bool:
    """True when ``GET <base_url><path>`` (over ``unix_socket`` when given) answers 200 now; a failure is False."""
    address = urlsplit(base_url)
    connection = (
        _UnixHTTPConnection(unix_socket, timeout=timeout)
        if unix_socket
        else http.client.HTTPConnection(address.hostname or LOOPBACK, address.port, timeout=timeout)
    )
    try:
        connection.request("GET", path, headers={"Connection": "close"})
        return connection.getresponse().status == 200
    except (OSError, http.client.HTTPException):
        return False
    finally:
        connection.close()


def wait_until_healthy(
    base_url: str,
    *,
    process: subprocess.Popen[Any],
    timeout: float = STARTUP_TIMEOUT_SECONDS,
    health_path: str = DEFAULT_HEALTH_PATH,
    name: str = "server",
    log_path: Path | None = None,
    log_tail_chars: int = LOG_TAIL_CHARS,
    unix_socket: Path | None = None,
) -> float:
    """Probe ``health_path`` until it answers 200, blocking on ``process``'s exit in between.

    Args:
        base_url: where the server listens, e.g. ``http://127.0.0.1:8080``.
        process: the child whose exit ends the wait (the server itself, or what runs it: `make`, `podman wait`).
        timeout: seconds until the server counts as not starting.
        health_path: the path that answers 200 once the server is ready.
        name: how the error message names the server.
        log_path: the server's log, named in the error message.
        log_tail_chars: how much of the log's end the error message quotes (0: none).
        unix_socket: probe over this Unix socket instead of ``base_url``'s host and port.

    Returns:
        The ``time.perf_counter()`` at which the health path answered.

    Raises:
        ServerStartError: the process exited first, or ``timeout`` seconds passed.
    """
    deadline = time.perf_counter() + timeout
    while True:
        if health_answers(base_url, health_path, unix_socket=unix_socket):
            return time.perf_counter()
        remaining = deadline - time.perf_counter()
        if process.poll() is not None or remaining <= 0:
            break
        try:
            process.wait(timeout=min(POLL_SECONDS, remaining))
        except subprocess.TimeoutExpired:
            continue
    if process.returncode is not None:
        problem = f"{name} exited with code {process.returncode} during startup"
    else:
        problem = f"{name} did not answer GET {health_path} within {timeout:g} s"
    raise ServerStartError(problem + _log_reference(log_path, log_tail_chars))


def _log_reference(log_path: Path | None, tail_chars: int) -> str:
    if log_path is None:
        return ""
    tail = log_path.read_text(errors="replace")[-tail_chars:] if tail_chars and log_path.exists() else ""
    return f"; see {log_path}" + (f"; its end:\n{tail}" if tail else "")


def stop_process(process: subprocess.Popen[Any], *, grace_seconds: float = STOP_GRACE_SECONDS) -> int:
    """SIGTERM, then SIGKILL after ``grace_seconds``; returns the exit code (safe to call twice)."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=grace_seconds)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=grace_seconds)
    return process.returncode


def listening_addresses(port: int) -> set[str]:
    """IPv4 addresses a TCP socket of any process listens on at ``port`` (from ``/proc/net/tcp``)."""
    addresses = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        address, _, hex_port = fields[1].partition(":")
        if fields[3] == _TCP_LISTEN and int(hex_port, 16) == port:
            addresses.add(socket.inet_ntoa(bytes.fromhex(address)[::-1]))
    return addresses


@dataclass
class ServerProcess:
    """A server running as a child process, its combined stdout/stderr in ``log_path``.

    Attributes:
        name: how messages name it.
        process: the child.
        port: the port it listens on (on 127.0.0.1); 0 when it listens on ``unix_socket`` instead.
        log_path: its combined output.
        spawned_at: ``time.perf_counter()`` just before it was spawned (cold starts are timed from here).
        health_path: the path that answers 200 once it is ready.
        unix_socket: the Unix socket it listens on, if it listens on one instead of a port.
    """

    name: str
    process: subprocess.Popen[bytes]
    port: int
    log_path: Path
    spawned_at: float
    health_path: str = DEFAULT_HEALTH_PATH
    unix_socket: Path | None = None

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>``."""
        return f"http://{LOOPBACK}:{self.port}"

    def log_text(self) -> str:
        """Everything the process has written so far."""
        return self.log_path.read_text(encoding="utf-8", errors="replace") if self.log_path.exists() else ""

    def wait_healthy(self, timeout: float = STARTUP_TIMEOUT_SECONDS, *, log_tail_chars: int = LOG_TAIL_CHARS) -> float:
        """Wait until the health path answers; returns seconds since spawn. A server that fails is stopped.

        Raises:
            ServerStartError: it exited or did not answer in time.
        """
        try:
            healthy_at = wait_until_healthy(
                self.base_url,
                process=self.process,
                timeout=timeout,
                health_path=self.health_path,
                name=self.name,
                log_path=self.log_path,
                log_tail_chars=log_tail_chars,
                unix_socket=self.unix_socket,
            )
        except ServerStartError:
            self.stop()
            raise
        return healthy_at - self.spawned_at

    def stop(self, timeout: float = STOP_GRACE_SECONDS) -> int:
        """SIGTERM, then SIGKILL after ``timeout`` seconds; returns the exit code."""
        return stop_process(self.process, grace_seconds=timeout)


class SpawnOptions(TypedDict, total=False):
    """How to run a server, shared by :func:`spawn`, :func:`start_server` and :func:`running`.

    WHY one TypedDict: the three used to repeat the same keyword list, and ``running`` had drifted to a subset.
    Keys:
        name: how messages name the server ("server" by default).
        env: merged over this process's environment, or with ``inherit_env=False`` over ``PATH`` alone (for a
            server that must run with exactly a given environment). ``PYTHONUNBUFFERED=1`` is set unless given.
        inherit_env: see ``env`` (True by default).
        cwd: working directory; the repository root by default.
        health_path: what answers 200 once the server is ready (``/ping`` by default).
        preexec_fn: run in the child before the command (e.g. to lower a resource limit).
        unix_socket: the Unix socket the command listens on instead of ``port`` (pass ``port=0``).
    """

    name: str
    env: Mapping[str, str] | None
    inherit_env: bool
    cwd: Path
    health_path: str
    preexec_fn: Callable[[], None] | None
    unix_socket: Path | None


def spawn(command: Sequence[str], *, port: int, log_path: Path, **options: Unpack[SpawnOptions]) -> ServerProcess:
    """Start ``command`` (which must listen on 127.0.0.1:``port``) without waiting for it; output to ``log_path``
    (appended to, created with its folder if missing). ``options``: see :class:`SpawnOptions`."""
    base_env = dict(os.environ) if options.get("inherit_env", True) else {"PATH": os.environ.get("PATH", "")}
    full_env = {**base_env, "PYTHONUNBUFFERED": "1", **(options.get("env") or {})}
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("ab") as log_file:
        spawned_at = time.perf_counter()
        process = subprocess.Popen(
            list(command),
            cwd=options.get("cwd", REPO_ROOT),
            env=full_env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            preexec_fn=options.get("preexec_fn"),
        )
    return ServerProcess(
        name=options.get("name", "server"),
        process=process,
        port=port,
        log_path=log_path,
        spawned_at=spawned_at,
        health_path=options.get("health_path", DEFAULT_HEALTH_PATH),
        unix_socket=options.get("unix_socket"),
    )


def start_server(
    command: Sequence[str],
    *,
    port: int,
    log_path: Path,
    timeout: float = STARTUP_TIMEOUT_SECONDS,
    log_tail_chars: int = LOG_TAIL_CHARS,
    **options: Unpack[SpawnOptions],
) -> ServerProcess:
    """:func:`spawn`, then wait until the health path answers (the server is stopped if it does not).

    Raises:
        ServerStartError: the server exited or did not answer within ``timeout`` seconds.
    """
    server = spawn(command, port=port, log_path=log_path, **options)
    server.wait_healthy(timeout, log_tail_chars=log_tail_chars)
    return server


@contextmanager
def running(
    command: Sequence[str],
    *,
    port: int,
    log_path: Path,
    timeout: float = STARTUP_TIMEOUT_SECONDS,
    **options: Unpack[SpawnOptions],
) -> Iterator[ServerProcess]:
    """:func:`start_server`, stopped on exit whatever happens."""
    server = start_server(command, port=port, log_path=log_path, timeout=timeout, **options)
    try:
        yield server
    finally:
        server.stop()


def socket_inodes(pid: int) -> set[int]:
    """Inode numbers of the sockets ``pid`` holds open, read from ``/proc/<pid>/fd`` (``socket:[<inode>]`` links).

    ``/proc/net/{tcp,tcp6,unix}`` name each socket by the same inode, so this is how a socket is tied to its process.
    """
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue  # closed meanwhile
        if target.startswith("socket:["):
            inodes.add(int(target[len("socket:[") : -1]))
    return inodes
