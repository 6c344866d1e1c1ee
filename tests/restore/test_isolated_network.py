"""local/netns.py: a namespace that reaches this host's loopback only at 169.254.170.2, and leaves nothing behind;
local/snapshot.py's restore refuses a network that does not match how the checkpoint was taken."""

from __future__ import annotations

import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from local import netns
from local.processes import LOOPBACK
from local.snapshot import Checkpoint, SnapshotError, restore
from tests.support.prerequisites import missing_prerequisite

CONNECT = "import socket, sys; socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=5).close()"


@pytest.fixture
def listener() -> Iterator[int]:
    """A TCP listener on this host's 127.0.0.1; yields its port."""
    with socket.socket() as server:
        server.bind((LOOPBACK, 0))
        server.listen()
        yield server.getsockname()[1]


def _connect_from(network: netns.IsolatedNetwork, host: str, port: int) -> subprocess.CompletedProcess[str]:
    command = ["nsenter", f"--net={network.path}", sys.executable, "-c", CONNECT, host, str(port)]
    return subprocess.run(command, capture_output=True, text=True, timeout=30, check=False)


def test_the_namespace_reaches_this_hosts_loopback_at_the_gateway_only(tmp_path: Path, listener: int) -> None:
    if (reason := netns.unavailable_reason()) is not None:
        missing_prerequisite(reason)
    with netns.isolated_network(tmp_path) as network:
        through_gateway = _connect_from(network, netns.GATEWAY, listener)
        own_loopback = _connect_from(network, LOOPBACK, listener)
        holder, slirp = network.holder, network.slirp

    assert (through_gateway.returncode, through_gateway.stderr) == (0, "")
    assert "ConnectionRefusedError" in own_loopback.stderr  # 127.0.0.1 inside is the namespace's own
    assert (holder.poll() is not None, slirp.poll() is not None) == (True, True)


def _checkpoint(external_net: str | None) -> Checkpoint:
    return Checkpoint(
        images=Path("/nonexistent"),
        pid=1,
        output_inode=1,
        port=8080,
        dumped_in_seconds=0.0,
        taken_at=0.0,
        external_net=external_net,
    )


def test_restore_refuses_a_network_unlike_the_checkpoints(tmp_path: Path) -> None:
    if (reason := netns.unavailable_reason()) is not None:
        missing_prerequisite(reason)
    with netns.isolated_network(tmp_path / "network") as network:
        with pytest.raises(SnapshotError) as without:
            restore(_checkpoint("agent-net"), log_path=tmp_path / "a.log", work_dir=tmp_path / "a")
        with pytest.raises(SnapshotError) as with_one:
            restore(_checkpoint(None), log_path=tmp_path / "b.log", work_dir=tmp_path / "b", network=network)

    assert str(without.value) == (
        "the checkpoint was taken in a network namespace of its own but the restore was asked without a network: "
        "pass network= exactly when the checkpoint was taken with one"
    )
    assert str(with_one.value) == (
        "the checkpoint was taken in this machine's network but the restore was asked with a network: "
        "pass network= exactly when the checkpoint was taken with one"
    )
