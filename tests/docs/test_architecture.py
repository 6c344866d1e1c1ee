"""docs/architecture.md's import rules hold for every import in the tree, and each rule catches a wrong arrow.

The fixtures build a small tree in a temporary folder with a doc holding the same two tables, so each rule is
shown refusing a forbidden import next to a control that passes.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.docs import import_rules
from tests.docs.conftest import REPO
from tests.docs.doc_text import Doc

RULES_DOC = """# Architecture

<!-- import-rules -->
| folder | may also import |
|---|---|
| `app.py` | `stacks` |
| `stacks` | — |
| `agent` | — |
| `bench` | `agent` |
| `scripts` | `stacks` |
| `scripts/pipeline_smoke.py` | — |
| `tests/support` | `agent` |
| `tests/*` | `agent`, `tests.support` |

<!-- import-exceptions -->
| file | imports | why |
|---|---|---|
| `tests/support/built.py` | `tests.stacks.conftest` | the one way the suite builds the app |
"""


def _tree(tmp_path: Path, files: dict[str, str]) -> list[str]:
    for relative, source in files.items():
        (tmp_path / relative).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / relative).write_text(source)
    return sorted(files)


def _check(tmp_path: Path, files: dict[str, str], doc_text: str = RULES_DOC) -> list[str]:
    base = {
        "stacks/config.py": "X = 1\n",
        "agent/app.py": "from agent.settings import X\n",
        "agent/settings.py": "X = 1\n",
        "tests/support/built.py": "from tests.stacks.conftest import build\n",
        "tests/stacks/conftest.py": "build = 1\n",
    }
    return import_rules.check_imports(Doc("docs/architecture.md", doc_text), tmp_path, _tree(tmp_path, base | files))


def test_the_tree_follows_the_documented_import_rules(facts):
    doc = Doc.read(REPO, "docs/architecture.md")

    problems = import_rules.check_imports(doc, REPO, facts.files)

    assert not problems, "\n" + "\n".join(problems)


def test_the_rules_cover_every_part_of_the_tree():
    patterns = {rule.pattern for rule in import_rules.rules(Doc.read(REPO, "docs/architecture.md"))}

    assert {"app.py", "stacks", "agent", "client", "local", "bench", "scripts", "tests/*"} <= patterns


def test_control_tree_has_no_problem(tmp_path):
    assert (
        _check(tmp_path, {"bench/run.py": "import agent.app\n", "scripts/notice.py": "from stacks import config\n"})
        == []
    )


def test_a_forbidden_arrow_is_named_with_file_line_and_rule(tmp_path):
    problems = _check(tmp_path, {"agent/tools.py": "import os\nfrom stacks.config import X\n"})

    assert problems == [
        "agent/tools.py:2: imports stacks.config: `agent` may import nothing else (docs/architecture.md:8); "
        "remove the import or add an exception with its reason"
    ]


def test_an_import_inside_a_function_counts(tmp_path):
    problems = _check(tmp_path, {"agent/late.py": "def f():\n    import bench.stats\n"})

    assert problems == [
        "agent/late.py:2: imports bench.stats: `agent` may import nothing else (docs/architecture.md:8); "
        "remove the import or add an exception with its reason"
    ]


def test_a_file_row_beats_its_folder_row(tmp_path):
    files = {
        "scripts/notice.py": "from stacks.config import X\n",
        "scripts/pipeline_smoke.py": "import stacks.config\n",
    }

    assert _check(tmp_path, files) == [
        "scripts/pipeline_smoke.py:1: imports stacks.config: `scripts/pipeline_smoke.py` may import nothing else "
        "(docs/architecture.md:11); remove the import or add an exception with its reason"
    ]


def test_a_test_folder_may_import_itself_and_support_but_not_another_test_folder(tmp_path):
    files = {
        "tests/agent/test_x.py": "from tests.agent.helpers import h\nfrom tests.support.built import b\n",
        "tests/agent/helpers.py": "h = 1\n",
        "tests/scripts/test_y.py": "from tests.stacks.conftest import build\n",
    }

    assert _check(tmp_path, files) == [
        "tests/scripts/test_y.py:1: imports tests.stacks.conftest: `tests/*` may import agent, tests.support "
        "(docs/architecture.md:13); remove the import or add an exception with its reason"
    ]


def test_an_exception_no_import_uses_is_reported(tmp_path):
    files = {"tests/support/built.py": "from agent.settings import X\n"}

    assert _check(tmp_path, files) == [
        "docs/architecture.md:18: exception `tests/support/built.py` → `tests.stacks.conftest`: "
        "no such import any more; delete the row"
    ]


def test_a_file_no_row_covers_is_reported(tmp_path):
    assert _check(tmp_path, {"client/cli.py": "import argparse\n"}) == [
        "client/cli.py: no row of docs/architecture.md's import rules covers this file; add one"
    ]


def test_relative_imports_are_resolved(tmp_path):
    files = {"tests/agent/rel.py": "from ..stacks import conftest\n", "agent/ok.py": "from .settings import X\n"}

    assert _check(tmp_path, files) == [
        "tests/agent/rel.py:1: imports tests.stacks.conftest: `tests/*` may import agent, tests.support "
        "(docs/architecture.md:13); remove the import or add an exception with its reason"
    ]


def test_tables_without_their_marker_fail_with_the_marker_named():
    doc = Doc("docs/architecture.md", RULES_DOC.replace("<!-- import-rules -->", ""))

    with pytest.raises(AssertionError) as raised:
        import_rules.rules(doc)
    assert str(raised.value) == "docs/architecture.md: no <!-- import-rules --> marker before its table"
