"""The two-session scenario the benchmark's targets are checked with."""

from __future__ import annotations

import httpx

from bench.client import invoke, new_session_id
from bench.scenarios import REMEMBER_PROMPT, name_prompt
from local.processes import ServerProcess


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
