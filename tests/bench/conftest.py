"""Fixtures for the benchmark's own tests: the stub model server as a real process on a free port."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.targets import started_stub
from local.processes import ServerProcess


@pytest.fixture(scope="module")
def stub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """``python -m local.openai_stub --one-delta``, as the benchmark runs it, until the module's tests are done."""
    with started_stub(log_dir=Path(tmp_path_factory.mktemp("stub-logs"))) as server:
        yield server
