"""Print the ``--help`` of one project CLI and of every subcommand under it, as JSON, in one process.

``python -m tests.docs.help_driver -m client`` runs ``python -m client --help``, then ``… users --help``,
``… users create --help`` and so on, each exactly as Python would run it (``runpy`` with the same
``sys.argv``), so the docs-truth test pays one interpreter start-up per CLI instead of one per subcommand.
Output: ``{"<argv joined by spaces>": "<help text, or <exit N> and the text>"}``.
"""

from __future__ import annotations

import contextlib
import io
import json
import runpy
import sys

from tests.docs.commands import help_subcommands

MAX_DEPTH = 3


def help_of(base: list[str], path: list[str]) -> str:
    """The help text ``python <base> <path> --help`` prints (argparse exits 0 after printing it)."""
    out = io.StringIO()
    if base[0] == "-m":
        sys.argv = [base[1], *base[2:], *path, "--help"]
        run = lambda: runpy.run_module(base[1], run_name="__main__", alter_sys=True)  # noqa: E731
    else:
        sys.argv = [base[0], *base[1:], *path, "--help"]
        run = lambda: runpy.run_path(base[0], run_name="__main__")  # noqa: E731
    code: object = 0
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        try:
            run()
        except SystemExit as exit_:
            code = exit_.code or 0
    return out.getvalue() if code == 0 else f"<exit {code}>\n{out.getvalue()}"


def crawl(base: list[str]) -> dict[str, str]:
    """Helps of the base and of each subcommand, breadth first."""
    helps: dict[str, str] = {}
    frontier: list[list[str]] = [[]]
    for _ in range(MAX_DEPTH + 1):
        following: list[list[str]] = []
        for path in frontier:
            text = help_of(base, path)
            helps[" ".join([*base, *path])] = text
            following += [[*path, name] for name in sorted(help_subcommands(text))]
        frontier = following
        if not frontier:
            break
    return helps


if __name__ == "__main__":
    result = crawl(sys.argv[1:])
    sys.stdout = sys.__stdout__
    print(json.dumps(result))
