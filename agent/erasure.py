"""Forget-me's erasure: everything the store holds about one caller, deleted in an order a crash cannot break.

Order, and why:

1. Every session of the caller, one at a time (``agent/erasure_stores.py``): the owner record, then the
   conversation (files, S3 objects or Memory events). A session stays findable in the caller's namespace until its
   last piece is gone, so a run that crashes half-way is finished by the next run: erasure is idempotent and needs
   no marker.
2. Then a check: list the caller's namespace again. Anything found (a turn another microVM wrote meanwhile) is
   erased in another round; after ``MAX_ROUNDS`` the receipt says ``complete: false`` and what is left.

What is never deleted (log lines, trace spans) is named in the receipt with the reason. The caller is always the
authenticated one (``agent/forget_me.py``): this module is never given someone else's actor id by a request.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from agent.aws_clients import STRANDS_CLIENT_CONFIG, LazyClient, shared_session
from agent.erasure_receipt import LOG_LINES, TRACE_SPANS, NotDeleted, Receipt
from agent.erasure_stores import FileStoreEraser, InProcessEraser, MemoryStoreEraser, S3StoreEraser, StoreEraser
from agent.session_owners import MemoryOwnerRecords
from agent.session_store import SessionStore
from agent.settings import Settings

logger = logging.getLogger(__name__)

MAX_ROUNDS = 3  # erase → check; a caller still writing elsewhere after this many rounds gets complete: false
LEFT_IN_STORE = "conversation_data"


@dataclass(frozen=True, kw_only=True)
class Erasure:
    """Erases one caller's data from the store and reports it; ``erase`` runs in a worker thread (blocking I/O)."""

    store: StoreEraser
    kept: tuple[NotDeleted, ...]

    def erase(self, actor_id: str, claimed: tuple[str, ...] = ()) -> Receipt:
        """Delete everything of ``actor_id`` the store holds; safe to repeat, and to repeat after a crash.

        Args:
            actor_id: the authenticated caller.
            claimed: session ids this process saw the caller claim: a session claimed but never written (a
                ``/ws`` connection without a turn yet) has an owner record and nothing in the caller's namespace.
        """
        receipt = Receipt(actor=actor_id, deleted=dict.fromkeys(self.store.kinds, 0))
        left = 0
        for _ in range(MAX_ROUNDS):
            for name in dict.fromkeys([*self.store.sessions_of(actor_id), *claimed]):
                self.store.erase_session(actor_id, name, receipt)
            left = self.store.remaining(actor_id)
            if not left:
                break
            logger.warning("actor_id=<%s>, left=<%s> | data came back during erasure; erasing again", actor_id, left)
        if left:
            receipt.complete = False
            receipt.not_deleted.append(
                NotDeleted(
                    kind=LEFT_IN_STORE,
                    reason=f"{left} item(s) were written again while erasing (a session of this caller still "
                    "running elsewhere); end those sessions and run forget-me again",
                )
            )
        receipt.not_deleted.extend(self.kept)
        return receipt


def build_erasure(settings: Settings, store: SessionStore) -> Erasure:
    """The erasure for the store ``SESSION_STORE`` selects, on the same shared AWS clients as the store."""
    return Erasure(store=_store_eraser(settings, store), kept=_kept(settings))


def _store_eraser(settings: Settings, store: SessionStore) -> StoreEraser:
    owners = store.owners.records
    if settings.session_store == "file":
        return FileStoreEraser(settings.session_dir, owners)
    if settings.session_store == "s3":
        client = LazyClient(shared_session(settings.aws_region), "s3", config=STRANDS_CLIENT_CONFIG)
        return S3StoreEraser(client, settings.session_bucket or "", settings.session_prefix, owners)
    if settings.session_store == "agentcore-memory":
        client = LazyClient(shared_session(settings.aws_region), "bedrock-agentcore", config=STRANDS_CLIENT_CONFIG)
        return MemoryStoreEraser(client, settings.memory_id or "", owners)
    if not isinstance(owners, MemoryOwnerRecords):
        raise TypeError(f"SESSION_STORE=none keeps owners in-process, got {type(owners).__name__}")
    return InProcessEraser(owners)


def _kept(settings: Settings) -> tuple[NotDeleted, ...]:
    """What stays, by design: request log lines always; trace spans when telemetry is exported."""
    kept = [
        NotDeleted(
            kind=LOG_LINES,
            reason="request log lines name the actor id and session ids (never prompt or answer text); they stay "
            "in the runtime's log group (/aws/bedrock-agentcore/runtimes/<runtime id>-*) until its retention ends",
        )
    ]
    if settings.observability_enabled:
        content = (
            "hold prompt and answer text (AGENT_TELEMETRY_CAPTURE_CONTENT=true)"
            if settings.telemetry_capture_content
            else "hold session ids and timings, no prompt or answer text"
        )
        kept.append(
            NotDeleted(
                kind=TRACE_SPANS,
                reason=f"exported trace spans {content}; they stay in X-Ray/CloudWatch until their retention ends",
            )
        )
    return tuple(kept)
