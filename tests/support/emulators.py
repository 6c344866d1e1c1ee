"""The AWS emulator (moto in server mode) in the two forms the tests need.

WHY two: ``start_emulator`` serves moto's in-process backends, which every moto server in one process shares,
so a ``/moto-api/reset`` or a state-manager transition there reaches every test of that pytest worker. Tests that
reset moto or change its global state get their own ``python -m local.aws_emulator`` process instead.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from local.aws_emulator import start_emulator_process
from local.processes import ServerProcess


@dataclass(frozen=True)
class EmulatorProcess:
    """A moto server process of its own: its state is no other test's."""

    process: ServerProcess

    @property
    def endpoint_url(self) -> str:
        return self.process.base_url


@contextmanager
def emulator_process(log_dir: Path) -> Iterator[EmulatorProcess]:
    """``python -m local.aws_emulator`` on a free port until the block ends."""
    server = start_emulator_process(log_path=log_dir / "aws-emulator.log")
    try:
        yield EmulatorProcess(server)
    finally:
        server.stop()
