"""Which caller first used a session id, persisted next to the conversations.

A session id first used by one subject and later presented by another must get 403. The owner is
written to the same backend as the conversation, outside any caller's namespace, so the check holds
after a restart and in a new microVM. Owners never change, so each process caches what it has read.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Protocol

logger = logging.getLogger(__name__)

OWNER_ACTOR = "agent-session-owners"


class OwnerRecords(Protocol):
    """Backend for owner records."""

    def claim(self, session_id: str, actor_id: str) -> str:
        """Record ``actor_id`` as owner if the session has none; return the owner either way."""
        ...


class OwnerRegistry:
    """Answers "may this actor use this session?" with a per-process cache over a backend."""

    def __init__(self, records: OwnerRecords) -> None:
        self._records = records
        self._cache: dict[str, str] = {}
        self._lock = threading.Lock()

    def is_owner(self, session_id: str, actor_id: str) -> bool:
        """Claim the session for ``actor_id`` if new; True when ``actor_id`` owns it."""
        with self._lock:
            owner = self._cache.get(session_id)
        if owner is None:
            owner = self._records.claim(session_id, actor_id)
            with self._lock:
                self._cache[session_id] = owner
        return owner == actor_id


class MemoryOwnerRecords:
    """In-process records, for ``SESSION_STORE=none`` where nothing outlives the process anyway."""

    def __init__(self) -> None:
        self._owners: dict[str, str] = {}
        self._lock = threading.Lock()

    def claim(self, session_id: str, actor_id: str) -> str:
        """First claim wins."""
        with self._lock:
            return self._owners.setdefault(session_id, actor_id)


class FileOwnerRecords:
    """One file per session id under ``<dir>/owners``, created exclusively so the first writer wins."""

    def __init__(self, directory: Path) -> None:
        self._directory = directory / "owners"

    def claim(self, session_id: str, actor_id: str) -> str:
        """Create the owner file with O_EXCL, or read the existing one."""
        self._directory.mkdir(parents=True, exist_ok=True)
        path = self._directory / f"{session_id}.json"
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return json.loads(path.read_text(encoding="utf-8"))["owner"]
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump({"owner": actor_id}, handle)
        return actor_id


class S3OwnerRecords:
    """One object per session id under ``<prefix>owners/``, written with ``If-None-Match: *``."""

    def __init__(self, client: Any, bucket: str, prefix: str) -> None:
        self._client = client
        self._bucket = bucket
        self._prefix = f"{prefix}owners/"

    def claim(self, session_id: str, actor_id: str) -> str:
        """Conditional create; on a conflict, read the winner."""
        key = f"{self._prefix}{session_id}.json"
        existing = self._read(key)
        if existing is not None:
            return existing
        try:
            self._client.put_object(Bucket=self._bucket, Key=key, Body=json.dumps({"owner": actor_id}).encode(), IfNoneMatch="*")
        except self._client.exceptions.ClientError as error:
            if error.response.get("Error", {}).get("Code") not in ("PreconditionFailed", "ConditionalRequestConflict"):
                raise
            return self._read(key) or actor_id
        return actor_id

    def _read(self, key: str) -> str | None:
        try:
            body = self._client.get_object(Bucket=self._bucket, Key=key)["Body"].read()
        except self._client.exceptions.NoSuchKey:
            return None
        return json.loads(body)["owner"]


class AgentCoreMemoryOwnerRecords:
    """Owner events in the same Memory, under a dedicated actor; the oldest event names the owner."""

    def __init__(self, client: Any, memory_id: str) -> None:
        self._client = client
        self._memory_id = memory_id

    def claim(self, session_id: str, actor_id: str) -> str:
        """Write an owner event when none exists, then return the oldest event's owner."""
        owner = self._oldest_owner(session_id)
        if owner is not None:
            return owner
        self._client.create_event(
            memoryId=self._memory_id,
            actorId=OWNER_ACTOR,
            sessionId=session_id,
            eventTimestamp=datetime.now(timezone.utc),
            payload=[{"blob": json.dumps({"owner": actor_id})}],
        )
        return self._oldest_owner(session_id) or actor_id

    def _oldest_owner(self, session_id: str) -> str | None:
        events = self._client.list_events(
            memoryId=self._memory_id, actorId=OWNER_ACTOR, sessionId=session_id, includePayloads=True, maxResults=100
        ).get("events", [])
        if not events:
            return None
        oldest = min(events, key=lambda event: event["eventTimestamp"])
        blob = oldest["payload"][0]["blob"]
        return json.loads(blob if isinstance(blob, str) else json.dumps(blob))["owner"]
