"""Which sockets a process listens on, read from /proc (Linux): what a local attacker could connect to."""

from __future__ import annotations

import socket
from pathlib import Path

from local.processes import socket_inodes

_TCP_LISTEN = "0A"  # /proc/net/tcp `st` column: TCP_LISTEN = 10 (include/net/tcp_states.h)
_UNIX_ACCEPTING = 0x00010000  # /proc/net/unix `Flags` column: __SO_ACCEPTCON, a listening socket


def child_pids(pid: int) -> list[int]:
    """The processes whose parent is `pid`."""
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # exited meanwhile
        if int(fields[1]) == pid:
            children.append(int(stat.parent.name))
    return children


def tcp_listeners(pid: int) -> set[tuple[str, int]]:
    """(address, port) of every TCP socket (IPv4 and IPv6) `pid` holds in LISTEN state."""
    inodes, found = socket_inodes(pid), set()
    for table, family in (("tcp", socket.AF_INET), ("tcp6", socket.AF_INET6)):
        for line in Path(f"/proc/net/{table}").read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] == _TCP_LISTEN and int(fields[9]) in inodes:
                hex_address, hex_port = fields[1].split(":")
                raw = bytes.fromhex(hex_address)
                words = b"".join(raw[i : i + 4][::-1] for i in range(0, len(raw), 4))  # each 32-bit word is host order
                found.add((socket.inet_ntop(family, words), int(hex_port, 16)))
    return found


def unix_listeners(pid: int) -> set[str]:
    """Paths of every listening Unix socket `pid` holds."""
    inodes, found = socket_inodes(pid), set()
    for line in Path("/proc/net/unix").read_text().splitlines()[1:]:
        fields = line.split()
        if len(fields) >= 8 and int(fields[3], 16) & _UNIX_ACCEPTING and int(fields[6]) in inodes:
            found.add(fields[7])
    return found
