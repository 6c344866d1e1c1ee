"""The repository root, defined once for every test folder (tests/ sits directly under it)."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
