"""What the repository actually has, for the docs-truth checks to hold the docs against.

Read offline from the working tree: Makefile targets and variables, the environment variables the code reads
(Python, shell, Dockerfile, workflow), first-party modules and their top-level names, the files that exist and
the paths git ignores (generated output), and the ``--help`` of the project's CLIs (run once each, in parallel).
"""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from tests.support.paths import REPO

FIRST_PARTY = ("agent", "bench", "client", "local", "scripts", "stacks", "tests")
HELP_TIMEOUT_S = 60
MAKE_RULE = re.compile(r"^([a-z][a-z0-9-]*):(?!=)(.*)$", re.M)
MAKE_ASSIGNMENT = re.compile(r"^(?:export\s+|unexport\s+)?([A-Z][A-Z0-9_]*)\s*(\?=|:=|\+=|=)?", re.M)
MAKE_REFERENCE = re.compile(r"\$\(([A-Z][A-Z0-9_]*)\)")
MAKE_SHELL_REFERENCE = re.compile(r"\$\$\{([A-Z][A-Z0-9_]*)")
SHELL_DEFAULTED = re.compile(r"\$\{([A-Z][A-Z0-9_]*)(?::?[-=?+])")
DOCKERFILE_NAME = re.compile(r"^(?:ARG|ENV)\s+([A-Z][A-Z0-9_]*)", re.M)
DOCKERFILE_ENV_LIST = re.compile(r"^ENV\s+(.*(?:\\\n.*)*)", re.M)
WORKFLOW_VARIABLE = re.compile(r"\bvars\.([A-Z][A-Z0-9_]*)")
ENV_RECEIVER = re.compile(r"(?:^|\.)(?:environ|env)$")
# agent/settings.py declares every variable once, as a pydantic field's ``validation_alias="NAME"`` (or
# ``AliasChoices("NAME", "FALLBACK")``).
ENV_ALIAS_KEYWORD = "validation_alias"


def alias_names(call: ast.Call) -> list[str]:
    """The variables a ``Field(..., validation_alias=…)`` call reads, in order (none without the keyword)."""
    for keyword in call.keywords:
        if keyword.arg != ENV_ALIAS_KEYWORD:
            continue
        value = keyword.value
        choices = value.args if isinstance(value, ast.Call) else [value]
        return [str(choice.value) for choice in choices if isinstance(choice, ast.Constant)]
    return []


@dataclass(frozen=True)
class EnvUse:
    """A variable (or a family: ``prefix`` True, e.g. ``BENCH_`` for ``f"BENCH_{name}"``) the code uses."""

    name: str
    where: str
    read: bool
    prefix: bool = False


@dataclass(frozen=True)
class Makefile:
    """Targets (with their ``##`` help, if any) and variables of a Makefile text."""

    text: str

    @property
    def targets(self) -> dict[str, str | None]:
        found: dict[str, str | None] = {}
        for match in MAKE_RULE.finditer(self.text):
            helptext = match.group(2).split("## ", 1)
            found[match.group(1)] = helptext[1].strip() if len(helptext) == 2 else None
        return found

    @property
    def user_variables(self) -> set[str]:
        """Variables a user may set: ``?=`` ones and those referenced but never assigned (``$(UPGRADE)``)."""
        assigned: dict[str, str] = {}
        for match in MAKE_ASSIGNMENT.finditer(self.text):
            if match.group(2):
                assigned.setdefault(match.group(1), match.group(2))
        referenced = set(MAKE_REFERENCE.findall(self.text)) | set(MAKE_SHELL_REFERENCE.findall(self.text))
        unassigned = referenced - set(assigned) - {"MAKEFILE_LIST", "CURDIR", "MAKE", "PATH", "SHELL"}
        return {name for name, operator in assigned.items() if operator == "?="} | unassigned

    @property
    def variables(self) -> set[str]:
        """Every variable the Makefile assigns, exports or references."""
        assigned = {match.group(1) for match in MAKE_ASSIGNMENT.finditer(self.text)}
        return assigned | set(MAKE_REFERENCE.findall(self.text)) | set(MAKE_SHELL_REFERENCE.findall(self.text))


@dataclass
class RepoFacts:
    """Everything the checks compare the docs with; tests build variants with ``dataclasses.replace``."""

    root: Path
    makefile: Makefile
    env_uses: list[EnvUse]
    files: set[str]

    def exists(self, relative: str) -> bool:
        """A tracked (or new, unignored) file, or a folder holding one."""
        relative = relative.rstrip("/")
        return relative in self.files or any(path.startswith(relative + "/") for path in self.files)

    def basenames(self) -> set[str]:
        return {path.rsplit("/", 1)[-1] for path in self.files}


def load(root: Path = REPO) -> RepoFacts:
    """The facts of the working tree at ``root``."""
    files = repository_files(root)
    return RepoFacts(
        root=root,
        makefile=Makefile((root / "Makefile").read_text(encoding="utf-8")),
        env_uses=list(env_uses(root, files)),
        files=files,
    )


def repository_files(root: Path) -> set[str]:
    """Tracked files plus new files git does not ignore, as posix paths relative to ``root``."""
    result = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=root,
        capture_output=True,
        check=True,
    )
    return {path for path in result.stdout.decode().split("\0") if path and (root / path).exists()}


def ignored(root: Path, paths: Iterable[str]) -> set[str]:
    """Which of ``paths`` git ignores (generated output such as ``.venv/`` or ``cdk-outputs-dev.json``)."""
    wanted = sorted(set(paths))
    if not wanted:
        return set()
    result = subprocess.run(
        ["git", "check-ignore", "--no-index", "--stdin", "-z"],
        cwd=root,
        input="\0".join(wanted).encode(),
        capture_output=True,
        check=False,
    )
    return {path for path in result.stdout.decode().split("\0") if path}


def env_uses(root: Path, files: Iterable[str]) -> Iterable[EnvUse]:
    """Every environment variable the code reads or sets: Python, shell, Makefile, Dockerfile, workflows."""
    for relative in sorted(files):
        path = root / relative
        if relative.startswith("tests/docs/") or not path.is_file():  # a file another test just removed
            continue
        if relative.endswith(".py"):
            yield from python_env_uses(relative, path.read_text(encoding="utf-8"))
        elif relative.endswith(".sh") or relative == ".ci/run":
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
                for name in SHELL_DEFAULTED.findall(line):
                    yield EnvUse(name, f"{relative}:{number}", read=True)
        elif relative.endswith("Dockerfile"):
            yield from dockerfile_env(relative, path.read_text(encoding="utf-8"))
        elif relative.startswith(".github/workflows/"):
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
                for name in WORKFLOW_VARIABLE.findall(line):
                    yield EnvUse(name, f"{relative}:{number}", read=True)
        elif relative == "Makefile":
            makefile = Makefile(path.read_text(encoding="utf-8"))
            for name in sorted(makefile.variables):
                yield EnvUse(name, "Makefile", read=name in makefile.user_variables)


def dockerfile_env(relative: str, text: str) -> Iterable[EnvUse]:
    """``ARG NAME`` and ``ENV NAME=… OTHER=…`` of a Dockerfile: settings the image gives its process."""
    for match in DOCKERFILE_NAME.finditer(text):
        yield EnvUse(match.group(1), relative, read=False)
    for match in DOCKERFILE_ENV_LIST.finditer(text):
        for name in re.findall(r"(?:^|\s)([A-Z][A-Z0-9_]*)=", match.group(1)):
            yield EnvUse(name, relative, read=False)


def python_env_uses(relative: str, source: str) -> Iterable[EnvUse]:
    """``os.environ[...]``, ``environ.get/setdefault/pop``, ``os.getenv``, ``env.get`` and the agent settings'
    ``validation_alias``, with names resolved from literals, module constants or f-string prefixes."""
    tree = ast.parse(source)
    constants = module_constants(tree)
    for node in ast.walk(tree):
        target: ast.expr | None = None
        read = True
        if isinstance(node, ast.Call) and node.args:
            function = node.func
            if isinstance(function, ast.Attribute) and function.attr in ("get", "setdefault", "pop", "getenv"):
                receiver = ast.unparse(function.value)
                if ENV_RECEIVER.search(receiver) or (function.attr == "getenv" and receiver == "os"):
                    target, read = node.args[0], function.attr != "setdefault"
            if isinstance(function, ast.Name) and function.id == "getenv":
                target = node.args[0]
        elif isinstance(node, ast.Subscript) and ENV_RECEIVER.search(ast.unparse(node.value)):
            target, read = node.slice, isinstance(node.ctx, ast.Load)
        if isinstance(node, ast.Call):
            for name in alias_names(node):
                yield EnvUse(name, f"{relative}:{node.lineno}", read=True)
        if target is None:
            continue
        resolved = resolve_name(target, constants)
        if resolved is not None:
            name, is_prefix = resolved
            yield EnvUse(name, f"{relative}:{node.lineno}", read=read, prefix=is_prefix)


def module_values(tree: ast.Module) -> dict[str, ast.expr]:
    """Module-level ``NAME = value`` and ``NAME: type = value`` assignments: name → the value's expression."""
    found: dict[str, ast.expr] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    found[target.id] = node.value
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value is not None:
            found[node.target.id] = node.value
    return found


def module_constants(tree: ast.Module) -> dict[str, str]:
    """Module-level ``NAME = "text"`` assignments."""
    return {
        name: value.value
        for name, value in module_values(tree).items()
        if isinstance(value, ast.Constant) and isinstance(value.value, str)
    }


def resolve_name(node: ast.expr, constants: Mapping[str, str]) -> tuple[str, bool] | None:
    """A variable name from a literal or module constant, or a family prefix from ``f"PREFIX_{…}"``."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        value = node.value
    elif isinstance(node, ast.Name) and node.id in constants:
        value = constants[node.id]
    elif isinstance(node, ast.JoinedStr) and node.values and isinstance(node.values[0], ast.Constant):
        return str(node.values[0].value), True
    else:
        return None
    return (value, False) if re.fullmatch(r"[A-Z][A-Z0-9_]*", value) else None


def module_file(root: Path, dotted: str) -> Path | None:
    """``stacks.constructs.stack_outputs`` → its file (a module or a package's ``__init__.py``), if any."""
    base = root.joinpath(*dotted.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py", base / "__main__.py"):
        if candidate.is_file():
            return candidate
    return None


@cache
def top_level_names(path: Path) -> frozenset[str]:
    """Names a module defines or imports at top level (what ``from module import name`` can take)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names.update(target.id for target in node.targets if isinstance(target, ast.Name))
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
    return frozenset(names)


def class_attributes(path: Path, class_name: str) -> frozenset[str]:
    """Methods and attributes (``self.x = …`` in any method, class-level names) of a class in a module."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.name == class_name:
            names: set[str] = set()
            for item in ast.walk(node):
                if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    names.add(item.name)
                elif isinstance(item, ast.Attribute) and isinstance(item.value, ast.Name) and item.value.id == "self":
                    names.add(item.attr)
                elif isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name):
                    names.add(item.target.id)
            return frozenset(names)
    return frozenset()


def crawl_helps(root: Path, bases: Iterable[tuple[str, ...]]) -> dict[tuple[str, ...], str]:
    """The ``--help`` of each CLI and of every subcommand under it, keyed by argv (base + subcommands).

    One interpreter per CLI (tests/docs/help_driver.py runs each help the way ``python <argv> --help`` does),
    all CLIs in parallel: offline, since argparse prints and exits before a CLI does any work.
    """
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda base: _crawl_one(root, base), sorted(set(bases))))
    return {argv: text for result in results for argv, text in result.items()}


def _crawl_one(root: Path, base: tuple[str, ...]) -> dict[tuple[str, ...], str]:
    result = subprocess.run(
        [sys.executable, "-m", "tests.docs.help_driver", *base],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=HELP_TIMEOUT_S,
        check=False,
    )
    if result.returncode != 0:
        return {base: f"<exit {result.returncode}>\n{result.stdout}{result.stderr}"}
    return {tuple(key.split(" ")): text for key, text in json.loads(result.stdout.splitlines()[-1]).items()}
