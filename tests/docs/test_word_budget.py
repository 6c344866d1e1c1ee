"""Word budgets (issue 18): README.md a newcomer reads in five minutes, docs/ as a whole short enough to keep true.

Words are counted as ``wc -w`` counts them in a UTF-8 locale (GNU coreutils, ``C.UTF-8``): runs of characters
between whitespace, so ``wc -w README.md docs/*.md`` gives the numbers this test holds (the C locale counts
fewer: it skips runs of non-ASCII bytes such as a lone ``→``).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from tests.support.paths import REPO
from tests.support.prerequisites import missing_prerequisite

README_MAX_WORDS = 1_200
DOCS_MAX_WORDS = 10_000


def words(path: Path) -> int:
    """``wc -w`` of one file."""
    return len(path.read_bytes().split())


def over_budget(paths: list[Path], limit: int) -> str | None:
    """None when the files hold at most ``limit`` words together, else a line naming each file's count."""
    counts = {path.name: words(path) for path in paths}
    total = sum(counts.values())
    if total <= limit:
        return None
    listing = ", ".join(f"{name} {count}" for name, count in sorted(counts.items(), key=lambda item: -item[1]))
    return f"{total} words > {limit} ({listing}): move design history to commit messages, keep the facts"


def doc_pages() -> list[Path]:
    return sorted((REPO / "docs").glob("*.md"))


def test_readme_is_at_most_1200_words():
    assert over_budget([REPO / "README.md"], README_MAX_WORDS) is None


def test_docs_are_at_most_10000_words_together():
    assert doc_pages()
    assert over_budget(doc_pages(), DOCS_MAX_WORDS) is None


def test_an_overrun_is_reported_with_each_files_count(tmp_path: Path):
    long_page, short_page = tmp_path / "long.md", tmp_path / "short.md"
    long_page.write_text("word " * 1_150 + "\n")
    short_page.write_text("one two\tthree\nfour-five\n")

    assert over_budget([long_page, short_page], 1_154) is None
    assert over_budget([long_page, short_page], 1_153) == (
        "1154 words > 1153 (long.md 1150, short.md 4): move design history to commit messages, keep the facts"
    )


def test_the_count_is_the_one_wc_prints():
    wc = shutil.which("wc")
    if wc is None:
        missing_prerequisite("wc (coreutils) is not installed")
    pages = [REPO / "README.md", *doc_pages()]
    done = subprocess.run(
        [wc, "-w", *map(str, pages)], capture_output=True, text=True, check=True, env={"LC_ALL": "C.UTF-8"}
    )
    printed = {line.split()[1]: int(line.split()[0]) for line in done.stdout.splitlines() if "total" not in line}
    assert printed == {str(page): words(page) for page in pages}
