"""The import rules docs/architecture.md states, read from its two tables and checked against every import.

The doc is the single statement of the rules: the table after ``<!-- import-rules -->`` says which first-party
packages each folder (or file) may import besides its own, the table after ``<!-- import-exceptions -->`` lists
single arrows allowed anyway, each with its reason. An import no row allows is a problem, and so is an
exception no import uses any more (the doc would describe an arrow that is gone).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from tests.docs.doc_text import Doc
from tests.docs.repo_facts import FIRST_PARTY

RULES_MARKER = "<!-- import-rules -->"
EXCEPTIONS_MARKER = "<!-- import-exceptions -->"
FIRST_PARTY_TOPS = {*FIRST_PARTY, "app"}
TICKED = re.compile(r"`([^`]+)`")


@dataclass(frozen=True)
class Rule:
    """A row: the folder or file it covers (``tests/*``: each folder under tests/) and what it may import."""

    pattern: str
    allowed: tuple[str, ...]
    line: int


@dataclass(frozen=True)
class Exception_:
    """One allowed arrow: this file may import this module."""

    file: str
    module: str
    line: int


@dataclass(frozen=True)
class Import:
    """One import statement's first-party module, where it is."""

    file: str
    line: int
    module: str


def table_after(doc: Doc, marker: str) -> list[tuple[int, list[str]]]:
    """(line, cells) of the rows of the Markdown table that follows ``marker`` (header and rule skipped)."""
    lines = doc.text.splitlines()
    try:
        start = next(index for index, line in enumerate(lines) if line.strip() == marker)
    except StopIteration:
        raise AssertionError(f"{doc.path}: no {marker} marker before its table") from None
    rows: list[tuple[int, list[str]]] = []
    for index in range(start + 1, len(lines)):
        line = lines[index].strip()
        if not line.startswith("|"):
            if rows or index > start + 1:
                break
            continue
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        if set("".join(cells)) <= set("-: "):
            continue
        rows.append((index + 1, cells))
    return rows[1:]


def rules(doc: Doc) -> list[Rule]:
    return [
        Rule(TICKED.findall(cells[0])[0], tuple(TICKED.findall(cells[1])), line)
        for line, cells in table_after(doc, RULES_MARKER)
    ]


def exceptions(doc: Doc) -> list[Exception_]:
    return [
        Exception_(TICKED.findall(cells[0])[0], TICKED.findall(cells[1])[0], line)
        for line, cells in table_after(doc, EXCEPTIONS_MARKER)
    ]


def first_party_imports(root: Path, files: Iterable[str]) -> list[Import]:
    """Every import of a first-party module in the given Python files (inside functions too)."""
    found: list[Import] = []
    for relative in sorted(files):
        if not (root / relative).is_file():  # a file another test just removed
            continue
        tree = ast.parse((root / relative).read_text(encoding="utf-8"))
        package = relative.removesuffix(".py").replace("/", ".").rsplit(".", 1)[0]
        for node in ast.walk(tree):
            for module in _modules(node, package, root):
                if module.split(".")[0] in FIRST_PARTY_TOPS:
                    found.append(Import(relative, node.lineno, module))  # type: ignore[attr-defined]
    return found


def _modules(node: ast.AST, package: str, root: Path) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if not isinstance(node, ast.ImportFrom):
        return []
    base = node.module or ""
    if node.level:
        parent = package.split(".")[: len(package.split(".")) - node.level + 1]
        base = ".".join([*parent, *([base] if base else [])])
    # ``from scripts import locks`` imports the module scripts.locks when that is a file.
    submodules = [
        f"{base}.{alias.name}"
        for alias in node.names
        if (root / f"{base}.{alias.name}".replace(".", "/")).with_suffix(".py").is_file()
    ]
    return submodules or [base]


def rule_for(relative: str, all_rules: Sequence[Rule]) -> tuple[Rule, str] | None:
    """The most specific row covering a file, and the module prefix that is the file's own folder."""
    best: tuple[tuple[int, int], Rule, str] | None = None
    for rule in all_rules:
        own = _covers(rule.pattern, relative)
        if own is None:
            continue
        rank = (rule.pattern.count("/") + (1 if rule.pattern.endswith(".py") else 0), 0 if "*" in rule.pattern else 1)
        if best is None or rank > best[0]:
            best = (rank, rule, own)
    return None if best is None else (best[1], best[2])


def _covers(pattern: str, relative: str) -> str | None:
    """The own-module prefix if ``pattern`` covers ``relative`` (a file row: the module itself)."""
    if pattern.endswith(".py"):
        return pattern.removesuffix(".py").replace("/", ".") if relative == pattern else None
    parts = pattern.split("/")
    file_parts = relative.split("/")
    if len(file_parts) <= len(parts):
        return None
    for want, have in zip(parts, file_parts, strict=False):
        if want not in ("*", have):
            return None
    return ".".join(file_parts[: len(parts)])


def _within(module: str, prefix: str) -> bool:
    return module == prefix or module.startswith(prefix + ".")


def check_imports(doc: Doc, root: Path, files: Iterable[str]) -> list[str]:
    """Imports no row or exception allows, files no row covers, and exceptions no import uses."""
    python_files = sorted(path for path in files if path.endswith(".py"))
    all_rules = rules(doc)
    all_exceptions = exceptions(doc)
    used: set[Exception_] = set()
    problems: list[str] = []
    covered: dict[str, tuple[Rule, str] | None] = {path: rule_for(path, all_rules) for path in python_files}
    problems += [
        f"{path}: no row of {doc.path}'s import rules covers this file; add one"
        for path, rule in covered.items()
        if rule is None
    ]
    for item in first_party_imports(root, python_files):
        match = covered[item.file]
        if match is None:
            continue
        rule, own = match
        if _within(item.module, own) or any(_within(item.module, allowed) for allowed in rule.allowed):
            continue
        exception = next(
            (exc for exc in all_exceptions if exc.file == item.file and _within(item.module, exc.module)), None
        )
        if exception is not None:
            used.add(exception)
            continue
        allowed = ", ".join(rule.allowed) or "nothing else"
        problems.append(
            f"{item.file}:{item.line}: imports {item.module}: `{rule.pattern}` may import {allowed} "
            f"({doc.path}:{rule.line}); remove the import or add an exception with its reason"
        )
    problems += [
        f"{doc.path}:{exc.line}: exception `{exc.file}` → `{exc.module}`: no such import any more; delete the row"
        for exc in all_exceptions
        if exc not in used
    ]
    return problems
