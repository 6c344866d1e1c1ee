"""Read and write the client's per-user files with owner-only permissions.

WHY: the cache holds refresh tokens, which are as good as a password until they expire. Directories are
0700 and files 0600 from the moment they exist (never world-readable, not even briefly), and writes are
atomic so a crash never leaves a half-written token file.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from client.errors import CliError

APP_DIR_NAME = "agentcore-session"
_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@+-]{0,127}$")


def cache_root() -> Path:
    """`$XDG_CACHE_HOME/agentcore-session`, or `~/.cache/agentcore-session`."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / APP_DIR_NAME


def check_name(kind: str, value: str) -> str:
    """Refuse names that could escape the cache directory or are not valid Cognito user names.

    Raises:
        CliError: naming the field, the value and the allowed pattern.
    """
    if not _SAFE_NAME.match(value):
        raise CliError(
            f"{kind} {value!r} is not allowed: use 1-128 letters, digits or . _ @ + - (not starting with a symbol)"
        )
    return value


def private_dir(path: Path) -> Path:
    """Create `path` (and parents) as 0700 and return it."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(path, 0o700)
    return path


def write_private_json(path: Path, data: Mapping[str, Any]) -> None:
    """Atomically write `data` as JSON to `path` with mode 0600."""
    private_dir(path.parent)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        json.dump(data, handle, indent=2)
    os.replace(temporary, path)


def read_private_json(path: Path) -> dict[str, Any] | None:
    """Read a JSON file written by `write_private_json`; None when absent or unreadable as JSON."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None
