"""Name a client command in a hint so that it works when typed into the same shell.

WHY: a hint such as "run `login alice` first" is wrong twice after `make local`: the command needs the target
options that chose this runtime (`--local`, `--outputs-file …`, `--stage prod`), and `agentcore-client` is on
PATH only where the virtualenv is active. So a hint names the program the way this shell can start it, then the
target options, then the command.
"""

from __future__ import annotations

import shlex
import shutil
import sys
from pathlib import Path

from client.targets import Target

PROG = "agentcore-client"


def program() -> list[str]:
    """How this shell starts the client: `agentcore-client` when PATH finds this very script, else its path;
    `<python> -m client` when it runs as a module (or embedded)."""
    started_as = Path(sys.argv[0]) if sys.argv and sys.argv[0] else None
    if started_as is not None and started_as.name == PROG:
        on_path = shutil.which(PROG)
        if on_path is not None and Path(on_path).resolve() == started_as.resolve():
            return [PROG]
        return [str(started_as.resolve())]
    return [sys.executable, "-m", "client"]


def command_for(target: Target, *args: str) -> str:
    """The shell command that runs `args` against `target`, e.g. `agentcore-client --local login alice`."""
    return shlex.join([*program(), *target.cli_options, *args])
