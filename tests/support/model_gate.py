"""The test's side of the scripted model's gate: know that a turn is inside the model, then let it go (or fail).

A prompt ``hold <name>`` makes every model call of that turn connect to this gate's Unix socket and wait for
a word (see ``tests/support/scripted_model.py``). ``gate.wait_entered()`` returns once a call is inside the
model, so a test can ``kill -9`` the server mid-turn or keep a session busy, with events instead of sleeps.
The timeouts here only bound a failing test; no assertion depends on them.
"""

from __future__ import annotations

import shutil
import socket
import tempfile
from dataclasses import dataclass
from pathlib import Path

from tests.support.scripted_model import GATE_ENV  # defined where the agent process reads it

FAILURE_BOUND_SECONDS = 60.0


@dataclass
class HeldCall:
    """One model call waiting at the gate."""

    name: str
    connection: socket.socket

    def release(self) -> None:
        """Let the model answer by its script."""
        self._send("go")

    def fail(self) -> None:
        """Make the model raise an exception no provider raises (a bug, as far as the server can tell)."""
        self._send("fail")

    def _send(self, word: str) -> None:
        try:
            self.connection.sendall(f"{word}\n".encode())
        finally:
            self.connection.close()


class ModelGate:
    """A Unix socket the scripted model reports to; pass ``env`` to the agent process."""

    def __init__(self) -> None:
        # A short directory of its own: Unix socket paths are limited to 107 bytes, pytest's tmp_path is longer.
        self._directory = Path(tempfile.mkdtemp(prefix="gate-"))
        self.path = self._directory / "model.sock"
        self._server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._server.bind(str(self.path))
        self._server.listen(64)
        self._server.settimeout(FAILURE_BOUND_SECONDS)

    @property
    def env(self) -> dict[str, str]:
        """Environment that points the agent's scripted model at this gate."""
        return {GATE_ENV: str(self.path)}

    def wait_entered(self) -> HeldCall:
        """Block until a model call is held at the gate and return it."""
        connection, _ = self._server.accept()
        connection.settimeout(FAILURE_BOUND_SECONDS)
        name = connection.makefile("r", encoding="utf-8").readline().strip()
        return HeldCall(name=name, connection=connection)

    def close(self) -> None:
        """Stop listening and remove the socket."""
        self._server.close()
        shutil.rmtree(self._directory, ignore_errors=True)
