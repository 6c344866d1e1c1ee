"""Benchmark settings: counts and switches from flags, falling back to ``BENCH_*`` environment variables.

The defaults are the full run (8–15 minutes on 2 cores, depending on load); ``--quick`` shrinks every count
for a smoke run. :class:`BenchConfig` is a pydantic model declaring each setting once (type, default, limits);
a rule between settings is a field validator of the later field. Every problem is reported at once in the shape
the agent's and the stacks' settings use, naming the setting as it was given (flag, variable or field), the
value and what is allowed::

    BENCH_SINGLE_CALLS = '0'; allowed: an integer from 1 to 100000
"""

from __future__ import annotations

import argparse
import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Annotated, Any, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ModelWrapValidatorHandler,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from agent.setting_problems import ProblemsError, problems_from, rule
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
QUICK_WORDS = ("1", "true", "yes")
MAX_COUNT = 100_000
MAX_MEMORY_SESSIONS = 10_000

Count = Annotated[int, Field(ge=1, le=MAX_COUNT)]
# Each concurrent session states a name, then asks for it back: fewer than 2 calls cannot show cross-talk.
ConcurrentCalls = Annotated[int, Field(ge=2, le=MAX_COUNT)]
# What a flag or variable of a type pydantic rejected should have been.
KINDS = {"tuple_type": "a comma-separated list", "path_type": "a file path"}


class BenchConfigError(ProblemsError):
    """Raised with every invalid setting listed, one per line.

    WHY not a ValueError: pydantic would wrap a ValueError raised in a validator into its own error.

    Attributes:
        problems: the problems, in field order.
    """

    heading = "invalid benchmark settings"


class BenchConfig(BaseModel):
    """What to measure and how much.

    Attributes:
        cold_start_reps: spawns per target for cold start (median reported); default 7.
        restore_reps: restores per Bedrock target from one checkpoint, and warm first answers (medians); default 5.
        single_calls: calls in the one-session latency run; default 200.
        concurrent_sessions: sessions run at once in the concurrency run; default 32.
        concurrent_calls: calls per concurrent session (at least 2); default 10.
        drift_window: calls compared at the start and the end of the drift run; default 50.
        drift_calls: sequential calls in the drift run, at least 2 × ``drift_window``; default 300.
        drift_turns_per_session: consecutive calls each drift session gets; default 5.
        memory_sessions: idle-session counts at which RSS is read, ascending; default (100, 1000).
        synth_reps: ``cdk synth`` runs per app (median reported); default 3.
        container_reps: ``podman run`` cold starts; default 3.
        targets: servers to measure; default baseline, agent-none, agent-file, baseline-bedrock, agent-bedrock
            (agent-none-bedrock is opt-in).
        measures: measurements to run; default all.
        output: JSON results file; default ``bench/results/latest.json``.
    """

    # strict: text from flags and variables is read into each type first (_read_text), nothing else coerced.
    model_config = ConfigDict(strict=True, frozen=True, extra="forbid", validate_default=True)

    cold_start_reps: Count = 7
    restore_reps: Count = 5
    single_calls: Count = 200
    concurrent_sessions: Count = 32
    concurrent_calls: ConcurrentCalls = 10
    drift_window: Count = 50
    drift_calls: int = 300
    drift_turns_per_session: Count = 5
    memory_sessions: tuple[int, ...] = (100, 1000)
    synth_reps: Count = 3
    container_reps: Count = 3
    targets: tuple[str, ...] = TARGETS
    measures: tuple[str, ...] = MEASURES
    output: Path = RESULTS_PATH

    # Self, not the class: mypy 2.4 rejects a wrap validator typed by its class once it has seen one of the other
    # shape (with or without ``info``) in the same run, as it does for agent/settings.py and bench/config.py.
    @model_validator(mode="wrap")
    @classmethod
    def _one_error_shape(cls, values: Any, handler: ModelWrapValidatorHandler[Self], info: ValidationInfo) -> Self:
        """Every problem as a :class:`Problem`, named as the caller gave it (``info.context["keys"]``)."""
        try:
            return handler(values)
        except ValidationError as error:
            keys = {name: (key,) for name, key in (info.context or {}).get("keys", {}).items()}
            given = values if isinstance(values, Mapping) else {}
            problems = problems_from(
                error, cls.model_fields, given, keys=keys, unknown="a setting of bench/config.py", kinds=KINDS
            )
            raise BenchConfigError(problems) from None

    @field_validator("*", mode="before")
    @classmethod
    def _read_text(cls, value: Any, info: ValidationInfo) -> Any:
        """A flag's or variable's text as its field's type: an integer's digits, comma-separated lists, a path."""
        if not isinstance(value, str):
            return value
        kind = cls.model_fields[str(info.field_name)].annotation
        text = value.strip()
        if kind is int:
            return int(text) if re.fullmatch(r"[+-]?\d+", text) else value
        if kind == tuple[int, ...]:
            parts = [part.strip() for part in text.split(",") if part.strip()]
            if not all(re.fullmatch(r"[+-]?\d+", part) for part in parts):
                raise rule(_counts_allowed())
            return tuple(int(part) for part in parts)
        if kind == tuple[str, ...]:
            return tuple(part.strip() for part in text.split(",") if part.strip())
        if kind is Path:
            return Path(text)
        return value

    @field_validator("drift_calls")
    @classmethod
    def _both_drift_windows_fit(cls, value: int, info: ValidationInfo) -> int:
        """The first and the last ``drift_window`` calls are compared, so they must not overlap."""
        window = info.data.get("drift_window")
        if window is not None and value < 2 * window:
            raise rule(f"an integer of at least 2 × drift_window ({2 * window})")
        return value

    @field_validator("memory_sessions")
    @classmethod
    def _memory_sessions_ascend(cls, value: tuple[int, ...]) -> tuple[int, ...]:
        if not value or list(value) != sorted(set(value)) or value[0] < 1 or value[-1] > MAX_MEMORY_SESSIONS:
            raise rule(_counts_allowed())
        return value

    @field_validator("targets")
    @classmethod
    def _known_targets(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return _known(value, TARGETS + EXPERIMENTS)

    @field_validator("measures")
    @classmethod
    def _known_measures(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return _known(value, MEASURES)


def _known(names: tuple[str, ...], allowed: tuple[str, ...]) -> tuple[str, ...]:
    unknown = [name for name in names if name not in allowed]
    if unknown:
        raise rule(f"comma-separated names from {', '.join(allowed)} (not {', '.join(unknown)})")
    return names


def _counts_allowed() -> str:
    return f"comma-separated distinct ascending integers from 1 to {MAX_MEMORY_SESSIONS}"


def build_parser() -> argparse.ArgumentParser:
    """Flags named after the settings (``--single-calls 50``); each also reads ``BENCH_<NAME>``."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small counts for a smoke run (env BENCH_QUICK=1)")
    for name in BenchConfig.model_fields:
        parser.add_argument(_flag(name), dest=name, default=None, help=f"env {_variable(name)}")
    return parser


def config_from(argv: Sequence[str] | None = None, env: Mapping[str, str] | None = None) -> BenchConfig:
    """Flags first, then ``BENCH_*`` variables, then ``--quick`` presets, then defaults.

    Raises:
        BenchConfigError: listing every invalid value, named by the flag or variable that gave it.
    """
    env = os.environ if env is None else env
    args = build_parser().parse_args(argv)
    quick = args.quick or env.get("BENCH_QUICK", "").strip().lower() in QUICK_WORDS
    values: dict[str, object] = dict(QUICK) if quick else {}
    keys: dict[str, str] = {}
    for name in BenchConfig.model_fields:
        flag, variable = getattr(args, name), env.get(f"BENCH_{name.upper()}")
        for key, raw in ((_flag(name), flag), (_variable(name), variable)):
            if raw is not None and raw.strip():
                values[name], keys[name] = raw, key
                break
    return BenchConfig.model_validate(values, context={"keys": keys})


def _flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def _variable(name: str) -> str:
    return f"BENCH_{name.upper()}"
