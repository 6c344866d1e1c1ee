"""Forget-me's erasure: everything the store holds about one caller, deleted in an order a crash cannot break.

Order, and why:

1. Every session of the caller, one at a time (``agent/erasure_stores.py``): the owner record, then the
   conversation (files, S3 objects or Memory events). A session stays findable in the caller's namespace until its
   last piece is gone, so a run that crashes half-way is finished by the next run: erasure is idempotent and needs
   no marker.
2. With long-term memory, the caller's records (``agent/erasure_records.py``): wait for pending extraction, then
   delete the records of the caller's namespaces.
3. Then a check: list the caller's namespace (and records) again. Anything found (a turn another microVM wrote
   meanwhile, a record extracted late) is erased in another round; after ``MAX_ROUNDS`` the receipt says
   ``complete: false`` and what is left.

What is never deleted (log lines, trace spans) is named in the receipt with the reason. The caller is always the
authenticated one (``agent/forget_me.py``): this module is never given someone else's actor id by a request.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from agent.aws_clients import STRANDS_CLIENT_CONFIG, LazyClient, shared_session
from agent.erasure_receipt import LOG_LINES, MEMORY_EVENTS, TRACE_SPANS, NotDeleted, Receipt
from agent.erasure_records import RecordsEraser
from agent.erasure_stores import FileStoreEraser, InProcessEraser, MemoryStoreEraser, S3StoreEraser, StoreEraser
from agent.session_owners import MemoryOwnerRecords
from agent.session_store import SessionStore
from agent.settings import Settings

logger = logging.getLogger(__name__)

MAX_ROUNDS = 3
# How long a round waits for the caller's pending extraction jobs (those AgentCore lists; see LATE_EXTRACTION).
EXTRACTION_WAIT_SECONDS = (
    30.0  # erase → check; a caller still writing elsewhere after this many rounds gets complete: false
)
LEFT_IN_STORE = "conversation_data"
# AWS lists no in-flight extraction job (ListMemoryExtractionJobs lists FAILED ones), so records of the events this
# run deleted may still be on their way; a run that deletes no event has nothing new on its way.
LATE_EXTRACTION = NotDeleted(
    kind="memory_records_in_extraction",
    reason="AgentCore extracts long-term records asynchronously from the events just deleted; any it had not "
    "extracted yet were not there to delete: run forget-me again after a few minutes to delete them too",
)


@dataclass(frozen=True, kw_only=True)
class Erasure:
    """Erases one caller's data from the store and reports it; ``erase`` runs in a worker thread (blocking I/O)."""

    store: StoreEraser
    kept: tuple[NotDeleted, ...]
    records: RecordsEraser | None = None

    def erase(self, actor_id: str, claimed: tuple[str, ...] = ()) -> Receipt:
        """Delete everything of ``actor_id`` the store holds; safe to repeat, and to repeat after a crash.

        Args:
            actor_id: the authenticated caller.
            claimed: session ids this process saw the caller claim: a session claimed but never written (a
                ``/ws`` connection without a turn yet) has an owner record and nothing in the caller's namespace.
        """
        kinds = (*self.store.kinds, *(self.records.kinds if self.records else ()))
        receipt = Receipt(actor=actor_id, deleted=dict.fromkeys(kinds, 0))
        left, records_kept = 0, []
        for _ in range(MAX_ROUNDS):
            for name in dict.fromkeys([*self.store.sessions_of(actor_id), *claimed]):
                self.store.erase_session(actor_id, name, receipt)
            left = self.store.remaining(actor_id)
            if self.records is not None:
                records_kept = self.records.erase(actor_id, receipt)
                left += self.records.remaining(actor_id)
            if not left:
                break
            logger.warning("actor_id=<%s>, left=<%s> | data came back during erasure; erasing again", actor_id, left)
        if left:
            receipt.complete = False
            receipt.not_deleted.append(
                NotDeleted(
                    kind=LEFT_IN_STORE,
                    reason=f"{left} item(s) still found after {MAX_ROUNDS} rounds (a session of this caller still "
                    "writing elsewhere, or extraction still pending); run forget-me again later",
                )
            )
        receipt.not_deleted.extend(records_kept)
        if self.records is not None and receipt.deleted.get(MEMORY_EVENTS):
            receipt.not_deleted.append(LATE_EXTRACTION)
        receipt.not_deleted.extend(self.kept)
        return receipt


def build_erasure(settings: Settings, store: SessionStore) -> Erasure:
    """The erasure for the store ``SESSION_STORE`` selects, on the same shared AWS clients as the store."""
    return Erasure(store=_store_eraser(settings, store), kept=_kept(settings), records=_records_eraser(settings))


def _records_eraser(settings: Settings) -> RecordsEraser | None:
    """Long-term records, when the memory has strategies (``LONG_TERM_MEMORY_NAMESPACES``, Memory store only)."""
    if not settings.recall_namespaces:
        return None
    client = LazyClient(shared_session(settings.aws_region), "bedrock-agentcore", config=STRANDS_CLIENT_CONFIG)
    return RecordsEraser(
        client, settings.memory_id or "", settings.recall_namespaces, settle_seconds=EXTRACTION_WAIT_SECONDS
    )


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
