"""`chat`: an interactive conversation in one session, read line by line from stdin.

WHY stdin and not `input()` prompts only: piping lines in (`printf 'hi\n/new\n' | … chat`) makes the
loop scriptable and testable; the prompt marker is shown only on a terminal.
"""

from __future__ import annotations

import sys
from typing import TextIO

from client.agent_client import AgentClient
from client.errors import CliError

HELP = "commands: /new starts a new session, /session shows the current one, /exit quits"


def run_chat(
    client: AgentClient,
    user: str,
    *,
    session_id: str | None = None,
    new_session: bool = False,
    stream: bool = True,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    """Run the loop until `/exit` or end of input; returns 0, or 1 if any turn failed.

    The streams default to the process's current `sys.stdin`/`stdout`/`stderr`.
    """
    stdin, stdout, stderr = stdin or sys.stdin, stdout or sys.stdout, stderr or sys.stderr
    interactive = stdin.isatty()
    current = client.sessions.choose(user, session_id=session_id, new=new_session)
    failed = False
    print(f"chatting as {user} in session {current} ({HELP})", file=stderr)

    def show(text: str) -> None:
        stdout.write(text)
        stdout.flush()

    while True:
        if interactive:
            show("you> ")
        line = stdin.readline()
        if not line:
            return 1 if failed else 0
        prompt = line.strip()
        if not prompt:
            continue
        if prompt == "/exit":
            return 1 if failed else 0
        if prompt == "/new":
            current = client.sessions.choose(user, new=True)
            print(f"new session {current}", file=stderr)
            continue
        if prompt == "/session":
            print(current, file=stdout)
            continue
        try:
            answer = client.ask(user, prompt, session_id=current, stream=stream, on_text=show)
            show("\n")
            current = answer.session_id
        except CliError as e:
            failed = True
            print(f"error: {e.message}", file=stderr)
