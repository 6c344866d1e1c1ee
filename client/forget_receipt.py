"""The receipt "forget me" answers with: read it strictly, show it readably, hand it on as JSON unchanged.

WHY strict: the receipt is the user's proof of erasure. A body that is not exactly the agent's contract
(`{"receipt": {"actor": str, "deleted": {kind: int}, "not_deleted": [{"kind", "reason"}], "complete": bool}}`,
docs/agent.md) must fail the command, not be shown as a partial success or drop the client's own records.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from client.errors import CliError

_SHOWN_CHARS = 200


@dataclass(frozen=True)
class NotDeleted:
    """One kind of data the agent could not erase, and why (e.g. log lines that expire by retention)."""

    kind: str
    reason: str


@dataclass(frozen=True)
class Receipt:
    """What the agent erased for one actor."""

    actor: str
    deleted: dict[str, int]
    not_deleted: tuple[NotDeleted, ...]
    complete: bool

    def as_json(self) -> dict[str, Any]:
        """The receipt in the agent's own shape (the `--json` output carries it unchanged)."""
        return {
            "actor": self.actor,
            "deleted": dict(self.deleted),
            "not_deleted": [{"kind": n.kind, "reason": n.reason} for n in self.not_deleted],
            "complete": self.complete,
        }


def parse_receipt(body: Any) -> Receipt:
    """The receipt of a 200 answer.

    Raises:
        CliError: the body breaks the contract; the message names the first field that does.
    """
    receipt = body.get("receipt") if isinstance(body, dict) else None
    if not isinstance(receipt, dict):
        raise _malformed('no "receipt" object', body)
    actor, deleted, not_deleted, complete = (receipt.get(k) for k in ("actor", "deleted", "not_deleted", "complete"))
    if not isinstance(actor, str) or not actor:
        raise _malformed('"actor" is not a non-empty string', body)
    if not isinstance(deleted, dict) or not all(
        isinstance(k, str) and type(v) is int and v >= 0 for k, v in deleted.items()
    ):
        raise _malformed('"deleted" is not an object of counts', body)
    if not isinstance(not_deleted, list) or not all(_is_not_deleted(n) for n in not_deleted):
        raise _malformed('"not_deleted" is not a list of {"kind", "reason"}', body)
    if not isinstance(complete, bool):
        raise _malformed('"complete" is not true or false', body)
    return Receipt(
        actor=actor,
        deleted=dict(deleted),
        not_deleted=tuple(NotDeleted(kind=n["kind"], reason=n["reason"]) for n in not_deleted),
        complete=complete,
    )


def format_receipt(user: str, receipt: Receipt) -> str:
    """Lines for a person: counts per kind, what stayed and why, and whether the erasure is complete."""
    width = max((len(kind) for kind in receipt.deleted), default=0)
    lines = [f"erased for {user} (actor {receipt.actor}):"]
    lines += [f"  {kind.ljust(width)}  {count}" for kind, count in receipt.deleted.items()] or ["  nothing"]
    if receipt.not_deleted:
        lines.append("not erased:")
        lines += [f"  {n.kind}: {n.reason}" for n in receipt.not_deleted]
    lines.append(
        "complete: yes" if receipt.complete else "complete: NO (something is left; run the command again to finish)"
    )
    return "\n".join(lines)


def _is_not_deleted(entry: Any) -> bool:
    return isinstance(entry, dict) and isinstance(entry.get("kind"), str) and isinstance(entry.get("reason"), str)


def _malformed(what: str, body: Any) -> CliError:
    return CliError(
        f"runtime answered with something that is not a forget-me receipt ({what}): {str(body)[:_SHOWN_CHARS]}"
    )
