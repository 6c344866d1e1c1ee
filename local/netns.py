"""A network namespace of its own whose 169.254.170.2 is this host's loopback, for restoring one snapshot twice at once.

WHY: two processes restored from one CRIU image at the same time keep the PID, the listening port and every
socket the snapshot had, so each needs network (and PID) namespaces of its own, as each V2 microVM has. Inside,
the agent must reach the stand-ins (moto, the Bedrock stand-in, the OTLP sink, the container-credentials
endpoint), which listen on this host's 127.0.0.1, and botocore takes container credentials only from a loopback
address or 169.254.170.2/.23 (``botocore/utils.py``, ``ContainerMetadataFetcher._validate_allowed_url``, used by
``ContainerProvider`` in ``botocore/credentials.py``).

How: ``slirp4netns`` (as the container tests use it) joins the namespace through a tap device. Given
``--cidr 169.254.170.0/24`` its gateway is 169.254.170.2 and forwards to this host's loopback, and the namespace
gets 169.254.170.100 and ``lo`` up (``--configure``); the API socket's ``add_hostfwd`` forwards a free port of
this host's 127.0.0.1 to a port inside. WHY not a veth pair: a veth reaches only addresses of this host's own
interfaces, not its loopback, so the stand-ins would have to listen on 169.254.170.2 or 0.0.0.0, or this host's
firewall would have to rewrite addresses (``route_localnet`` + DNAT); and 169.254.170.2 plus one route per
namespace would have to be added to this host, colliding with any other run doing the same. slirp4netns changes
nothing outside the namespace.

The namespace is held by ``unshare --net cat`` reading a pipe, and ``slirp4netns --exit-fd`` watches another:
both end when this process closes them or dies, so nothing outlives the caller.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from local.processes import LOOPBACK, free_port

GATEWAY = "169.254.170.2"  # slirp4netns' gateway in CIDR: this host's loopback, seen from inside
CIDR = "169.254.170.0/24"
TAP_DEVICE = "tap0"
MTU = 65520  # slirp4netns' maximum: fewer, larger segments through the user-mode stack
READY_SECONDS = 10.0
STOP_SECONDS = 5.0
API_TIMEOUT_SECONDS = 5.0
POLL_SECONDS = 0.005
REQUIRED_TOOLS = ("slirp4netns", "unshare", "nsenter")


class NetworkError(RuntimeError):
    """The namespace or slirp4netns could not be set up (the message quotes slirp4netns' output)."""


def unavailable_reason() -> str | None:
    """Why an isolated network cannot be made here (None when it can): root and the tools are needed."""
    if os.geteuid() != 0:
        return "network namespaces for restored processes need root"
    missing = [tool for tool in REQUIRED_TOOLS if shutil.which(tool) is None]
    if missing:
        return f"{', '.join(missing)} not on PATH (scripts/criu_prereqs.sh installs slirp4netns)"
    return None


def _net_namespace(pid: int | str) -> str:
    return os.readlink(f"/proc/{pid}/ns/net")


@dataclass
class IsolatedNetwork:
    """One network namespace joined to this host's loopback by slirp4netns.

    Attributes:
        holder: ``unshare --net cat``, the process whose namespace this is (it exits when its stdin closes).
        slirp: the slirp4netns process serving the namespace.
        api_socket: slirp4netns' API socket (``add_hostfwd``).
        log_path: slirp4netns' output.
    """

    holder: subprocess.Popen[bytes]
    slirp: subprocess.Popen[bytes]
    api_socket: Path
    log_path: Path
    _exit_fd: int

    @property
    def path(self) -> str:
        """The namespace as a file (``nsenter --net=``; CRIU's ``--inherit-fd`` gets it opened)."""
        return f"/proc/{self.holder.pid}/ns/net"

    def forward(self, guest_port: int) -> str:
        """Forward a free port of this host's 127.0.0.1 to ``guest_port`` inside; returns ``http://127.0.0.1:<port>``.

        Raises:
            NetworkError: slirp4netns refused.
        """
        host_port = free_port()  # left in TIME_WAIT; libslirp listens with SO_REUSEADDR
        arguments = {"proto": "tcp", "host_addr": LOOPBACK, "host_port": host_port, "guest_port": guest_port}
        reply = self._call({"execute": "add_hostfwd", "arguments": arguments})
        if "return" not in reply:
            raise NetworkError(f"slirp4netns add_hostfwd {arguments} failed: {reply}")
        return f"http://{LOOPBACK}:{host_port}"

    def _call(self, request: dict[str, Any]) -> dict[str, Any]:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as api:
            api.settimeout(API_TIMEOUT_SECONDS)
            api.connect(str(self.api_socket))
            api.sendall(json.dumps(request).encode())
            api.shutdown(socket.SHUT_WR)
            reply = b"".join(iter(lambda: api.recv(4096), b""))
        answer: dict[str, Any] = json.loads(reply)
        return answer

    def close(self) -> None:
        """Stop slirp4netns and the holder (the namespace goes once no process is in it); safe to call twice."""
        if self._exit_fd >= 0:
            os.close(self._exit_fd)  # slirp4netns --exit-fd: exits when this closes
            self._exit_fd = -1
        _stop(self.slirp)
        if self.holder.stdin is not None and not self.holder.stdin.closed:
            self.holder.stdin.close()  # cat reads EOF and exits
        _stop(self.holder)


def _stop(process: subprocess.Popen[bytes]) -> None:
    try:
        process.wait(STOP_SECONDS)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(STOP_SECONDS)


def _hold_namespace() -> subprocess.Popen[bytes]:
    """``unshare --net cat``, returned once it is in its new namespace (slirp4netns joins it by PID)."""
    holder = subprocess.Popen(
        ["unshare", "--net", "--", "cat"], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    ours, deadline = _net_namespace("self"), time.monotonic() + READY_SECONDS
    # Until unshare has exec'd cat, the PID is still in this host's namespace; slirp4netns would configure that one.
    while _net_namespace(holder.pid) == ours:
        if holder.poll() is not None or time.monotonic() > deadline:
            holder.kill()
            holder.wait(STOP_SECONDS)
            raise NetworkError(f"unshare --net did not enter a new namespace (exit code {holder.returncode})")
        time.sleep(POLL_SECONDS)
    return holder


def _start_slirp(
    holder: subprocess.Popen[bytes], api_socket: Path, log: IO[bytes]
) -> tuple[subprocess.Popen[bytes], int]:
    """slirp4netns for the holder's namespace, returned once it reports the network configured."""
    ready_read, ready_write = os.pipe()
    exit_read, exit_write = os.pipe()
    try:
        slirp = subprocess.Popen(
            [
                "slirp4netns",
                "--configure",
                f"--mtu={MTU}",
                f"--cidr={CIDR}",
                "--disable-dns",
                f"--api-socket={api_socket}",
                f"--ready-fd={ready_write}",
                f"--exit-fd={exit_read}",
                str(holder.pid),
                TAP_DEVICE,
            ],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,
            pass_fds=(ready_write, exit_read),
        )
    finally:
        os.close(ready_write)
        os.close(exit_read)
    try:
        readable, _, _ = select.select([ready_read], [], [], READY_SECONDS)
        ready = os.read(ready_read, 1) if readable else b""
    finally:
        os.close(ready_read)
    if ready != b"1":
        os.close(exit_write)
        _stop(slirp)
        raise NetworkError(f"slirp4netns did not report ready within {READY_SECONDS:g} s (exit {slirp.returncode})")
    return slirp, exit_write


@contextlib.contextmanager
def isolated_network(directory: Path) -> Iterator[IsolatedNetwork]:
    """A new network namespace joined to this host's loopback, removed on exit (its files go in ``directory``).

    Raises:
        NetworkError: it could not be set up (the message quotes slirp4netns' log).
    """
    directory.mkdir(parents=True, exist_ok=True)
    api_socket, log_path = directory / "slirp4netns.sock", directory / "slirp4netns.log"
    holder = _hold_namespace()
    try:
        with log_path.open("wb") as log:
            slirp, exit_fd = _start_slirp(holder, api_socket, log)
    except BaseException as error:
        holder.kill()
        holder.wait(STOP_SECONDS)
        if isinstance(error, NetworkError):
            raise NetworkError(f"{error}; {log_path} says: {log_path.read_text(errors='replace')[-2000:]}") from None
        raise
    network = IsolatedNetwork(holder=holder, slirp=slirp, api_socket=api_socket, log_path=log_path, _exit_fd=exit_fd)
    try:
        yield network
    finally:
        network.close()
