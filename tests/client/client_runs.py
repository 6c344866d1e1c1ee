"""Running the client as a user would: another target's outputs file, and `python -m client … demo` in a clean env."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from local.runtime import LocalRuntime
from tests.support.paths import REPO

PASSWORD = "Test-Passw0rd-Long!"
SESSION_ID = re.compile(r"session-[0-9a-f]{32}")


def signed_in_user(cli: Callable[..., Any], name: str) -> str:
    """Create the confirmed user `name` and log them in (the `cli` fixture's target); returns `name`."""
    assert cli("users", "create", name, "--password-stdin", stdin=PASSWORD + "\n").code == 0
    assert cli("login", name, "--password-stdin", stdin=PASSWORD + "\n").code == 0
    return name


def remembered_session(cli: Callable[..., Any], user: str, **options: Any) -> str:
    """The first session id `sessions list --user USER` shows (`options`: the `cli` fixture's, e.g. `target`)."""
    match = SESSION_ID.search(cli("sessions", "list", "--user", user, **options).out)
    assert match is not None
    return match.group(0)


def outputs_file(tmp_path: Path, local_runtime: LocalRuntime, **changes: str) -> Path:
    """The local runtime's outputs with some values changed, as another target would describe them."""
    document = json.loads(local_runtime.settings.outputs_path.read_text())
    for stack in document.values():
        for key, value in changes.items():
            if key in stack:
                stack[key] = value
    path = tmp_path / "outputs.json"
    path.write_text(json.dumps(document))
    return path


def run_demo(outputs_path: Path, tmp_path: Path) -> tuple[subprocess.CompletedProcess[str], dict[str, str]]:
    """`python -m client --local --outputs-file … demo` in a clean environment; the process and its rows by check."""
    completed = subprocess.run(
        [sys.executable, "-m", "client", "--local", "--outputs-file", str(outputs_path), "demo"],
        cwd=REPO,
        env={"PATH": "/usr/bin:/bin", "XDG_CACHE_HOME": str(tmp_path), "HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    rows = {line.split("  ")[0]: line for line in completed.stdout.splitlines()}
    return completed, rows
