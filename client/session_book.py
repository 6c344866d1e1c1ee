"""Session ids: generate them long enough for AgentCore and remember them per user.

WHY: AgentCore rejects `runtimeSessionId`s under 33 characters, and a conversation continues only if
the next call sends the same id. The book keeps each user's sessions and which one is current, so
`invoke` resumes by default and `--new-session` starts over.
"""

from __future__ import annotations

import time
import uuid
from pathlib import Path
from typing import Any, TypedDict

from client.errors import CliError
from client.private_files import check_name, read_private_json, write_private_json

MIN_SESSION_ID_CHARS = 33
MAX_SESSION_ID_CHARS = 256
SESSION_ID_PREFIX = "session-"


def new_session_id() -> str:
    """A fresh random session id: `session-` + 32 hex characters = 40 characters."""
    return f"{SESSION_ID_PREFIX}{uuid.uuid4().hex}"


def check_session_id(session_id: str) -> str:
    """Refuse ids AgentCore would refuse, before sending anything.

    Raises:
        CliError: the id is shorter than 33 or longer than 256 characters.
    """
    if not MIN_SESSION_ID_CHARS <= len(session_id) <= MAX_SESSION_ID_CHARS:
        raise CliError(
            f"session id {session_id!r} is {len(session_id)} characters long but must be "
            f"{MIN_SESSION_ID_CHARS} to {MAX_SESSION_ID_CHARS} (omit --session to get a generated one)"
        )
    return session_id


class _Book(TypedDict):
    """One user's file, as read: the current session id (if any) and the remembered sessions."""

    current: str | None
    sessions: list[dict[str, Any]]


class SessionBook:
    """`<root>/sessions/<user>.json`: `{"current": id, "sessions": [{"id", "created_at", "last_used_at"}]}`."""

    def __init__(self, root: Path) -> None:
        """Args: root: this target's cache directory."""
        self._root = root

    def _path(self, user: str) -> Path:
        return self._root / "sessions" / f"{check_name('user name', user)}.json"

    def _read(self, user: str) -> _Book:
        data = read_private_json(self._path(user)) or {}
        current, sessions = data.get("current"), data.get("sessions")
        return {
            "current": current if isinstance(current, str) else None,
            "sessions": [s for s in sessions if isinstance(s, dict)] if isinstance(sessions, list) else [],
        }

    def current(self, user: str) -> str | None:
        """The session `invoke` resumes by default."""
        return self._read(user)["current"]

    def choose(self, user: str, *, session_id: str | None = None, new: bool = False) -> str:
        """Pick the session for the next call: explicit id, a new one, or the current one (else new)."""
        if session_id is not None:
            return check_session_id(session_id)
        current = None if new else self.current(user)
        return current or new_session_id()

    def record_use(self, user: str, session_id: str) -> None:
        """Remember `session_id` as `user`'s current session."""
        data = self._read(user)
        now = time.time()
        entry = next((s for s in data["sessions"] if s.get("id") == session_id), None)
        if entry is None:
            entry = {"id": session_id, "created_at": now}
            data["sessions"].append(entry)
        entry["last_used_at"] = now
        data["current"] = session_id
        write_private_json(self._path(user), data)

    def sessions(self, user: str) -> list[dict[str, Any]]:
        """All remembered sessions of `user`, oldest first."""
        return self._read(user)["sessions"]

    def forget(self, user: str, session_id: str) -> bool:
        """Drop a session (after it was stopped); returns whether it was known."""
        data = self._read(user)
        remaining = [s for s in data["sessions"] if s.get("id") != session_id]
        known = len(remaining) != len(data["sessions"])
        data["sessions"] = remaining
        if data["current"] == session_id:
            data["current"] = None
        write_private_json(self._path(user), data)
        return known

    def forget_user(self, user: str) -> None:
        """Drop every session of `user` (a temporary user that no longer exists)."""
        self._path(user).unlink(missing_ok=True)

    def users(self) -> list[str]:
        """Users with remembered sessions."""
        folder = self._root / "sessions"
        return sorted(p.stem for p in folder.glob("*.json")) if folder.exists() else []
