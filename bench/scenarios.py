"""The conversations the benchmark drives, and how answers are judged.

Every session states its own name and then asks for it back. The stub answers from the conversation
the agent sent, so an answer naming another session's name is cross-talk (histories mixed) and any
other wrong answer means the session's own history was lost.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import httpx

from bench.client import Call, invoke, new_session_id

REMEMBER_PROMPT = "Do you remember my name?"


def name_prompt(name: str) -> str:
    """The turn that states a session's name."""
    return f"My name is {name}."


def expected_recall(name: str) -> str:
    """The only correct answer to :data:`REMEMBER_PROMPT` in a session that stated ``name``."""
    return f"Your name is {name}."


def prompt_for_turn(name: str, turn: int) -> str:
    """Even turns state the name, odd turns ask for it: every invocation is exactly one model call."""
    return name_prompt(name) if turn % 2 == 0 else REMEMBER_PROMPT


@dataclass
class SessionOutcome:
    """What one session saw: its calls, failed calls, and recall answers that were wrong."""

    name: str
    calls: list[Call] = field(default_factory=list)
    wrong_recalls: list[str] = field(default_factory=list)

    @property
    def errors(self) -> int:
        """Calls that did not answer 200."""
        return sum(not call.ok for call in self.calls)


def judge(outcome: SessionOutcome, turn: int, call: Call) -> None:
    """Record ``call`` and, on a successful recall turn, whether it recalled this session's name."""
    outcome.calls.append(call)
    if call.ok and turn % 2 == 1 and call.answer != expected_recall(outcome.name):
        outcome.wrong_recalls.append(call.answer)


def run_session(client: httpx.Client, base_url: str, session_id: str, name: str, turns: int) -> SessionOutcome:
    """Drive one session for ``turns`` invocations, one after another."""
    outcome = SessionOutcome(name=name)
    for turn in range(turns):
        judge(outcome, turn, invoke(client, base_url, session_id, prompt_for_turn(name, turn)))
    return outcome


def cross_talk(outcomes: list[SessionOutcome]) -> int:
    """Wrong recalls that name another session's name (the other wrong ones are lost history)."""
    names = {o.name for o in outcomes}
    return sum(
        1 for o in outcomes for answer in o.wrong_recalls if any(answer == expected_recall(n) for n in names - {o.name})
    )


WARMUP_TURNS = 4


def warm_up(base_url: str, label: str = "warmup") -> SessionOutcome:
    """A few calls on a session of its own before timing: lazily imported code (ours imports the model
    client on first use) and first-connection costs belong to cold start, not to warm latency."""
    with httpx.Client() as client:
        return run_session(client, base_url, new_session_id(label), "Warm Up", WARMUP_TURNS)
