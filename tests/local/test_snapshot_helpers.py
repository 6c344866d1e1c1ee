"""local/snapshot.py's view of a process's TCP connections, which the rehearsal judges a checkpoint by."""

from __future__ import annotations

import os
import socket

from local.snapshot import tcp_connections


def test_an_open_connection_of_this_process_is_listed_and_a_listener_is_not() -> None:
    with socket.create_server(("127.0.0.1", 0)) as listener:
        port = listener.getsockname()[1]
        assert [c for c in tcp_connections(os.getpid()) if c[0].endswith(f":{port}")] == []

        with socket.create_connection(("127.0.0.1", port)) as client:
            accepted, _ = listener.accept()
            with accepted:
                local = f"127.0.0.1:{client.getsockname()[1]}"
                mine = [c for c in tcp_connections(os.getpid()) if local in c[:2]]

    assert set(mine) == {
        (f"127.0.0.1:{port}", local, "ESTABLISHED"),
        (local, f"127.0.0.1:{port}", "ESTABLISHED"),
    }
    assert len(mine) == 2
