"""Checkpoint a running server with CRIU and restore it from the same images, as AgentCore Runtime's platform V2 does.

WHY: V2 starts the agent once per runtime version, snapshots it after its first healthy ``/ping`` and restores
every session's microVM from that snapshot, so whatever the process made at startup is shared by every
restored instance. CRIU (checkpoint/restore in userspace) gives the same property to a process on this machine:
the snapshot rehearsal (tests/restore) and the benchmark's restore rows run the real agent through it.

How, and why each step (CRIU 4.2.1, built by ``scripts/criu_prereqs.sh``; root is required):
- the server is started as PID 1 of a PID namespace of its own and as its own session leader (``unshare --pid
  --fork setsid``), stdin on ``/dev/null`` and stdout/stderr on a pipe: CRIU restores PIDs, and a namespace's
  init gets a new namespace on every restore, so no other process can have taken its PID; CRIU dumps a whole
  session without ``--shell-job``; and a log file that grew after the dump fails the restore's size check, while
  a pipe is simply replaced. Each restore hands CRIU a new pipe for the old one (``--inherit-fd
  fd[N]:pipe:[inode]``), so every restored instance has an output of its own;
- ``criu dump`` stops and kills the process (``unshare`` then exits and is reaped);
- ``criu restore -d --restore-sibling`` detaches and makes the restored process a child of the caller, which
  stops and reaps it (``waitpid``) before the next restore from the same images can take the port (the network
  is this machine's);
- ``--tcp-established`` lets a process with open TCP connections be dumped at all (as a VM snapshot would);
  whether it had any is for the caller to judge (:func:`tcp_connections`), since a restored copy of a
  connection is one the peer no longer knows;
- to restore one image several times at once, start the server in a network namespace of its own
  (``network=``, ``local/netns.py``): the dump names that namespace external (``--external net[<inode>]:<key>``)
  instead of saving it, and each restore puts its process into another prepared namespace handed over as an open
  file (``--inherit-fd fd[N]:<key>``), the way runc and crun restore a container into a new network namespace.
  Same PID, same port, no clash.
"""

from __future__ import annotations

import contextlib
import os
import select
import shutil
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from local.netns import IsolatedNetwork
from local.processes import REPO_ROOT, health_answers, socket_inodes, wait_until_healthy

CRIU_VERSION = "4.2.1"
CACHE_DIR_ENV = "CRIU_CACHE_DIR"  # shared with scripts/criu_prereqs.sh
DEFAULT_CACHE_DIR = Path("/var/cache/agentcore-session")
PREREQS_SCRIPT = REPO_ROOT / "scripts" / "criu_prereqs.sh"
CRIU_TIMEOUT_SECONDS = 120.0
# V2 restores a snapshot minutes or days after it was taken. The agent notices a restore by the wall clock having
# run ahead of the monotonic clock (which CRIU restores to its value at the dump) by more than a second
# (agent/restore_watch.py); restoring sooner than this after the checkpoint would hide the restore from it.
RESTORE_AFTER_SECONDS = 3.0
STOP_GRACE_SECONDS = 10.0
POLL_SECONDS = 0.005
EXTERNAL_NET_KEY = "agent-net"  # names the dumped process's own network namespace in the images
_TCP_STATES = {  # include/net/tcp_states.h
    "01": "ESTABLISHED",
    "02": "SYN_SENT",
    "03": "SYN_RECV",
    "04": "FIN_WAIT1",
    "05": "FIN_WAIT2",
    "06": "TIME_WAIT",
    "07": "CLOSE",
    "08": "CLOSE_WAIT",
    "09": "LAST_ACK",
    "0A": "LISTEN",
    "0B": "CLOSING",
}


class SnapshotError(RuntimeError):
    """CRIU failed, or a restored process did not answer in time (the message quotes CRIU's log)."""


def criu_path() -> Path:
    """Where ``scripts/criu_prereqs.sh`` caches the binary for :data:`CRIU_VERSION`."""
    cache = Path(os.environ.get(CACHE_DIR_ENV) or DEFAULT_CACHE_DIR)
    return cache / f"criu-{CRIU_VERSION}" / "criu"


def unavailable_reason() -> str | None:
    """Why checkpoint/restore cannot run here (None when it can): CRIU needs root and the built binary.

    As root, a missing binary is built by ``scripts/criu_prereqs.sh`` (minutes, once; instant when cached).
    """
    if os.geteuid() != 0:
        return "CRIU needs root (checkpoint/restore of another process); run as root, e.g. in CI (.ci/run)"
    if not os.access(criu_path(), os.X_OK):
        completed = subprocess.run(["bash", str(PREREQS_SCRIPT)], capture_output=True, text=True, check=False)
        if completed.returncode != 0:
            return f"{PREREQS_SCRIPT.name} failed (exit {completed.returncode}): {completed.stderr.strip()[-2000:]}"
    # `criu check` asks the kernel for what dump and restore need (e.g. a container without CAP_SYS_ADMIN fails).
    checked = subprocess.run([str(criu_path()), "check"], capture_output=True, text=True, check=False)
    if checked.returncode != 0:
        return f"{criu_path()} check failed (exit {checked.returncode}): {checked.stderr.strip()[-2000:]}"
    return None


@dataclass
class OutputPipe:
    """A pipe whose read end a daemon thread copies into ``log_path``; ``write_fd`` goes to the server."""

    log_path: Path
    read_fd: int = field(init=False)
    write_fd: int = field(init=False)
    inode: int = field(init=False)
    _thread: threading.Thread = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.read_fd, self.write_fd = os.pipe()
        self.inode = os.fstat(self.read_fd).st_ino  # how CRIU's images name the pipe: pipe:[inode]
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._thread = threading.Thread(target=self._copy, name=f"output-{self.log_path.name}", daemon=True)
        self._thread.start()

    def close_writer(self) -> None:
        """Close this process's copy of the write end once the server (or CRIU) holds it."""
        if self.write_fd >= 0:
            os.close(self.write_fd)
            self.write_fd = -1

    def _copy(self) -> None:
        with self.log_path.open("ab") as log, os.fdopen(self.read_fd, "rb", buffering=0) as pipe:
            while chunk := pipe.read(65536):
                log.write(chunk)
                log.flush()

    def wait_closed(self, timeout: float) -> None:
        """Wait until every writer closed the pipe and the copy ended."""
        self.close_writer()
        self._thread.join(timeout)

    def text(self) -> str:
        """What the server wrote so far."""
        return self.log_path.read_text(encoding="utf-8", errors="replace") if self.log_path.exists() else ""


@dataclass(frozen=True)
class Checkpoint:
    """CRIU images of one process, and what a restore needs to know about them."""

    images: Path
    pid: int
    output_inode: int
    port: int
    dumped_in_seconds: float
    taken_at: float
    external_net: str | None = None  # the key of the network namespace left out of the images, if any

    def wait_until_aged(self, seconds: float = RESTORE_AFTER_SECONDS) -> None:
        """Block until ``seconds`` of wall-clock time have passed since the dump (see RESTORE_AFTER_SECONDS)."""
        while (remaining := self.taken_at + seconds - time.time()) > 0:
            time.sleep(remaining)


class ProcessChild:
    """A child process known by PID (a restored one is not a ``Popen``): wait, stop and reap it by pidfd."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self._pidfd = os.pidfd_open(pid)
        self.returncode: int | None = None

    def exited(self, timeout: float = 0.0) -> bool:
        """True once the process has exited (it is then reaped); waits at most ``timeout`` seconds."""
        if self.returncode is not None:
            return True
        readable, _, _ = select.select([self._pidfd], [], [], timeout)
        if not readable:
            return False
        _, status = os.waitpid(self.pid, 0)
        self.returncode = os.waitstatus_to_exitcode(status)
        os.close(self._pidfd)
        return True

    def stop(self, grace_seconds: float = STOP_GRACE_SECONDS) -> int:
        """SIGTERM, SIGKILL after ``grace_seconds``, then reap; returns the exit code (safe to call twice)."""
        if not self.exited():
            signal.pidfd_send_signal(self._pidfd, signal.SIGTERM)
            if not self.exited(grace_seconds):
                signal.pidfd_send_signal(self._pidfd, signal.SIGKILL)
                self.exited(grace_seconds)
        assert self.returncode is not None
        return self.returncode

    def signal(self, signum: int) -> None:
        """Send ``signum`` (the process must still be running)."""
        signal.pidfd_send_signal(self._pidfd, signum)


@dataclass
class SnapshotServer:
    """A server started for checkpointing, listening on 127.0.0.1:``port``.

    Attributes:
        process: ``unshare``, which waits for the server and exits with it.
        pid: the server's PID in this namespace (it is PID 1 of its own PID namespace): what CRIU dumps.
        output: the pipe its stdout and stderr go to.
        port: where it listens (inside ``network`` when it has one).
        network: the network namespace it runs in (None: this machine's).
        forwarded_url: ``network``'s forward of ``port`` to this machine's loopback.
    """

    process: subprocess.Popen[bytes]
    pid: int
    output: OutputPipe
    port: int
    network: IsolatedNetwork | None = None
    forwarded_url: str | None = None

    @property
    def base_url(self) -> str:
        """Where this machine reaches it: ``http://127.0.0.1:<port>``, or the forwarded port."""
        return self.forwarded_url or f"http://127.0.0.1:{self.port}"

    def wait_healthy(self, timeout: float) -> float:
        """The ``time.perf_counter()`` at which ``GET /ping`` first answered 200.

        Raises:
            ServerStartError: the server exited first, or ``timeout`` seconds passed (the message quotes its log).
        """
        return wait_until_healthy(
            self.base_url, process=self.process, timeout=timeout, name="server", log_path=self.output.log_path
        )

    def stop(self) -> None:
        """Stop the server if it still runs (after a checkpoint it has already been killed and reaped)."""
        if self.process.poll() is None:
            _signal_quietly(self.pid, signal.SIGTERM)
            try:
                self.process.wait(STOP_GRACE_SECONDS)
            except subprocess.TimeoutExpired:
                _signal_quietly(self.pid, signal.SIGKILL)
                self.process.wait(STOP_GRACE_SECONDS)
        self.output.wait_closed(STOP_GRACE_SECONDS)


def _signal_quietly(pid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):  # it exited meanwhile
        os.kill(pid, signum)


def _only_child(pid: int, timeout: float = 10.0) -> int:
    """The one child of ``pid`` (``unshare --fork`` forks the server at once), read from /proc."""
    children = Path(f"/proc/{pid}/task/{pid}/children")
    deadline = time.monotonic() + timeout
    while True:
        found = children.read_text().split() if children.exists() else []
        if len(found) == 1:
            return int(found[0])
        if time.monotonic() > deadline:
            raise SnapshotError(f"process {pid} has children {found}, expected exactly one")
        time.sleep(POLL_SECONDS)


def start_for_snapshot(
    command: Sequence[str],
    *,
    port: int,
    env: Mapping[str, str],
    log_path: Path,
    cwd: Path = REPO_ROOT,
    network: IsolatedNetwork | None = None,
) -> SnapshotServer:
    """Start ``command`` (listening on 127.0.0.1:``port``) with exactly ``env`` as PID 1 and session leader of a
    new PID namespace (``unshare --pid --fork setsid …``), sharing this machine's network, or in ``network``
    (``nsenter --net=…``; the server must then listen on 0.0.0.0:``port``, reached through a forwarded port).

    WHY a PID namespace: CRIU restores the PID the process had. In this machine's namespace that PID is free
    again once the process is reaped, but any process started meanwhile may take it (``pid_max`` can be as small
    as 32768), and the restore then fails. Each restore of a namespace's init gets a new namespace, where PID 1
    is always free. As on V2, every restored instance keeps the PID it had at the snapshot.
    """
    forwarded = network.forward(port) if network else None
    enter = ["nsenter", f"--net={network.path}"] if network else []  # nsenter execs unshare: same PID
    output = OutputPipe(log_path)
    try:
        process = subprocess.Popen(
            [*enter, "unshare", "--pid", "--fork", "setsid", *command],
            cwd=cwd,
            env=dict(env),
            stdin=subprocess.DEVNULL,
            stdout=output.write_fd,
            stderr=output.write_fd,
            start_new_session=True,
        )
    finally:
        output.close_writer()
    return SnapshotServer(
        process=process,
        pid=_only_child(process.pid),
        output=output,
        port=port,
        network=network,
        forwarded_url=forwarded,
    )


def wait_inbound_closed(server: SnapshotServer, timeout: float = 10.0) -> None:
    """Wait until the server holds no connection accepted on its port (the health probes' close after answering).

    AgentCore snapshots after the first healthy /ping answered; a probe's connection still closing at the dump
    would be one more socket in the image, not the agent's doing.

    Raises:
        SnapshotError: some inbound connection stayed open ``timeout`` seconds.
    """
    suffix = f":{server.port}"
    deadline = time.monotonic() + timeout
    while any(local.endswith(suffix) for local, _, _ in tcp_connections(server.pid)):
        if time.monotonic() > deadline:
            raise SnapshotError(f"inbound connections to port {server.port} still open after {timeout:g} s")
        time.sleep(POLL_SECONDS)


def _run_criu(criu: Path, args: Sequence[str], *, log: Path, pass_fds: Sequence[int] = ()) -> None:
    completed = subprocess.run(
        [str(criu), *args, "-o", str(log), "-v4"],
        capture_output=True,
        text=True,
        timeout=CRIU_TIMEOUT_SECONDS,
        pass_fds=tuple(pass_fds),
        check=False,
    )
    if completed.returncode != 0:
        tail = log.read_text(errors="replace")[-3000:] if log.exists() else completed.stderr[-3000:]
        raise SnapshotError(f"criu {args[0]} failed with exit code {completed.returncode}; {log} ends:\n{tail}")


def checkpoint(server: SnapshotServer, images: Path, *, criu: Path | None = None) -> Checkpoint:
    """Dump ``server`` into ``images`` with CRIU (which kills it) and reap it, freeing its PID and port."""
    criu = criu or criu_path()
    images.mkdir(parents=True, exist_ok=True)
    external = []
    if server.network is not None:
        namespace = os.stat(f"/proc/{server.pid}/ns/net").st_ino
        external = ["--external", f"net[{namespace}]:{EXTERNAL_NET_KEY}"]
    started = time.perf_counter()
    try:
        _run_criu(
            criu,
            ["dump", "-t", str(server.pid), "-D", str(images), "--tcp-established", *external],
            log=images / "dump.log",
        )
    finally:
        if server.process.poll() is None:
            server.process.wait(STOP_GRACE_SECONDS)
    dumped = time.perf_counter() - started
    inode = server.output.inode
    server.output.wait_closed(STOP_GRACE_SECONDS)
    return Checkpoint(
        images=images,
        pid=server.pid,
        output_inode=inode,
        port=server.port,
        dumped_in_seconds=dumped,
        taken_at=time.time(),
        external_net=EXTERNAL_NET_KEY if server.network is not None else None,
    )


@dataclass
class RestoredServer:
    """One process restored from a checkpoint, a child of the caller; ``restore_started`` is a perf_counter."""

    child: ProcessChild
    output: OutputPipe
    port: int
    restore_started: float
    restore_started_wall: float
    forwarded_url: str | None = None  # the restore's network forwards this machine's loopback to ``port``

    @property
    def base_url(self) -> str:
        """Where this machine reaches it: ``http://127.0.0.1:<port>``, or the forwarded port."""
        return self.forwarded_url or f"http://127.0.0.1:{self.port}"

    def wait_healthy(self, timeout: float = 30.0) -> float:
        """Seconds from the start of the restore until ``/ping`` answered, probing it while blocking on the exit.

        Raises:
            SnapshotError: the process exited, or ``timeout`` seconds passed.
        """
        deadline = time.perf_counter() + timeout
        while not health_answers(self.base_url):
            remaining = deadline - time.perf_counter()
            if remaining <= 0:
                raise SnapshotError(f"{self.base_url} did not answer GET /ping within {timeout:g} s")
            if self.child.exited(min(POLL_SECONDS, remaining)):
                raise SnapshotError(
                    f"process {self.child.pid} exited with code {self.child.returncode} before answering"
                )
        return time.perf_counter() - self.restore_started

    def stop(self) -> int:
        """SIGTERM (SIGKILL after a grace period), reap, and wait for its output to end; returns the exit code."""
        code = self.child.stop()
        self.output.wait_closed(STOP_GRACE_SECONDS)
        return code


def restore(
    snapshot: Checkpoint,
    *,
    log_path: Path,
    work_dir: Path,
    criu: Path | None = None,
    network: IsolatedNetwork | None = None,
) -> RestoredServer:
    """Restore a process from ``snapshot``, detached, as the caller's child.

    Args:
        snapshot: the images to restore; they are not changed, so several restores can follow one another, or
            run at once when each has a ``network`` of its own.
        log_path: where the restored process's stdout/stderr are copied.
        work_dir: CRIU's log and pidfile of this restore.
        criu: the CRIU binary (default: :func:`criu_path`).
        network: the namespace to restore into; required when the checkpoint was taken in one (else this
            machine's, where the PID and port must be free).

    Raises:
        SnapshotError: CRIU failed, or ``network`` does not match how the checkpoint was taken.
    """
    if (network is None) != (snapshot.external_net is None):
        taken = "in a network namespace of its own" if snapshot.external_net else "in this machine's network"
        raise SnapshotError(
            f"the checkpoint was taken {taken} but the restore was asked {'with' if network else 'without'} "
            "a network: pass network= exactly when the checkpoint was taken with one"
        )
    criu = criu or criu_path()
    work_dir.mkdir(parents=True, exist_ok=True)
    pidfile = work_dir / "restored.pid"
    output = OutputPipe(log_path)
    inherited = [output.write_fd]
    net_args, forwarded = [], None
    if network is not None:
        forwarded = network.forward(snapshot.port)
        inherited.append(os.open(network.path, os.O_RDONLY | os.O_CLOEXEC))
        net_args = ["--inherit-fd", f"fd[{inherited[-1]}]:{snapshot.external_net}"]
    wall, started = time.time(), time.perf_counter()
    try:
        _run_criu(
            criu,
            [
                "restore",
                "-D",
                str(snapshot.images),
                "-W",
                str(work_dir),
                "-d",
                "--restore-sibling",
                "--tcp-established",
                "--pidfile",
                str(pidfile),
                "--inherit-fd",
                f"fd[{output.write_fd}]:pipe:[{snapshot.output_inode}]",
                *net_args,
            ],
            log=work_dir / "restore.log",
            pass_fds=inherited,
        )
    finally:
        output.close_writer()
        for fd in inherited[1:]:
            os.close(fd)
    pid = int(pidfile.read_text().strip())
    return RestoredServer(
        child=ProcessChild(pid),
        output=output,
        port=snapshot.port,
        restore_started=started,
        restore_started_wall=wall,
        forwarded_url=forwarded,
    )


def tcp_connections(pid: int) -> list[tuple[str, str, str]]:
    """The process's TCP sockets other than listening ones, as (local address, remote address, state).

    Read from ``/proc/<pid>/fd`` (socket inodes) and ``/proc/<pid>/net/tcp`` and ``tcp6`` (the process's network
    namespace): a connection open at checkpoint time is one every restored instance would try to reuse.
    """
    inodes = socket_inodes(pid)
    found = []
    for table, family in (("tcp", socket.AF_INET), ("tcp6", socket.AF_INET6)):
        path = Path(f"/proc/{pid}/net/{table}")
        if not path.exists():
            continue
        for line in path.read_text().splitlines()[1:]:
            fields = line.split()
            state, inode = fields[3], fields[9]
            if int(inode) in inodes and state != "0A":
                found.append((_address(fields[1], family), _address(fields[2], family), _TCP_STATES.get(state, state)))
    return found


def _address(hex_address: str, family: int) -> str:
    host, _, port = hex_address.partition(":")
    raw = bytes.fromhex(host)
    # /proc/net/tcp prints an IPv4 address as one little-endian word, an IPv6 address as four.
    words = [raw] if family == socket.AF_INET else [raw[i : i + 4] for i in range(0, 16, 4)]
    packed = b"".join(word[::-1] for word in words)
    return f"{socket.inet_ntop(family, packed)}:{int(port, 16)}"


def remove_images(snapshot: Checkpoint) -> None:
    """Delete a checkpoint's images (hundreds of MB for an agent)."""
    shutil.rmtree(snapshot.images, ignore_errors=True)
