"""Benchmark settings: counts and switches from flags, falling back to ``BENCH_*`` environment variables.

The defaults are the full run (8–15 minutes on 2 cores, depending on load); ``--quick`` shrinks every count
for a smoke run. Every problem is reported at once, naming the setting, its value and the limit.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from pathlib import Path

from bench.targets import EXPERIMENTS, TARGETS

RESULTS_PATH = Path(__file__).resolve().parent / "results" / "latest.json"
MEASURES: tuple[str, ...] = (
    "cold_start",
    "restore",
    "latency",
    "concurrency",
    "drift",
    "memory",
    "synth",
    "container",
)
QUICK = {
    "cold_start_reps": 1,
    "restore_reps": 1,
    "single_calls": 20,
    "concurrent_sessions": 4,
    "concurrent_calls": 4,
    "drift_calls": 40,
    "drift_window": 10,
    "memory_sessions": (10, 20),
    "synth_reps": 1,
    "container_reps": 1,
}


class BenchConfigError(ValueError):
    """Raised with every invalid setting listed, one per line."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("invalid benchmark settings:\n" + "\n".join(f"- {p}" for p in problems))


@dataclass(frozen=True, kw_only=True)
class BenchConfig:
    """What to measure and how much.

    Attributes:
        cold_start_reps: spawns per target for cold start (median reported); default 7.
        restore_reps: restores per Bedrock target from one checkpoint, and warm first answers (medians); default 5.
        single_calls: calls in the one-session latency run; default 200.
        concurrent_sessions: sessions run at once in the concurrency run; default 32.
        concurrent_calls: calls per concurrent session; default 10.
        drift_calls: sequential calls in the drift run; default 300.
        drift_window: calls compared at the start and the end of the drift run; default 50.
        drift_turns_per_session: consecutive calls each drift session gets; default 5.
        memory_sessions: idle-session counts at which RSS is read, ascending; default (100, 1000).
        synth_reps: ``cdk synth`` runs per app (median reported); default 3.
        container_reps: ``podman run`` cold starts; default 3.
        targets: servers to measure; default baseline, agent-none, agent-file, baseline-bedrock, agent-bedrock
            (agent-none-bedrock is opt-in).
        measures: measurements to run; default all.
        output: JSON results file; default ``bench/results/latest.json``.
    """

    cold_start_reps: int = 7
    restore_reps: int = 5
    single_calls: int = 200
    concurrent_sessions: int = 32
    concurrent_calls: int = 10
    drift_calls: int = 300
    drift_window: int = 50
    drift_turns_per_session: int = 5
    memory_sessions: tuple[int, ...] = (100, 1000)
    synth_reps: int = 3
    container_reps: int = 3
    targets: tuple[str, ...] = TARGETS
    measures: tuple[str, ...] = MEASURES
    output: Path = RESULTS_PATH

    def __post_init__(self) -> None:
        problems = _problems(self)
        if problems:
            raise BenchConfigError(problems)


def _problems(config: BenchConfig) -> list[str]:
    problems = []
    for name in (
        "cold_start_reps",
        "restore_reps",
        "single_calls",
        "concurrent_sessions",
        "concurrent_calls",
        "drift_window",
        "drift_turns_per_session",
        "synth_reps",
        "container_reps",
    ):
        value = getattr(config, name)
        if not 1 <= value <= 100_000:
            problems.append(f"{name}={value} is out of range: must be between 1 and 100000")
    if config.drift_calls < 2 * config.drift_window:
        problems.append(
            f"drift_calls={config.drift_calls} must be at least 2 × drift_window ({2 * config.drift_window})"
        )
    if config.concurrent_calls < 2:
        problems.append(
            f"concurrent_calls={config.concurrent_calls} must be at least 2 (state the name, then ask for it)"
        )
    if (
        not config.memory_sessions
        or list(config.memory_sessions) != sorted(set(config.memory_sessions))
        or config.memory_sessions[0] < 1
        or config.memory_sessions[-1] > 10_000
    ):
        problems.append(
            f"memory_sessions={config.memory_sessions} must be distinct ascending counts between 1 and 10000"
        )
    allowed = TARGETS + EXPERIMENTS
    problems += [f"target {t!r} is not one of {', '.join(allowed)}" for t in config.targets if t not in allowed]
    problems += [f"measure {m!r} is not one of {', '.join(MEASURES)}" for m in config.measures if m not in MEASURES]
    return problems


def _parse_counts(raw: str, name: str, problems: list[str]) -> tuple[int, ...] | None:
    try:
        return tuple(int(part) for part in raw.split(",") if part.strip())
    except ValueError:
        problems.append(f"{name}={raw!r} is not a comma-separated list of integers")
        return None


def _parse_list(raw: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in raw.split(",") if part.strip())


def build_parser() -> argparse.ArgumentParser:
    """Flags named after the settings (``--single-calls 50``); each also reads ``BENCH_<NAME>``."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small counts for a smoke run (env BENCH_QUICK=1)")
    for item in fields(BenchConfig):
        parser.add_argument(
            f"--{item.name.replace('_', '-')}", dest=item.name, default=None, help=f"env BENCH_{item.name.upper()}"
        )
    return parser


def config_from(argv: Sequence[str] | None = None, env: Mapping[str, str] | None = None) -> BenchConfig:
    """Flags first, then ``BENCH_*`` variables, then ``--quick`` presets, then defaults.

    Raises:
        BenchConfigError: listing every invalid value.
    """
    env = os.environ if env is None else env
    args = build_parser().parse_args(argv)
    quick = args.quick or env.get("BENCH_QUICK", "").strip().lower() in ("1", "true", "yes")
    values: dict[str, object] = dict(QUICK) if quick else {}
    problems: list[str] = []
    for item in fields(BenchConfig):
        raw = getattr(args, item.name)
        raw = raw if raw is not None else env.get(f"BENCH_{item.name.upper()}")
        if raw is None or not str(raw).strip():
            continue
        values[item.name] = _convert(item.name, str(raw).strip(), problems)
    if problems:
        raise BenchConfigError(problems)
    return BenchConfig(**values)  # type: ignore[arg-type]


def _convert(name: str, raw: str, problems: list[str]) -> object:
    if name == "memory_sessions":
        return _parse_counts(raw, name, problems)
    if name in ("targets", "measures"):
        return _parse_list(raw)
    if name == "output":
        return Path(raw)
    try:
        return int(raw)
    except ValueError:
        problems.append(f"{name}={raw!r} is not an integer")
        return None
