"""Per-user token cache for one target.

WHY: `login` happens once; every later `invoke` needs a valid access token. The cache keeps the
tokens Cognito issued (0600 file per user, see `private_files`) and when they expire, so the client can
refresh before sending an expired token the runtime would reject.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from pathlib import Path

from client.private_files import check_name, read_private_json, write_private_json

# Refresh this long before the real expiry so a token never expires in flight.
EXPIRY_MARGIN_SECONDS = 60


@dataclass(frozen=True)
class Tokens:
    """Tokens from one sign-in (or refresh)."""

    access_token: str
    id_token: str
    refresh_token: str
    expires_at: float

    def is_expired(self, now: float | None = None) -> bool:
        """True when the access token is expired or about to expire."""
        return (now if now is not None else time.time()) >= self.expires_at - EXPIRY_MARGIN_SECONDS


class TokenCache:
    """Token files under `<root>/tokens/<user>.json` plus the name of the last user who logged in."""

    def __init__(self, root: Path) -> None:
        """Args: root: this target's cache directory (created 0700 on first write)."""
        self._root = root

    def path_for(self, user: str) -> Path:
        """The token file of `user`."""
        return self._root / "tokens" / f"{check_name('user name', user)}.json"

    def load(self, user: str) -> Tokens | None:
        """The cached tokens of `user`, or None if never logged in (or the file is damaged)."""
        data = read_private_json(self.path_for(user))
        try:
            return Tokens(**data) if data else None
        except TypeError:
            return None

    def save(self, user: str, tokens: Tokens) -> None:
        """Store tokens (0600); a refresh saves too, so saving never changes the default user."""
        write_private_json(self.path_for(user), asdict(tokens))

    def remember_default(self, user: str) -> None:
        """Make `user` the default for later commands (`login` does; `demo`'s temporary users do not)."""
        write_private_json(self._root / "last-user.json", {"user": user})

    def forget(self, user: str) -> None:
        """Delete the user's tokens (logout, or a refresh token that no longer works)."""
        self.path_for(user).unlink(missing_ok=True)

    def last_user(self) -> str | None:
        """The user who logged in most recently, if any."""
        data = read_private_json(self._root / "last-user.json")
        return str(data["user"]) if data and "user" in data else None
