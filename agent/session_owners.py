"""Which caller first used a session id, persisted next to the conversations.

A session id first used by one subject and later presented by another must get 403. The owner is
written to the same backend as the conversation, outside any caller's namespace, so the check holds
after a restart and in a new microVM. Owners never change while a record exists, so each process caches what
it has read; only forget-me deletes a record (``release``: the owner's own, never another caller's), and then
drops the owner's entries from this process's cache.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from agent.s3_conversations import CONDITIONAL_WRITE_LOST
from agent.store_names import FILE_NAME_CHARS, MEMORY_SESSION_ID_CHARS, fitted_name

logger = logging.getLogger(__name__)

OWNER_ACTOR = "agent-session-owners"
# New sessions remembered per process until their first agent is built (one is per concurrent first request).
MAX_REMEMBERED_NEW = 10_000
CLAIM_ATTEMPTS = 3  # conditional writes of an S3 owner record before the claim fails (503)


class OwnerRecords(Protocol):
    """Backend for owner records."""

    def claim(self, session_id: str, actor_id: str) -> str:
        """Record ``actor_id`` as owner if the session has none; return the owner either way."""
        ...

    def release(self, session_id: str, actor_id: str) -> int:
        """Delete the session's record if it names ``actor_id``; return how many records were deleted."""
        ...


class OwnerRegistry:
    """Answers "may this actor use this session?" with a per-process cache over a backend."""

    def __init__(self, records: OwnerRecords) -> None:
        self._records = records
        self._cache: dict[str, str] = {}
        self._lock = threading.Lock()

    def cached_is_owner(self, session_id: str, actor_id: str) -> bool | None:
        """The answer from this process's cache, without touching the backend; None when not cached."""
        with self._lock:
            owner = self._cache.get(session_id)
        return None if owner is None else owner == actor_id

    def is_owner(self, session_id: str, actor_id: str) -> bool:
        """Claim the session for ``actor_id`` if new; True when ``actor_id`` owns it."""
        with self._lock:
            owner = self._cache.get(session_id)
        if owner is None:
            owner = self._records.claim(session_id, actor_id)
            with self._lock:
                self._cache[session_id] = owner
        return owner == actor_id

    @property
    def records(self) -> OwnerRecords:
        """The backend (forget-me deletes records through it)."""
        return self._records

    def cached_sessions_of(self, actor_id: str) -> list[str]:
        """Session ids this process knows ``actor_id`` owns (claimed here, perhaps without any conversation yet)."""
        with self._lock:
            return sorted(session for session, owner in self._cache.items() if owner == actor_id)

    def forget_actor(self, actor_id: str) -> None:
        """Drop every cached ownership of ``actor_id`` (their records were deleted; a later use claims anew)."""
        with self._lock:
            self._cache = {session: owner for session, owner in self._cache.items() if owner != actor_id}


class MemoryOwnerRecords:
    """In-process records, for ``SESSION_STORE=none`` where nothing outlives the process anyway."""

    def __init__(self) -> None:
        self._owners: dict[str, str] = {}
        self._lock = threading.Lock()

    def claim(self, session_id: str, actor_id: str) -> str:
        """First claim wins."""
        with self._lock:
            return self._owners.setdefault(session_id, actor_id)

    def sessions_of(self, actor_id: str) -> list[str]:
        """The session ids ``actor_id`` owns (this store keeps no conversation to find them by)."""
        with self._lock:
            return sorted(session for session, owner in self._owners.items() if owner == actor_id)

    def release(self, session_id: str, actor_id: str) -> int:
        """Forget the claim if it is ``actor_id``'s."""
        with self._lock:
            if self._owners.get(session_id) != actor_id:
                return 0
            del self._owners[session_id]
            return 1


class FileOwnerRecords:
    """One file per session id under ``<dir>/owners``, published atomically so the first writer wins.

    A record is written to a temporary file and then hard-linked to its name: ``os.link`` fails if the name
    exists, so the first claim wins, and a record under its name is always complete (a crash leaves at most
    a ``.claim-*`` temporary file behind, never an empty record).

    Versions before this wrote the record after creating it, so a crash in between left an empty or partial
    record. Such a record names no owner, and no turn ever ran under it (the crash happened during the owner
    check, before any turn), so it is not a claim: the session is claimed instead under
    ``owners/reclaimed/<id>.json``, by the same link. Every reader sees the same unreadable record and so
    competes for the same second name: still exactly one winner, and no permanent 503.
    """

    def __init__(self, directory: Path) -> None:
        self._directory = directory / "owners"

    def claim(self, session_id: str, actor_id: str) -> str:
        """Publish ``actor_id`` as the owner unless a record exists; return the owner either way."""
        name = f"{fitted_name(session_id, max_chars=FILE_NAME_CHARS)}.json"
        path = self._directory / name
        owner = _read_owner_file(path)
        if owner is _UNREADABLE:
            logger.warning("session_id=<%s> | owner record is empty or partial; claiming it anew", session_id)
            path = self._directory / "reclaimed" / name
            owner = _read_owner_file(path)
        if isinstance(owner, str):
            return owner
        if owner is _UNREADABLE:
            raise ValueError(f"owner record {path} is unreadable")
        return self._publish(path, actor_id)

    def release(self, session_id: str, actor_id: str) -> int:
        """Delete the record and its reclaimed form where they name ``actor_id``."""
        name = f"{fitted_name(session_id, max_chars=FILE_NAME_CHARS)}.json"
        deleted = 0
        for path in (self._directory / name, self._directory / "reclaimed" / name):
            if _read_owner_file(path) == actor_id:
                path.unlink(missing_ok=True)
                deleted += 1
        return deleted

    def _publish(self, path: Path, actor_id: str) -> str:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".claim-", suffix=".json")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump({"owner": actor_id}, handle)
                handle.flush()
                os.fsync(handle.fileno())
            try:
                os.link(temporary, path)  # fails if the name exists: never replaces another claim
            except FileExistsError:
                owner = _read_owner_file(path)
                if not isinstance(owner, str):
                    raise ValueError(f"owner record {path} is unreadable") from None
                return owner
            return actor_id
        finally:
            os.unlink(temporary)


_UNREADABLE = object()


def _read_owner_file(path: Path) -> str | object | None:
    """The owner in a record file; None when there is none; ``_UNREADABLE`` when it is empty or partial."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    owner = _owner_named_in(text)
    return _UNREADABLE if owner is None else owner


def _owner_named_in(record: str | bytes) -> str | None:
    """The owner a record's JSON names (``{"owner": "<actor>"}``); None when it names none."""
    try:
        owner = json.loads(record)["owner"]
    except (ValueError, KeyError, TypeError):
        return None
    return owner if isinstance(owner, str) and owner else None


class S3OwnerRecords:
    """One object per session id under ``<prefix>owners/``, written with ``If-None-Match: *``."""

    def __init__(self, client: Any, bucket: str, prefix: str) -> None:
        self._client = client
        self._bucket = bucket
        self._prefix = f"{prefix}owners/"
        self._claimed_new: dict[str, None] = {}  # an ordered set, oldest first
        self._claimed_new_lock = threading.Lock()

    def claimed_new(self, session_id: str) -> bool:
        """Whether this process created the session's record since last asked (asking forgets it).

        A session id nobody had claimed has no conversation yet: conversations are written only after the owner
        check, and forget-me deletes the owner record first and the conversation last, so only an erasure
        interrupted half-way leaves one behind; creating the session then fails once (``agent/s3_conversations.py``)
        and the next request reads what was left, as any resumed session.
        """
        with self._claimed_new_lock:
            if session_id not in self._claimed_new:
                return False
            del self._claimed_new[session_id]
            return True

    def claim(self, session_id: str, actor_id: str) -> str:
        """Conditional create; on a conflict, read the winner.

        Write first, read only on a conflict: a new session (most sessions' first request) costs one round trip,
        and only a session resumed in a new process, once per process, pays a second.
        """
        key = f"{self._prefix}{session_id}.json"
        for _ in range(CLAIM_ATTEMPTS):
            try:
                self._client.put_object(
                    Bucket=self._bucket, Key=key, Body=json.dumps({"owner": actor_id}).encode(), IfNoneMatch="*"
                )
                break
            except self._client.exceptions.ClientError as error:
                if error.response.get("Error", {}).get("Code") not in CONDITIONAL_WRITE_LOST:
                    raise
            owner = self._read(key)
            if owner is not None:
                return owner
            # No record to read: another claim's write is still in flight (S3 answers 409 to the second of two
            # concurrent conditional writes and asks it to retry), or forget-me deleted the record since.
        else:
            raise RuntimeError(f"owner record s3://{self._bucket}/{key} could not be written or read")
        with self._claimed_new_lock:
            self._claimed_new[session_id] = None
            while len(self._claimed_new) > MAX_REMEMBERED_NEW:  # claims whose turn never started
                del self._claimed_new[next(iter(self._claimed_new))]
        return actor_id

    def release(self, session_id: str, actor_id: str) -> int:
        """Delete the record if it names ``actor_id`` (a record, once written, never changes its owner)."""
        key = f"{self._prefix}{session_id}.json"
        if self._read(key) != actor_id:
            return 0
        self._client.delete_object(Bucket=self._bucket, Key=key)
        return 1

    def _read(self, key: str) -> str | None:
        try:
            body = self._client.get_object(Bucket=self._bucket, Key=key)["Body"].read()
        except self._client.exceptions.NoSuchKey:
            return None
        owner = _owner_named_in(body)
        if owner is None:
            raise ValueError(f"owner record s3://{self._bucket}/{key} names no owner")
        return owner


class AgentCoreMemoryOwnerRecords:
    """Owner events in the same Memory, under a dedicated actor; the oldest event names the owner."""

    def __init__(self, client: Any, memory_id: str) -> None:
        self._client = client
        self._memory_id = memory_id

    def claim(self, session_id: str, actor_id: str) -> str:
        """Write an owner event when none exists, then return the oldest event's owner."""
        name = fitted_name(session_id, max_chars=MEMORY_SESSION_ID_CHARS)
        owner = self._oldest_owner(name)
        if owner is not None:
            return owner
        self._client.create_event(
            memoryId=self._memory_id,
            actorId=OWNER_ACTOR,
            sessionId=name,
            eventTimestamp=datetime.now(UTC),
            payload=[{"blob": json.dumps({"owner": actor_id})}],
        )
        return self._oldest_owner(name) or actor_id

    def release(self, session_id: str, actor_id: str) -> int:
        """Delete every owner event of the session if the oldest names ``actor_id`` (later ones lost the race)."""
        name = fitted_name(session_id, max_chars=MEMORY_SESSION_ID_CHARS)
        if self._oldest_owner(name) != actor_id:
            return 0
        while events := self._owner_events(name, include_payloads=False):
            for event in events:
                delete_event_if_present(self._client, self._memory_id, OWNER_ACTOR, name, event["eventId"])
        return 1

    def _owner_events(self, session_id: str, *, include_payloads: bool) -> list[dict[str, Any]]:
        events: list[dict[str, Any]] = self._client.list_events(
            memoryId=self._memory_id,
            actorId=OWNER_ACTOR,
            sessionId=session_id,
            includePayloads=include_payloads,
            maxResults=100,
        ).get("events", [])
        return events

    def _oldest_owner(self, session_id: str) -> str | None:
        events = self._owner_events(session_id, include_payloads=True)
        if not events:
            return None
        oldest = min(events, key=lambda event: event["eventTimestamp"])
        blob = oldest["payload"][0]["blob"]
        owner = _owner_named_in(blob if isinstance(blob, str) else json.dumps(blob))
        if owner is None:
            raise ValueError(
                f"the oldest owner event of session {session_id} in memory {self._memory_id} names no owner"
            )
        return owner


def delete_event_if_present(client: Any, memory_id: str, actor_id: str, session_id: str, event_id: str) -> None:
    """DeleteEvent, where an event already gone (a concurrent or earlier erasure) is not an error."""
    try:
        client.delete_event(memoryId=memory_id, actorId=actor_id, sessionId=session_id, eventId=event_id)
    except client.exceptions.ResourceNotFoundException:
        return
