"""Shell commands the docs show: split into simple commands, and the project's own CLIs recognized in them.

A doc shows a command in a fenced block (one per logical line; ``\\`` continues it, ``#`` starts a comment,
``&&``/``||``/``;``/``|`` separate commands) or in an inline span. Each simple command keeps the variables
assigned in front of it (``BENCH_QUICK=1 make bench``). The project's CLIs are then recognized by their
leading words, whatever the interpreter path (``python``, ``.venv/bin/python``, ``$(BIN)/python``).
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass

from tests.docs.doc_text import Code

ASSIGNMENT = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)=(.*)$", re.S)
OPERATORS = {"&&", "||", ";", "|", "&"}
SHELL_BLOCKS = {"", "bash", "sh", "shell", "console"}
PYTHON = re.compile(r"^(?:\S*/)?python(?:3(?:\.\d+)?)?$")
# The project's command-line interfaces: leading words (after the interpreter is normalized to ``python``)
# → the argv that prints their help, or None for a command without options (``python -m agent`` starts the
# server and takes none). The client's script and ``python -m client`` are the same parser.
PROJECT_CLIS: dict[tuple[str, ...], tuple[str, ...] | None] = {
    ("agentcore-client",): ("-m", "client"),
    ("python", "-m", "client"): ("-m", "client"),
    ("python", "-m", "local"): ("-m", "local"),
    ("python", "-m", "local.aws_emulator"): ("-m", "local.aws_emulator"),
    ("python", "-m", "local.bedrock_runtime"): ("-m", "local.bedrock_runtime"),
    ("python", "-m", "bench"): ("-m", "bench"),
    ("python", "-m", "agent"): None,
    ("python", "-m", "scripts.deploy_notice"): ("-m", "scripts.deploy_notice"),
    ("python", "-m", "scripts.empty_session_store"): ("-m", "scripts.empty_session_store"),
    ("python", "scripts/pipeline_smoke.py"): ("scripts/pipeline_smoke.py",),
    ("scripts/pipeline_smoke.py",): ("scripts/pipeline_smoke.py",),
    ("python", "scripts/locks.py"): ("scripts/locks.py",),
    ("scripts/locks.py",): ("scripts/locks.py",),
    ("python", "scripts/bump_base_image.py"): ("scripts/bump_base_image.py",),
}
# A span that starts with one of the client's commands is that command of agentcore-client
# (docs/client.md writes ``login NAME [--flow auto|srp|password]``, errors say "run `login alice`").
CLIENT_COMMANDS = ("users", "login", "logout", "invoke", "chat", "demo", "sessions")


@dataclass(frozen=True)
class Command:
    """One simple command as a doc shows it."""

    where: str
    words: tuple[str, ...]
    assignments: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class CliCall:
    """A call of one of the project's CLIs: which one, the help argv, and the words after its name."""

    command: Command
    name: str
    help_argv: tuple[str, ...] | None
    args: tuple[str, ...]


def commands(code: Code) -> list[Command]:
    """The simple commands in a shell block (any line) or a span (the span as one line)."""
    if code.block and code.lang not in SHELL_BLOCKS:
        return []
    found: list[Command] = []
    for offset, line in _logical_lines(code.text):
        where = f"{code.doc}:{code.line + offset + (1 if code.block else 0)}"
        for words in _simple_commands(line):
            assignments: list[tuple[str, str]] = []
            while words and (match := ASSIGNMENT.match(words[0])):
                assignments.append((match.group(1), match.group(2)))
                words = words[1:]
                if "$(" in match.group(2):  # NAME=$(command …): the rest of the words are the substitution
                    words = ()
            if words or assignments:
                found.append(Command(where, tuple(words), tuple(assignments)))
    return found


def _logical_lines(text: str) -> list[tuple[int, str]]:
    """(line offset, text) of each logical line: continuations joined, a leading ``$ `` prompt dropped."""
    out: list[tuple[int, str]] = []
    pending: list[str] = []
    start = 0
    for offset, raw in enumerate(text.splitlines() or [""]):
        if not pending:
            start = offset
        line = raw[2:] if raw.startswith("$ ") else raw
        if line.rstrip().endswith("\\"):
            pending.append(line.rstrip()[:-1])
            continue
        out.append((start, " ".join([*pending, line])))
        pending = []
    if pending:
        out.append((start, " ".join(pending)))
    return out


def _simple_commands(line: str) -> list[tuple[str, ...]]:
    """Shell words of each simple command on a line; unbalanced quotes fall back to whitespace words.

    A ``|`` inside ``[...]`` is a usage synopsis's alternative (``[--session ID | --new-session]``), not a pipe.
    """
    line = re.sub(r"\[[^\]]*\]", lambda match: match.group(0).replace(" | ", " "), line)
    lexer = shlex.shlex(line, posix=True)
    lexer.whitespace_split = True
    lexer.commenters = "#"
    try:
        words = list(lexer)
    except ValueError:
        words = line.split("#", 1)[0].split()
    out: list[tuple[str, ...]] = []
    current: list[str] = []
    for word in words:
        if word in OPERATORS:
            out.append(tuple(current))
            current = []
        elif word.endswith(";") and len(word) > 1:
            current.append(word[:-1])
            out.append(tuple(current))
            current = []
        else:
            current.append(word)
    out.append(tuple(current))
    return [words for words in out if words]


def cli_call(command: Command, *, span: bool) -> CliCall | None:
    """The project CLI this command calls, if any (a span may also start with one of the client's commands)."""
    words = tuple("python" if index == 0 and PYTHON.match(word) else word for index, word in enumerate(command.words))
    words = tuple(_basename_if_venv(word) if index == 0 else word for index, word in enumerate(words))
    for prefix, help_argv in sorted(PROJECT_CLIS.items(), key=lambda item: -len(item[0])):
        if words[: len(prefix)] == prefix:
            return CliCall(command, " ".join(prefix), help_argv, words[len(prefix) :])
    if span and words and words[0] in CLIENT_COMMANDS:
        return CliCall(command, "agentcore-client", PROJECT_CLIS[("agentcore-client",)], words)
    return None


def _basename_if_venv(word: str) -> str:
    """``.venv/bin/agentcore-client`` → ``agentcore-client``: a venv's scripts are the same commands."""
    return word.rsplit("/", 1)[-1] if "/bin/" in word or word.startswith("bin/") else word


def make_targets(command: Command) -> tuple[list[str], list[tuple[str, str]]]:
    """(targets, VAR=value arguments) of a ``make`` command; nothing for other commands or bare ``make``."""
    if not command.words or command.words[0] != "make":
        return [], []
    targets: list[str] = []
    variables: list[tuple[str, str]] = []
    for word in command.words[1:]:
        if match := ASSIGNMENT.match(word):
            variables.append((match.group(1), match.group(2)))
        elif not word.startswith("-"):
            targets.append(word)
    return targets, variables


def help_subcommands(help_text: str) -> set[str]:
    """Subcommand names an argparse help lists: ``{a,b}`` in the usage, or 4-space entries under a metavar."""
    names: set[str] = set()
    positional = help_text.split("positional arguments:", 1)
    if len(positional) == 2:
        section = positional[1].split("\n\n", 1)[0]
        names.update(re.findall(r"^ {4}([a-z][a-z0-9_-]*)(?:\s|$)", section, re.M))
    return names


def help_options(help_text: str) -> set[str]:
    """Every long option an argparse help names."""
    return set(re.findall(r"(?<![\w-])(--[a-z][a-z0-9-]*)", help_text))


def option_name(word: str) -> str | None:
    """``--flow=auto`` → ``--flow``; ``[--no-stream]`` → ``--no-stream``; anything else → None."""
    match = re.match(r"^[\[(]?(--[a-z][a-z0-9-]*)", word)
    return match.group(1) if match else None


def quote(words: tuple[str, ...]) -> str:
    return shlex.join(words)
