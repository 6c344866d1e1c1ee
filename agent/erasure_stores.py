"""Erasing one caller's conversations and owner records from the store ``SESSION_STORE`` selects.

Each store finds the caller's sessions in the caller's own namespace (``agent/session_store.py``): the
directories under ``<SESSION_DIR>/actors/<actor>/``, the keys under ``<SESSION_PREFIX>actors/<actor>/``, the
sessions AgentCore Memory lists for ``actorId=<actor>`` (``ListSessions``), or this process's claims (``none``).
Nothing outside that namespace is listed or deleted, except the owner record of a session found in it, and only
when that record names the caller.

Crash safety without a marker: within a session the owner record goes first and the conversation last, so a
session stays discoverable (something is left in the caller's namespace) until its last piece is deleted, and a
re-run finds and finishes whatever a crashed run left. Every delete is idempotent (a missing file, key or event
is not an error).
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any, Protocol

from agent.erasure_receipt import CONVERSATION_OBJECTS, MEMORY_EVENTS, OWNER_RECORDS, SESSIONS, Receipt
from agent.session_owners import MemoryOwnerRecords, OwnerRecords, delete_event_if_present
from agent.store_names import FILE_NAME_CHARS, MEMORY_SESSION_ID_CHARS, fitted_name

logger = logging.getLogger(__name__)

SESSION_DIRECTORY_PREFIX = "session_"  # Strands' file and S3 session managers: session_<id>/
PAGE_SIZE = 100  # the most ListSessions and ListEvents return per page (botocore bedrock-agentcore: maxResults 1..100)


class StoreEraser(Protocol):
    """Erases one caller's data from one store."""

    kinds: tuple[str, ...]

    def sessions_of(self, actor_id: str) -> list[str]:
        """The names under which the caller's sessions are stored (a session id also names it: stores fit it)."""
        ...

    def erase_session(self, actor_id: str, name: str, receipt: Receipt) -> None:
        """Delete the session's owner record (if the caller's), then its conversation; count into ``receipt``."""
        ...

    def remaining(self, actor_id: str) -> int:
        """How many pieces of the caller's conversations are still stored (0 after a complete erasure)."""
        ...


def _count_session(receipt: Receipt, deleted: int) -> None:
    if deleted:
        receipt.count(SESSIONS)


class FileStoreEraser:
    """``SESSION_STORE=file``: ``<dir>/actors/<actor>/session_<name>/`` and ``<dir>/owners/<name>.json``."""

    kinds: tuple[str, ...] = (SESSIONS, OWNER_RECORDS, CONVERSATION_OBJECTS)

    def __init__(self, root: Path, owners: OwnerRecords) -> None:
        self._root = root
        self._owners = owners

    def _actor_dir(self, actor_id: str) -> Path:
        return self._root / "actors" / actor_id

    def sessions_of(self, actor_id: str) -> list[str]:
        folder = self._actor_dir(actor_id)
        if not folder.is_dir():
            return []
        return sorted(
            entry.name.removeprefix(SESSION_DIRECTORY_PREFIX)
            for entry in folder.iterdir()
            if entry.is_dir() and entry.name.startswith(SESSION_DIRECTORY_PREFIX)
        )

    def erase_session(self, actor_id: str, name: str, receipt: Receipt) -> None:
        name = fitted_name(name, max_chars=FILE_NAME_CHARS)  # a claimed id as it is stored
        owners = self._owners.release(name, actor_id)
        receipt.count(OWNER_RECORDS, owners)
        files = _remove_tree(self._actor_dir(actor_id) / f"{SESSION_DIRECTORY_PREFIX}{name}")
        receipt.count(CONVERSATION_OBJECTS, files)
        _count_session(receipt, owners + files)

    def remaining(self, actor_id: str) -> int:
        """Files left under the caller's directory; when none, the emptied directories go too."""
        folder = self._actor_dir(actor_id)
        if not folder.is_dir():
            return 0
        left = sum(1 for path in folder.rglob("*") if not path.is_dir())
        if not left:
            _remove_empty_dirs(folder)
        return left


def _remove_tree(folder: Path) -> int:
    """Delete every file under ``folder``, then the emptied directories; return how many files were deleted."""
    if not folder.is_dir():
        return 0
    deleted = 0
    for directory, _, names in os.walk(folder, topdown=False):
        for name in names:
            try:
                os.unlink(os.path.join(directory, name))
                deleted += 1
            except FileNotFoundError:
                continue
    _remove_empty_dirs(folder)
    return deleted


def _remove_empty_dirs(folder: Path) -> None:
    for directory, _, _ in os.walk(folder, topdown=False):
        try:
            os.rmdir(directory)
        except OSError:  # not empty (a file written meanwhile) or already gone: the next check sees it
            continue


class S3StoreEraser:
    """``SESSION_STORE=s3``: keys under ``<prefix>actors/<actor>/session_<id>/`` and ``<prefix>owners/<id>.json``."""

    kinds: tuple[str, ...] = (SESSIONS, OWNER_RECORDS, CONVERSATION_OBJECTS)

    def __init__(self, client: Any, bucket: str, prefix: str, owners: OwnerRecords) -> None:
        self._client = client
        self._bucket = bucket
        self._prefix = prefix
        self._owners = owners

    def _actor_prefix(self, actor_id: str) -> str:
        return f"{self._prefix}actors/{actor_id}/"

    def _pages(self, prefix: str, **options: Any) -> Any:
        return self._client.get_paginator("list_objects_v2").paginate(Bucket=self._bucket, Prefix=prefix, **options)

    def sessions_of(self, actor_id: str) -> list[str]:
        start = len(self._actor_prefix(actor_id))
        names = {
            common["Prefix"][start:].rstrip("/").removeprefix(SESSION_DIRECTORY_PREFIX)
            for page in self._pages(self._actor_prefix(actor_id), Delimiter="/")
            for common in page.get("CommonPrefixes", [])
            if common["Prefix"][start:].startswith(SESSION_DIRECTORY_PREFIX)
        }
        return sorted(names)

    def erase_session(self, actor_id: str, name: str, receipt: Receipt) -> None:
        owners = self._owners.release(name, actor_id)
        receipt.count(OWNER_RECORDS, owners)
        folder = f"{self._actor_prefix(actor_id)}{SESSION_DIRECTORY_PREFIX}{name}/"
        keys = [item["Key"] for page in self._pages(folder) for item in page.get("Contents", [])]
        for key in keys:  # DeleteObject of a missing key succeeds (204): a re-run repeats it harmlessly
            self._client.delete_object(Bucket=self._bucket, Key=key)
        receipt.count(CONVERSATION_OBJECTS, len(keys))
        _count_session(receipt, owners + len(keys))

    def remaining(self, actor_id: str) -> int:
        return sum(page.get("KeyCount", 0) for page in self._pages(self._actor_prefix(actor_id)))


class MemoryStoreEraser:
    """``SESSION_STORE=agentcore-memory``: the caller's events (``actorId=<actor>``) and owner events."""

    kinds: tuple[str, ...] = (SESSIONS, OWNER_RECORDS, MEMORY_EVENTS)

    def __init__(self, client: Any, memory_id: str, owners: OwnerRecords) -> None:
        self._client = client
        self._memory_id = memory_id
        self._owners = owners

    def sessions_of(self, actor_id: str) -> list[str]:
        """ListSessions, every page. AgentCore keeps listing a session whose events are gone for up to a day
        (botocore's ListSessions documentation: "Empty sessions are automatically deleted after one day")."""
        pages = self._client.get_paginator("list_sessions").paginate(
            memoryId=self._memory_id, actorId=actor_id, PaginationConfig={"PageSize": PAGE_SIZE}
        )
        return sorted({summary["sessionId"] for page in pages for summary in page.get("sessionSummaries", [])})

    def _first_events(self, actor_id: str, name: str, how_many: int = PAGE_SIZE) -> list[dict[str, Any]]:
        events: list[dict[str, Any]] = self._client.list_events(
            memoryId=self._memory_id, actorId=actor_id, sessionId=name, includePayloads=False, maxResults=how_many
        ).get("events", [])
        return events

    def erase_session(self, actor_id: str, name: str, receipt: Receipt) -> None:
        name = fitted_name(name, max_chars=MEMORY_SESSION_ID_CHARS)  # a claimed id as it is stored
        owners = self._owners.release(name, actor_id)
        receipt.count(OWNER_RECORDS, owners)
        deleted = 0
        # Always the first page again: deleting while following nextToken would skip events the deletions shifted.
        while events := self._first_events(actor_id, name):
            for event in events:
                delete_event_if_present(self._client, self._memory_id, actor_id, name, event["eventId"])
            deleted += len(events)
        receipt.count(MEMORY_EVENTS, deleted)
        _count_session(receipt, owners + deleted)

    def remaining(self, actor_id: str) -> int:
        return sum(len(self._first_events(actor_id, name, 1)) for name in self.sessions_of(actor_id))


class InProcessEraser:
    """``SESSION_STORE=none``: only this process's claims (the conversations die with the agents it drops)."""

    kinds: tuple[str, ...] = (SESSIONS, OWNER_RECORDS)

    def __init__(self, owners: MemoryOwnerRecords) -> None:
        self._owners = owners

    def sessions_of(self, actor_id: str) -> list[str]:
        return self._owners.sessions_of(actor_id)

    def erase_session(self, actor_id: str, name: str, receipt: Receipt) -> None:
        owners = self._owners.release(name, actor_id)
        receipt.count(OWNER_RECORDS, owners)
        _count_session(receipt, owners)

    def remaining(self, actor_id: str) -> int:
        return len(self._owners.sessions_of(actor_id))
