"""`make lint`'s runner (scripts/lint.py): every step announced, a heartbeat while one runs, all steps run."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from scripts import lint

# Blocks 2 s: with a 0.05 s heartbeat at least one "still running" line must come before it ends.
SLOW = lint.Step(name="slow", argv=[sys.executable, "-c", "import time; time.sleep(2)"])
FAILING = lint.Step(name="failing", argv=[sys.executable, "-c", "raise SystemExit(3)"])
QUICK = lint.Step(name="quick", argv=[sys.executable, "-c", "pass"])


def test_a_long_step_prints_a_heartbeat_and_its_time(capfd: pytest.CaptureFixture[str]) -> None:
    assert lint.run_steps([SLOW], heartbeat_seconds=0.05) == 0

    lines = capfd.readouterr().out.splitlines()
    assert lines[0] == "lint: slow ..."
    assert lines[1].startswith("lint: slow still running (")
    assert lines[-1].startswith("lint: slow ok in ")


def test_a_failing_step_fails_the_run_but_the_next_step_still_runs(capfd: pytest.CaptureFixture[str]) -> None:
    assert lint.run_steps([FAILING, QUICK], heartbeat_seconds=60) == 1

    out = capfd.readouterr().out
    assert "lint: failing FAILED (exit 3) in " in out
    assert "lint: quick ok in " in out


def test_control_every_step_passing_passes(capfd: pytest.CaptureFixture[str]) -> None:
    assert lint.run_steps([QUICK, QUICK], heartbeat_seconds=60) == 0


def test_caches_live_outside_the_clone_under_xdg_cache_home(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert lint.cache_root() == tmp_path / "agentcore-session-stack"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert lint.cache_root() == tmp_path / "home" / ".cache" / "agentcore-session-stack"
    steps = {step.name: step.argv for step in lint.default_steps(Path("/venv/bin"), tmp_path / "c")}
    assert steps["mypy"] == ["/venv/bin/mypy", "--cache-dir", str(tmp_path / "c" / "mypy")]
