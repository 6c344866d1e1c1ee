"""The forget-me receipt: what one erasure run deleted (counts per kind) and what it could not delete, and why.

The shape is the contract the CLI and the web app read: ``{"actor", "deleted": {kind: count}, "not_deleted":
[{"kind", "reason"}], "complete"}``. Counts are of this run: a re-run after a complete erasure deletes nothing and
says so with zeros, which is how a caller checks that nothing came back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Kinds of stored data, in the order an erasure deletes them.
SESSIONS = "sessions"  # sessions of which anything was deleted
OWNER_RECORDS = "owner_records"
CONVERSATION_OBJECTS = "conversation_objects"  # files (file store) or objects (S3) of conversations
MEMORY_EVENTS = "memory_events"  # AgentCore Memory events of conversations
MEMORY_RECORDS = "memory_records"  # AgentCore Memory long-term records
# Kinds of what is never deleted by the agent.
LOG_LINES = "log_lines"
TRACE_SPANS = "trace_spans"


@dataclass(frozen=True)
class NotDeleted:
    """Something about the caller that the erasure leaves, and why."""

    kind: str
    reason: str


@dataclass
class Receipt:
    """Counts of one erasure run, filled in as it goes."""

    actor: str
    deleted: dict[str, int] = field(default_factory=dict)
    not_deleted: list[NotDeleted] = field(default_factory=list)
    complete: bool = True

    def count(self, kind: str, how_many: int = 1) -> None:
        """Add ``how_many`` deletions of ``kind``."""
        self.deleted[kind] = self.deleted.get(kind, 0) + how_many

    def body(self) -> dict[str, Any]:
        """The receipt as the contract's JSON object."""
        return {
            "actor": self.actor,
            "deleted": dict(self.deleted),
            "not_deleted": [{"kind": item.kind, "reason": item.reason} for item in self.not_deleted],
            "complete": self.complete,
        }
