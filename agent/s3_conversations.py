"""Strands' ``S3SessionManager`` without the round trips it repeats on every new conversation.

A new conversation's first turn costs Strands 1.62 (``strands/session/s3_session_manager.py``) eight S3 requests
in a row; four of them ask S3 what this manager already knows or can ask in the same request:

- ``RepositorySessionManager.__init__`` GETs ``session.json`` to tell a new conversation from a stored one: a
  session id the owner check has just claimed names no stored conversation, so that GET is skipped.
- ``create_session`` sends HEAD ``session.json`` (must not exist), then PUT. Here one PUT with
  ``If-None-Match: *`` (S3 conditional writes: the PUT fails with 412 when the key exists) does both, and
  atomically, where HEAD-then-PUT is not.
- ``update_agent`` GETs ``agent.json`` before every write only to copy its ``created_at`` into the new version,
  and the first sync after ``create_agent`` writes the agent just created again, unchanged (``sync_agent`` always
  writes on its first call). Here the manager remembers each agent as it wrote or read it: an update copies
  ``created_at`` from there and is skipped when nothing but ``updated_at`` (which Strands never reads) changed.
  That saves a PUT on a conversation's first turn and a GET on every turn that changes the agent.

Every key and every JSON body is Strands' own (``SESSION_PREFIX``, ``AGENT_PREFIX``, ``json.dumps(..., indent=2,
ensure_ascii=False)``, ``application/json``), so a conversation written here restores with the stock manager
and the other way round (``tests/agent/test_s3_conversations.py`` reads each with the other).
"""

from __future__ import annotations

import json
import os
from typing import Any

from strands.session.s3_session_manager import AGENT_PREFIX, SESSION_PREFIX, S3SessionManager
from strands.types.exceptions import SessionException
from strands.types.session import Session, SessionAgent

# S3 answers a conditional PUT whose key exists with 412 PreconditionFailed, and with 409 ConditionalRequestConflict
# when a concurrent operation on the key is in flight (S3 API reference, PutObject ``If-None-Match``; the S3 user
# guide, "How to prevent object overwrites with conditional writes").
CONDITIONAL_WRITE_LOST = frozenset({"PreconditionFailed", "ConditionalRequestConflict"})


class LeanS3SessionManager(S3SessionManager):
    """``S3SessionManager`` that reads no session known to be new, creates a session in one conditional PUT, and
    updates an agent without reading it first, and only when it changed."""

    def __init__(self, *args: Any, known_new: bool = False, **kwargs: Any) -> None:
        """``known_new``: no conversation can exist yet (its session id was claimed just now), so it is not read.

        The session is then created as any new one, by a conditional PUT, which refuses if one exists after all.
        """
        # Set before Strands' __init__ creates or reads the session: each agent as this manager last wrote or
        # read it, without ``updated_at``, and whether to skip the read.
        self._stored_agents: dict[tuple[str, str], dict[str, Any]] = {}
        self._known_new = known_new
        super().__init__(*args, **kwargs)

    def read_session(self, session_id: str, **kwargs: Any) -> Session | None:
        """Strands' read, except for a session known to be new: none, without a request."""
        if self._known_new:
            self._known_new = False
            return None
        return super().read_session(session_id, **kwargs)

    def create_session(self, session: Session, **kwargs: Any) -> Session:
        """Write ``session.json`` only if it does not exist, in one request; Strands' error when it does."""
        key = f"{self._session_path(session.session_id)}session.json"
        try:
            self._put_json(key, session.to_dict(), only_if_new=True)
        except self.client.exceptions.ClientError as error:
            if error.response.get("Error", {}).get("Code") in CONDITIONAL_WRITE_LOST:
                raise SessionException(f"Session {session.session_id} already exists") from error
            raise SessionException(f"Failed to write S3 object {key}: {error}") from error
        return session

    def create_agent(self, session_id: str, session_agent: SessionAgent, **kwargs: Any) -> None:
        """Strands' write; remembers what it wrote."""
        super().create_agent(session_id, session_agent, **kwargs)
        self._remember(session_id, session_agent)

    def read_agent(self, session_id: str, agent_id: str, **kwargs: Any) -> SessionAgent | None:
        """Strands' read; remembers what it read."""
        agent = super().read_agent(session_id, agent_id, **kwargs)
        if agent is not None:
            self._remember(session_id, agent)
        return agent

    def update_agent(self, session_id: str, session_agent: SessionAgent, **kwargs: Any) -> None:
        """Write the agent with the ``created_at`` it was created or read with, unless nothing but ``updated_at``
        changed since (Strands' first sync after creating an agent writes it again unchanged); Strands'
        read-then-write for an agent this manager has not seen."""
        stored = self._stored_agents.get((session_id, session_agent.agent_id))
        if stored is None:
            super().update_agent(session_id, session_agent, **kwargs)
            self._remember(session_id, session_agent)
            return
        session_agent.created_at = stored["created_at"]
        current = session_agent.to_dict()
        if _without_update_time(current) == stored:
            return
        key = f"{self._session_path(session_id)}agents/{AGENT_PREFIX}{_path_safe(session_agent.agent_id)}/agent.json"
        try:
            self._put_json(key, current)
        except self.client.exceptions.ClientError as error:
            raise SessionException(f"Failed to write S3 object {key}: {error}") from error
        self._stored_agents[(session_id, session_agent.agent_id)] = _without_update_time(current)

    def _remember(self, session_id: str, session_agent: SessionAgent) -> None:
        self._stored_agents[(session_id, session_agent.agent_id)] = _without_update_time(session_agent.to_dict())

    def _session_path(self, session_id: str) -> str:
        """Strands' session folder: ``<prefix>/session_<id>/`` (the prefix's slashes trimmed, as Strands does)."""
        prefix = self.prefix.strip("/")
        folder = f"{SESSION_PREFIX}{_path_safe(session_id)}/"
        return f"{prefix}/{folder}" if prefix else folder

    def _put_json(self, key: str, data: dict[str, Any], *, only_if_new: bool = False) -> None:
        body = json.dumps(data, indent=2, ensure_ascii=False).encode("utf-8")
        if only_if_new:
            self.client.put_object(
                Bucket=self.bucket, Key=key, Body=body, ContentType="application/json", IfNoneMatch="*"
            )
        else:
            self.client.put_object(Bucket=self.bucket, Key=key, Body=body, ContentType="application/json")


def _without_update_time(stored: dict[str, Any]) -> dict[str, Any]:
    """An agent's stored form but for ``updated_at``, which Strands writes and never reads."""
    return {name: value for name, value in stored.items() if name != "updated_at"}


def _path_safe(identifier: str) -> str:
    """The id as Strands accepts it in a key: no path separator (Strands raises ``ValueError`` the same way)."""
    if os.path.basename(identifier) != identifier:
        raise ValueError(f"identifier=<{identifier}> | identifier cannot contain path separators")
    return identifier
