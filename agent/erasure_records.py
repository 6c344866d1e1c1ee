"""Erasing one caller's long-term memory records (AgentCore Memory strategies), after their events are gone.

Extraction runs asynchronously after each CreateEvent, so a record can appear after the events it came from were
deleted. Hence, in :class:`agent.erasure.Erasure`, after the conversation events: (1) wait, up to a deadline, for
the caller's extraction jobs still pending; (2) delete every record under the caller's namespaces; (3) the
erasure lists again and erases again while anything came back. Jobs AgentCore reports FAILED (the only status
ListMemoryExtractionJobs documents: jobs "eligible to be started" again, botocore's ``bedrock-agentcore`` model)
cannot be deleted through the API; they reference the deleted events and are named in the receipt.

Namespaces are the templates the stack gives the agent (``LONG_TERM_MEMORY_NAMESPACES``), each ending in
``/{actorId}/``, so ``namespacePath`` with the caller's actor and its closing delimiter lists that caller's records
and never those of an actor whose id merely starts the same.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from agent.erasure_receipt import MEMORY_RECORDS, NotDeleted, Receipt

logger = logging.getLogger(__name__)

PAGE_SIZE = 100  # ListMemoryRecords maxResults and BatchDeleteMemoryRecords records: at most 100 (botocore model)
JOB_PAGE_SIZE = 50  # ListMemoryExtractionJobs maxResults: at most 50
FAILED = "FAILED"
EXTRACTION_JOBS = "extraction_jobs"
POLL_SECONDS = 0.2


class RecordsEraser:
    """Deletes the caller's records from one memory's actor namespaces."""

    kinds: tuple[str, ...] = (MEMORY_RECORDS,)

    def __init__(
        self,
        client: Any,
        memory_id: str,
        namespaces: tuple[str, ...],
        *,
        settle_seconds: float,
        clock: Callable[[], float] = time.monotonic,
        pause: Callable[[float], None] = time.sleep,
    ) -> None:
        self._client = client
        self._memory_id = memory_id
        self._namespaces = namespaces
        self._settle_seconds = settle_seconds
        self._clock = clock
        self._pause = pause

    def _paths(self, actor_id: str) -> list[str]:
        return [template.replace("{actorId}", actor_id) for template in self._namespaces]

    def _jobs(self, actor_id: str) -> list[dict[str, Any]]:
        """Every page of ListMemoryExtractionJobs for the caller (botocore's paginator follows ``nextToken``)."""
        pages = self._client.get_paginator("list_memory_extraction_jobs").paginate(
            memoryId=self._memory_id, filter={"actorId": actor_id}, PaginationConfig={"PageSize": JOB_PAGE_SIZE}
        )
        return [job for page in pages for job in page.get("jobs", [])]

    def wait_for_extraction(self, actor_id: str) -> list[dict[str, Any]]:
        """Wait (polling, bounded by ``settle_seconds``) until no job of the caller is pending; return the failed."""
        deadline = self._clock() + self._settle_seconds
        while True:
            jobs = self._jobs(actor_id)
            pending = [job for job in jobs if job.get("status") != FAILED]
            if not pending or self._clock() >= deadline:
                if pending:
                    logger.warning("actor_id=<%s>, pending=<%s> | extraction still pending", actor_id, len(pending))
                return [job for job in jobs if job.get("status") == FAILED]
            self._pause(POLL_SECONDS)

    def _first_records(self, path: str) -> list[str]:
        summaries = self._client.list_memory_records(
            memoryId=self._memory_id, namespacePath=path, maxResults=PAGE_SIZE
        ).get("memoryRecordSummaries", [])
        return [summary["memoryRecordId"] for summary in summaries]

    def erase(self, actor_id: str, receipt: Receipt) -> list[NotDeleted]:
        """Wait for extraction, then delete every record in the caller's namespaces; return what stays, and why."""
        failed = self.wait_for_extraction(actor_id)
        for path in self._paths(actor_id):
            # Always the first page again: deletions shift what a nextToken would point at.
            while ids := self._first_records(path):
                answer = self._client.batch_delete_memory_records(
                    memoryId=self._memory_id, records=[{"memoryRecordId": record_id} for record_id in ids]
                )
                deleted = len(answer.get("successfulRecords", []))
                receipt.count(MEMORY_RECORDS, deleted)
                if not deleted:
                    break  # every one failed: the final check reports them as left
        if not failed:
            return []
        return [
            NotDeleted(
                kind=EXTRACTION_JOBS,
                reason=f"{len(failed)} failed extraction job(s) of this caller reference the deleted events; "
                "AgentCore offers no way to delete them and the agent never restarts them",
            )
        ]

    def remaining(self, actor_id: str) -> int:
        """Records still in the caller's namespaces, plus jobs still pending (they would add records)."""
        records = sum(len(self._first_records(path)) for path in self._paths(actor_id))
        pending = sum(1 for job in self._jobs(actor_id) if job.get("status") != FAILED)
        return records + pending
