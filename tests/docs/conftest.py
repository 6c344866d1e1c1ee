"""The repository's docs and facts, read once per test session (the CLIs' --help runs once per worker)."""

from __future__ import annotations

import pytest

from tests.docs import repo_facts
from tests.docs.commands import PROJECT_CLIS
from tests.docs.doc_text import Doc
from tests.support.paths import REPO

DOC_PATHS = ("README.md", *sorted(path.relative_to(REPO).as_posix() for path in (REPO / "docs").glob("*.md")))


@pytest.fixture(scope="session")
def docs() -> list[Doc]:
    return [Doc.read(REPO, path) for path in DOC_PATHS]


@pytest.fixture(scope="session")
def facts() -> repo_facts.RepoFacts:
    return repo_facts.load(REPO)


@pytest.fixture(scope="session")
def helps() -> dict[tuple[str, ...], str]:
    """The --help of every project CLI and of each of its subcommands."""
    return repo_facts.crawl_helps(REPO, {argv for argv in PROJECT_CLIS.values() if argv is not None})
