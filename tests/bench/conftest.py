"""Fixtures for the benchmark's own tests: the stub model server as a real process on a free port."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from bench.client import invoke, new_session_id
from bench.scenarios import REMEMBER_PROMPT, name_prompt
from bench.targets import started_stub
from local.processes import ServerProcess


@pytest.fixture(scope="module")
def stub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """``python -m local.openai_stub --one-delta``, as the benchmark runs it, until the module's tests are done."""
    with started_stub(log_dir=Path(tmp_path_factory.mktemp("stub-logs"))) as server:
        yield server


def two_sessions(server: ServerProcess, http: httpx.Client) -> tuple[tuple[str, str, str], tuple[str, str]]:
    """Ann introduces herself in session A and asks again there, then session B asks; all three must answer 200.

    Returns (the three answers, (session A, session B)).
    """
    session_a, session_b = new_session_id("a"), new_session_id("b")
    first = invoke(http, server.base_url, session_a, name_prompt("Ann"))
    same = invoke(http, server.base_url, session_a, REMEMBER_PROMPT)
    other = invoke(http, server.base_url, session_b, REMEMBER_PROMPT)
    assert (first.status, same.status, other.status) == (200, 200, 200)
    return (first.answer, same.answer, other.answer), (session_a, session_b)
