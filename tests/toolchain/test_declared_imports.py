"""Every third-party package a part imports is declared in that part's requirement file.

A package that works only because another one happens to bring it breaks when that other one drops it (the
issue: `starlette` in local/, `yaml` in tests). Each top-level import of every module (including imports
inside functions) is mapped to its distributions with ``importlib.metadata.packages_distributions()``; the
standard library (``sys.stdlib_module_names``) and the project's own parts are skipped. A part's requirement
file declares what it pins and what it includes with ``-r`` (bench/ builds the agent and the stand-ins, so it
includes their files; the tests include everything through requirements-dev.txt).
"""

from __future__ import annotations

import ast
import importlib.metadata
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from scripts import locks
from tests.support.paths import REPO

FIRST_PARTY = {"agent", "app", "bench", "client", "local", "scripts", "stacks", "tests"}
# Source path (folder or file) -> the requirement file that must declare its imports; the longest path wins.
# scripts/pipeline_smoke.py runs in the pipeline's smoke step, which installs only the client's lock.
PARTS = {
    "agent": "agent/requirements.txt",
    "client": "client/requirements.txt",
    "local": "local/requirements.txt",
    "stacks": "requirements.txt",
    "app.py": "requirements.txt",
    "bench": "bench/requirements.txt",
    "scripts": "requirements-dev.txt",
    "scripts/pipeline_smoke.py": "client/requirements.txt",
    "tests": "requirements-dev.txt",
}
DEV_REQUIREMENTS = REPO / "requirements-dev.txt"


def declared(requirement_file: Path) -> set[str]:
    """Normalized names a requirement file pins, itself or through the files it includes with ``-r``, and the
    distributions its extras select (``boto3-stubs[s3]`` declares ``mypy-boto3-s3``)."""
    names = set()
    for path in locks.input_files(requirement_file):
        for line in locks.requirement_lines(path):
            if locks.INCLUDE.match(line):
                continue
            requirement = Requirement(line)
            names.add(locks.normalized_name(requirement.name))
            names.update(_selected_by_extras(requirement))
    return names


def _selected_by_extras(requirement: Requirement) -> set[str]:
    """The distributions the installed ``requirement.name`` requires only for the extras asked for."""
    if not requirement.extras:
        return set()
    selected = set()
    for text in importlib.metadata.requires(requirement.name) or []:
        dependency = Requirement(text)
        marker = dependency.marker
        asked_for = marker is not None and any(marker.evaluate({"extra": extra}) for extra in requirement.extras)
        if asked_for and marker is not None and not marker.evaluate({"extra": ""}):
            selected.add(locks.normalized_name(dependency.name))
    return selected


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def top_level_imports(source: str) -> tuple[set[str], set[str]]:
    """The top-level names of every absolute import in a module, wherever it appears: (at run time, typing only).

    Imports under ``if TYPE_CHECKING:`` only serve the type checker, which runs in the dev environment.
    """
    tree = ast.parse(source)
    typing_only = {
        id(node)
        for block in ast.walk(tree)
        if isinstance(block, ast.If) and _is_type_checking(block.test)
        for statement in block.body
        for node in ast.walk(statement)
    }
    runtime: set[str] = set()
    typing: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = {node.module.split(".")[0]}
        else:
            continue
        (typing if id(node) in typing_only else runtime).update(names)
    return runtime, typing


def undeclared_imports(
    files: dict[Path, str], requirement_file: Path, distributions: dict[str, list[str]]
) -> list[str]:
    """``"<file>: <module> (<distributions>)"`` for each third-party import the requirement file does not declare.

    Typing-only imports are checked against requirements-dev.txt, where mypy and the stubs are pinned.
    """
    allowed = {"runtime": declared(requirement_file), "typing": declared(DEV_REQUIREMENTS)}
    problems = []
    for path, source in sorted(files.items()):
        runtime, typing = top_level_imports(source)
        for kind, modules in (("runtime", runtime), ("typing", typing)):
            for module in sorted(modules - FIRST_PARTY - set(sys.stdlib_module_names)):
                providers = distributions.get(module, [])
                # A namespace package (aws_cdk, opentelemetry) has several distributions; one declared is enough.
                if not {locks.normalized_name(name) for name in providers} & allowed[kind]:
                    problems.append(f"{path}: {module} ({', '.join(sorted(set(providers))) or 'not installed'})")
    return problems


def _part_files(part: str) -> Iterator[Path]:
    """The modules of a part that no longer path in PARTS claims for another part."""
    root = REPO / part
    candidates = [root] if root.is_file() else sorted(root.rglob("*.py"))
    for path in candidates:
        relative = path.relative_to(REPO).as_posix()
        owner = max((p for p in PARTS if relative == p or relative.startswith(f"{p}/")), key=len)
        if owner == part:
            yield path


@pytest.fixture(scope="module")
def distributions() -> dict[str, list[str]]:
    return dict(importlib.metadata.packages_distributions())


@pytest.mark.parametrize("part", sorted(PARTS))
def test_every_import_is_declared_in_the_parts_requirement_file(part: str, distributions: dict[str, list[str]]):
    files = {path.relative_to(REPO): path.read_text(encoding="utf-8") for path in _part_files(part)}

    assert files, f"{part} has no modules"
    assert undeclared_imports(files, REPO / PARTS[part], distributions) == []


def test_an_undeclared_transitive_import_is_reported(tmp_path: Path, distributions: dict[str, list[str]]):
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("uvicorn==0.54.0\n")
    source = "import json\nimport uvicorn\nfrom starlette.routing import Route\nfrom . import x\n"
    module = {Path("local/front_door.py"): source}

    # uvicorn brings starlette along, but the module imports starlette itself.
    assert undeclared_imports(module, requirements, distributions) == ["local/front_door.py: starlette (starlette)"]


def test_a_declaration_through_an_included_file_counts(tmp_path: Path, distributions: dict[str, list[str]]):
    (tmp_path / "part").mkdir()
    (tmp_path / "base.txt").write_text("starlette==1.10.0\n")
    (tmp_path / "part" / "requirements.txt").write_text("-r ../base.txt\nuvicorn==0.54.0\n")
    module = {Path("bench/x.py"): "import uvicorn\nimport starlette.routing\nimport agent.app\n"}

    assert undeclared_imports(module, tmp_path / "part" / "requirements.txt", distributions) == []


def test_an_import_nothing_installed_provides_is_reported(tmp_path: Path, distributions: dict[str, list[str]]):
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("httpx==0.28.1\n")

    assert undeclared_imports(
        {Path("client/x.py"): "def f():\n    import no_such_pkg\n"}, requirements, distributions
    ) == ["client/x.py: no_such_pkg (not installed)"]


def test_a_typing_only_import_is_checked_against_the_dev_requirements(tmp_path: Path, distributions):
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("boto3==1.44.5\n")
    # pyyaml is pinned in requirements-dev.txt only: fine for the type checker, not at run time.
    typing_only = "from typing import TYPE_CHECKING\nimport boto3\nif TYPE_CHECKING:\n    import yaml\n"
    at_run_time = "import typing\nimport yaml\nif typing.TYPE_CHECKING:\n    import no_such_stubs\n"

    assert undeclared_imports({Path("agent/x.py"): typing_only}, requirements, distributions) == []
    assert undeclared_imports({Path("agent/y.py"): at_run_time}, requirements, distributions) == [
        "agent/y.py: yaml (PyYAML)",
        "agent/y.py: no_such_stubs (not installed)",
    ]


def test_an_extra_declares_only_the_distributions_it_selects(tmp_path: Path, distributions):
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("boto3-stubs[s3]==1.43.126\n")
    module = {Path("tests/x.py"): "import mypy_boto3_s3\nimport mypy_boto3_cognito_idp\n"}

    # boto3-stubs[s3] brings mypy-boto3-s3; cognito-idp's stubs are installed here only through another extra.
    assert undeclared_imports(module, requirements, distributions) == [
        "tests/x.py: mypy_boto3_cognito_idp (mypy-boto3-cognito-idp)"
    ]
