"""Defaults and ranges the docs quote, held against the code that sets them.

- docs/agent.md's environment table against ``agent/settings.py``: every ``Settings`` field declared with
  ``Field(default=…, ge=minimum, le=maximum, validation_alias="NAME")`` has a row whose default cell shows the
  field's default (and ``(minimum..maximum)``), and every row names a variable the settings read;
- docs/bench.md's list of flags against ``BenchConfig``'s field defaults in ``bench/config.py``.

Both sides are read as source (AST), so the check needs neither module importable.
"""

from __future__ import annotations

import ast
import re
import typing
from dataclasses import dataclass
from pathlib import Path

from tests.docs.doc_text import Doc, headings
from tests.docs.repo_facts import alias_names, module_constants, module_values

ROW = re.compile(r"^\|\s*`([A-Z][A-Z0-9_]*)`\s*\|([^|]*)\|")
BENCH_FLAG = re.compile(r"`([a-z_]+)` \(([^)]*)\)")
FLAGS_PARAGRAPH = "Flags / `BENCH_*` variables"


@dataclass(frozen=True)
class Setting:
    """One variable the agent's settings read: its default as the docs would show it, and its range."""

    name: str
    line: int
    default: str | None
    bounds: tuple[int, int] | None


def agent_settings(source: str) -> list[Setting]:
    """The variables agent/settings.py declares, in order: each field of ``Settings`` is
    ``Field(default=…, ge=minimum, le=maximum, validation_alias="NAME")`` (or ``AliasChoices("NAME", "OTHER")``).

    A second variable of ``AliasChoices`` is a fallback with no default of its own (the docs name it in the
    first's row).
    """
    tree = ast.parse(source)
    constants = module_constants(tree)
    found: list[Setting] = []
    for node in ast.walk(tree):
        if not _is_field(node):
            continue
        names = alias_names(node)
        if not names:
            continue
        default = next((keyword.value for keyword in node.keywords if keyword.arg == "default"), None)
        bounds = _bounds(node)
        no_default = default is None or (isinstance(default, ast.Constant) and default.value is None)
        shown = None if no_default else _shown(default, constants)  # type: ignore[arg-type]
        found.append(Setting(names[0], node.lineno, shown, bounds))
        found += [Setting(fallback, node.lineno, None, None) for fallback in names[1:]]
    return sorted(found, key=lambda setting: setting.line)


def _is_field(node: ast.AST | None) -> typing.TypeGuard[ast.Call]:
    """Whether ``node`` is a pydantic ``Field(...)`` call."""
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "Field"


def _bounds(call: ast.Call) -> tuple[int, int] | None:
    """``(ge, le)`` of a ``Field(ge=…, le=…)`` call; None unless it declares both."""
    keywords = {keyword.arg: keyword.value for keyword in call.keywords}
    if "ge" in keywords and "le" in keywords:
        return ast.literal_eval(keywords["ge"]), ast.literal_eval(keywords["le"])
    return None


def _shown(node: ast.expr, constants: dict[str, str]) -> str | None:
    """A default as the docs write it (``false`` for False); None when it is computed (a path)."""
    if isinstance(node, ast.Name) and node.id in constants:
        return constants[node.id]
    if isinstance(node, ast.Constant):
        return str(node.value).lower() if isinstance(node.value, bool) else str(node.value)
    return None


def _section_lines(doc: Doc, heading: str) -> list[tuple[int, str]]:
    """(line number, line) of every line under ``heading``, up to the next line starting with ``#``."""
    start = next((item.line for item in headings(doc) if item.title == heading), None)
    if start is None:
        raise AssertionError(f"{doc.path}: no heading {heading!r} above the table the docs test checks")
    found: list[tuple[int, str]] = []
    for number, line in enumerate(doc.text.splitlines()[start:], start=start + 1):
        if line.startswith("#"):
            break
        found.append((number, line))
    return found


def table_rows(doc: Doc, heading: str) -> dict[str, tuple[int, str]]:
    """``NAME`` → (line, default cell) of the table under ``heading``."""
    rows: dict[str, tuple[int, str]] = {}
    for number, line in _section_lines(doc, heading):
        if match := ROW.match(line):
            rows[match.group(1)] = (number, match.group(2).strip())
    return rows


def check_agent_environment_table(doc: Doc, settings_path: str, source: str) -> list[str]:
    """The table under "Environment variables" matches what agent/settings.py reads, default and range."""
    rows = table_rows(doc, "Environment variables")
    settings = agent_settings(source)
    problems: list[str] = []
    table_text = "\n".join(cell for _, cell in rows.values())
    for setting in settings:
        if setting.name not in rows and f"`{setting.name}`" in table_text:
            continue  # named in another row's default (AWS_DEFAULT_REGION under AWS_REGION)
        if setting.name not in rows:
            problems.append(
                f"{settings_path}:{setting.line}: reads {setting.name}: {doc.path}'s table has no row for it"
            )
            continue
        line, cell = rows[setting.name]
        wanted = [f"`{setting.default}`"] if setting.default is not None else []
        if setting.bounds is not None:
            wanted.append(f"({setting.bounds[0]}..{setting.bounds[1]})")
        missing = [text for text in wanted if text not in cell]
        if missing:
            problems.append(
                f"{doc.path}:{line}: `{setting.name}` default {cell!r}: {settings_path}:{setting.line} "
                f"has {' '.join(wanted)}"
            )
    read = {setting.name for setting in settings}
    problems += [
        f"{doc.path}:{line}: `{name}`: {settings_path} does not read it"
        for name, (line, _) in rows.items()
        if name not in read
    ]
    return problems


def bench_defaults(source: str) -> dict[str, str]:
    """``BenchConfig`` field → its default as the docs write it (``100,1000`` for a tuple), where literal."""
    tree = ast.parse(source)
    constants = module_values(tree)
    config = next(node for node in tree.body if isinstance(node, ast.ClassDef) and node.name == "BenchConfig")
    found: dict[str, str] = {}
    for item in config.body:
        if not (isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name) and item.value is not None):
            continue
        value = constants.get(item.value.id, item.value) if isinstance(item.value, ast.Name) else item.value
        try:
            literal = ast.literal_eval(value)
        except ValueError:
            continue
        found[item.target.id] = ",".join(map(str, literal)) if isinstance(literal, tuple) else str(literal)
    return found


def check_bench_defaults(doc: Doc, config_path: str, source: str) -> list[str]:
    """The paragraph listing the flags (``Flags / `BENCH_*` variables: `name` (default) …``) matches BenchConfig."""
    defaults = bench_defaults(source)
    lines = doc.text.splitlines()
    start = next((index for index, line in enumerate(lines) if line.startswith(FLAGS_PARAGRAPH)), None)
    if start is None:
        raise AssertionError(f"{doc.path}: no paragraph starting {FLAGS_PARAGRAPH!r} (the docs test checks it)")
    end = next((index for index in range(start, len(lines)) if not lines[index].strip()), len(lines))
    paragraph = "\n".join(lines[start:end])
    problems = []
    for match in BENCH_FLAG.finditer(paragraph):
        name, shown = match.group(1), match.group(2).split(";")[0].strip()
        line = start + 1 + paragraph.count("\n", 0, match.start())
        if name in defaults and shown != defaults[name]:
            problems.append(f"{doc.path}:{line}: `{name}` ({shown}): {config_path} defaults it to {defaults[name]}")
    return problems


def read(root: Path, relative: str) -> str:
    return (root / relative).read_text(encoding="utf-8")


@dataclass(frozen=True)
class StageSettings:
    """What stacks/config.py and cdk.json say about the stage settings."""

    fields: tuple[str, ...]
    defaults: dict[str, object]
    stage_overrides: dict[str, dict[str, object]]
    ranges: dict[str, tuple[int, int]]
    choices: dict[str, tuple[str, ...]]


def stage_settings(config_source: str, context: dict[str, object]) -> StageSettings:
    """Fields of ``StageConfig``, their defaults (cdk.json's), and the limits the model declares: the ranges of
    ``Field(ge=…, le=…)`` and the choices of a ``Literal[...]`` annotation (direct or through a module alias)."""
    tree = ast.parse(config_source)
    constants = module_values(tree)
    config_class = next(node for node in tree.body if isinstance(node, ast.ClassDef) and node.name == "StageConfig")
    declared = [
        item for item in config_class.body if isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name)
    ]
    fields = tuple(typing.cast(ast.Name, item.target).id for item in declared)
    ranges: dict[str, tuple[int, int]] = {}
    choices: dict[str, tuple[str, ...]] = {}
    for item, name in zip(declared, fields, strict=True):
        if _is_field(item.value) and (bounds := _bounds(item.value)) is not None:
            ranges[name] = bounds
        if literal := _literal_choices(item.annotation, constants):
            choices[name] = literal
    root = context["agentcore-session"]
    assert isinstance(root, dict)
    return StageSettings(fields, dict(root.get("defaults", {})), dict(root.get("stages", {})), ranges, choices)


def _literal_choices(annotation: ast.expr, constants: dict[str, ast.expr]) -> tuple[str, ...]:
    """The strings of ``Literal["a", "b"]``, of ``Alias`` (``Alias = Literal[...]``) or of ``Alias | None``."""
    if isinstance(annotation, ast.BinOp):  # ``Alias | None``
        return _literal_choices(annotation.left, constants)
    if isinstance(annotation, ast.Name) and annotation.id in constants:
        return _literal_choices(constants[annotation.id], constants)
    if isinstance(annotation, ast.Subscript) and ast.unparse(annotation.value) == "Literal":
        items = annotation.slice.elts if isinstance(annotation.slice, ast.Tuple) else [annotation.slice]
        return tuple(
            str(item.value) for item in items if isinstance(item, ast.Constant) and isinstance(item.value, str)
        )
    return ()


def _as_shown(value: object) -> str | None:
    """A default as the docs write it; None for values it describes in words (dicts, lists, None)."""
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return f"`{value}`"
    return None


def check_stage_config_table(doc: Doc, settings: StageSettings) -> list[str]:
    """docs/deploy.md's Configuration table: every setting listed, with its default, stage overrides, range, choices."""
    rows = _config_rows(doc)
    problems: list[str] = []
    listed: set[str] = set()
    for line, keys, default_cell, allowed_cell in rows:
        for key in keys:
            listed.add(key)
            where = f"{doc.path}:{line}: `{key}`"
            if key not in settings.fields:
                problems.append(f"{where}: StageConfig has no such setting")
                continue
            shown = _as_shown(settings.defaults.get(key))
            if shown is not None and not re.search(rf"(?<![\w.]){re.escape(shown)}(?![\w.])", default_cell):
                problems.append(f"{where}: default cell {default_cell!r} lacks the default {shown}")
            for stage, overrides in settings.stage_overrides.items():
                value = _as_shown(overrides.get(key)) if key in overrides else None
                if value is not None and not re.search(rf"\b{stage}\b[^)]*{re.escape(value)}", default_cell):
                    problems.append(f"{where}: default cell {default_cell!r} lacks {stage}'s {value}")
            if key in settings.ranges:
                low, high = settings.ranges[key]
                if f"{low}..{high}" not in allowed_cell:
                    problems.append(f"{where}: allowed cell {allowed_cell!r} lacks the range {low}..{high}")
            missing = [choice for choice in settings.choices.get(key, ()) if f"`{choice}`" not in allowed_cell]
            if missing:
                problems.append(f"{where}: allowed cell {allowed_cell!r} lacks {', '.join(missing)}")
    problems += [
        f"{doc.path}: Configuration table has no row for `{field}` (stacks/config.py StageConfig)"
        for field in settings.fields
        if field not in listed and field not in ("app_name", "stage")
    ]
    return problems


def _config_rows(doc: Doc) -> list[tuple[int, list[str], str, str]]:
    """(line, keys, default cell, allowed cell) of the table under docs/deploy.md's "Configuration" heading."""
    rows = []
    for number, line in _section_lines(doc, "Configuration"):
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")] if line.startswith("| `") else []
        if len(cells) == 3:
            rows.append((number, re.findall(r"`([a-z_]+)`", cells[0]), cells[1], cells[2]))
    return rows
