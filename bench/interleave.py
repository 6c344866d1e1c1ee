"""Runs the same call plan against several targets at once, one call per target in turn.

On a shared 2-core machine background load comes and goes; giving call k to every target before call
k+1 makes each target see the same load, so their numbers can be compared. A target is anything that
answers ``(session_id, prompt) -> Call``: an agent server over HTTP, or the stub called directly.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import httpx

from bench.client import Call, invoke, new_session_id
from bench.scenarios import SessionOutcome, judge, prompt_for_turn

Invoker = Callable[[str, str], Call]
# call index → (session index, turn within that session)
Plan = Callable[[int], tuple[int, int]]


def http_invoker(client: httpx.Client, base_url: str) -> Invoker:
    """Invoke an agent server over HTTP."""
    return lambda session_id, prompt: invoke(client, base_url, session_id, prompt)


def one_session(call: int) -> tuple[int, int]:
    """Every call goes to session 0."""
    return 0, call


def blocks_of(turns_per_session: int) -> Plan:
    """Session j takes calls j·n … j·n+n-1 (every window holds the same mix of first and later turns)."""
    return lambda call: (call // turns_per_session, call % turns_per_session)


@dataclass
class _TargetRun:
    invoker: Invoker
    label: str
    session_ids: dict[int, str] = field(default_factory=dict)
    outcomes: dict[int, SessionOutcome] = field(default_factory=dict)
    ordered: list[Call] = field(default_factory=list)


def run_interleaved(
    invokers: dict[str, Invoker], *, calls: int, plan: Plan, label: str
) -> dict[str, tuple[list[Call], list[SessionOutcome]]]:
    """Per target: its calls in order, and the outcome of each of its sessions."""
    runs = {name: _TargetRun(invoker, label) for name, invoker in invokers.items()}
    for index in range(calls):
        session, turn = plan(index)
        for run in runs.values():
            session_id = run.session_ids.setdefault(session, new_session_id(f"{label}{session}"))
            outcome = run.outcomes.setdefault(session, SessionOutcome(name=f"{label.title()} {session}"))
            call = run.invoker(session_id, prompt_for_turn(outcome.name, turn))
            judge(outcome, turn, call)
            run.ordered.append(call)
    return {name: (run.ordered, list(run.outcomes.values())) for name, run in runs.items()}
