"""The budgets the project holds itself to, checked against one run's results.

Each check yields one row per target of ours: what was measured, the number of the baseline on the same
model path beside it (``agent-bedrock`` is held against ``baseline-bedrock``, the OpenAI targets against
``baseline``), the ratio or difference the budget is about, the limit, and whether it is met. A measurement that was
not taken yields a row saying so (met = None), never a silent pass.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from bench.targets import BASELINE_OF, BEDROCK_TARGETS, RESTORED_TARGETS
from bench.warm_latency import STAND_IN, STUB

# Ours, each measured against the baseline on its own model path (bench.targets.BASELINE_OF).
OURS: tuple[str, ...] = tuple(BASELINE_OF)
# The model round trip alone ("added latency" is over it): the OpenAI stub, or the Bedrock stand-in.
STUB_FLOOR = ("stub_round_trip", STUB)
STAND_IN_FLOOR = ("stand_in_round_trip", STAND_IN)
COLD_START_MAX_RATIO = 1.0
COLD_START = "V1 cold start → first answer"  # platform V1: a new process per session
RESTORE_OVER_WARM_MAX_RATIO = 1.25
RESTORE_OVER_BASELINE_MAX_RATIO = 1.0
RESTORE_OVER_WARM = "V2 restore → first answer / warm first answer"
RESTORE_OVER_BASELINE = "V2 restore → first answer vs baseline + store round trips"
ADDED_P99_MAX_MS = 5.0
DRIFT_MAX_RATIO = 1.10
IDLE_SESSION_MAX_KIB = 256.0
SYNTH_MAX_RATIO = 1.5


@dataclass(frozen=True)
class BudgetRow:
    """One line of the budget table."""

    budget: str
    target: str
    measured: str
    baseline: str
    value: float | None
    limit: str
    met: bool | None


def _get(results: dict[str, Any], *path: str) -> Any:
    node: Any = results
    for key in path:
        if not isinstance(node, dict) or key not in node:
            return None
        node = node[key]
    return node


def _missing(budget: str, target: str, limit: str) -> BudgetRow:
    return BudgetRow(budget, target, "not measured", "", None, limit, None)


def floor_of(target: str) -> tuple[str, str]:
    """(results key, label) of the model stand-in alone that ``target``'s added latency is measured over."""
    return STAND_IN_FLOOR if target in BEDROCK_TARGETS else STUB_FLOOR


def cold_start_rows(results: dict[str, Any]) -> list[BudgetRow]:
    """Spawn → first answer, ours over the baseline's (medians)."""
    limit = f"≤ {COLD_START_MAX_RATIO:.1f}× baseline"
    rows = []
    for target in OURS:
        base = _get(results, "cold_start", BASELINE_OF[target], "median_answer_s")
        ours = _get(results, "cold_start", target, "median_answer_s")
        if ours is None or not base:
            rows.append(_missing(COLD_START, target, limit))
            continue
        ratio = ours / base
        rows.append(
            BudgetRow(
                COLD_START,
                target,
                f"{ours:.2f} s",
                f"{base:.2f} s",
                round(ratio, 3),
                limit,
                ratio <= COLD_START_MAX_RATIO,
            )
        )
    return rows


def restore_rows(results: dict[str, Any]) -> list[BudgetRow]:
    """Platform V2, per restored target of ours: the first answer after restore (timed from the restored process's
    /ping) over a warm process's first answer on a new session, and over the baseline's plus the store's own S3
    round trips (the requests moto recorded in our first-answer window, priced at S3's round trip alone)."""
    warm_limit = f"≤ {RESTORE_OVER_WARM_MAX_RATIO:g}× warm first answer"
    base_limit = f"≤ {RESTORE_OVER_BASELINE_MAX_RATIO:.1f}× baseline + store round trips"
    restore = _get(results, "restore") or {}
    rows = []
    for target in (t for t in OURS if t in RESTORED_TARGETS):
        ours, base = restore.get(target), restore.get(BASELINE_OF[target])
        if not restore.get("measured") or not ours:
            rows += [
                _missing(RESTORE_OVER_WARM, target, warm_limit),
                _missing(RESTORE_OVER_BASELINE, target, base_limit),
            ]
            continue
        answer, warm = ours["median_answer_s"], ours["median_warm_answer_s"]
        ratio = answer / warm
        base_ratio = f"{base['median_answer_s'] / base['median_warm_answer_s']:.2f}×" if base else "not measured"
        rows.append(
            BudgetRow(
                RESTORE_OVER_WARM,
                target,
                f"{answer * 1000:.0f} vs {warm * 1000:.0f} ms ({ratio:.2f}×)",
                base_ratio,
                round(ratio, 3),
                warm_limit,
                ratio <= RESTORE_OVER_WARM_MAX_RATIO and ours["wrong_answers"] == 0,
            )
        )
        if not base:
            rows.append(_missing(RESTORE_OVER_BASELINE, target, base_limit))
            continue
        trips, trip_ms = len(ours["first_turn_s3_requests"]), restore["s3_round_trip_ms"]
        allowed = base["median_answer_s"] + trips * trip_ms / 1000
        over = answer / allowed
        rows.append(
            BudgetRow(
                RESTORE_OVER_BASELINE,
                target,
                f"{answer * 1000:.0f} ms",
                f"{base['median_answer_s'] * 1000:.0f} ms + {trips} S3 round trips × {trip_ms:.1f} ms",
                round(over, 3),
                base_limit,
                over <= RESTORE_OVER_BASELINE_MAX_RATIO,
            )
        )
    return rows


def added_latency_rows(results: dict[str, Any]) -> list[BudgetRow]:
    """1 session: p99 of an invocation minus p99 of the model stand-in's own round trip (stub or Bedrock stand-in)."""
    limit = f"≤ {ADDED_P99_MAX_MS:g} ms"
    rows = []
    for target in OURS:
        floor_key, floor_label = floor_of(target)
        budget = f"added p99 over {floor_label}, 1 session"
        floor = _get(results, floor_key, "p99_ms")
        base = _get(results, "latency", BASELINE_OF[target], "p99_ms")
        ours = _get(results, "latency", target, "p99_ms")
        if ours is None or floor is None:
            rows.append(_missing(budget, target, limit))
            continue
        added = ours - floor
        base_text = f"{base - floor:.1f} ms" if base is not None else "not measured"
        rows.append(
            BudgetRow(budget, target, f"{added:.1f} ms", base_text, round(added, 2), limit, added <= ADDED_P99_MAX_MS)
        )
    return rows


def drift_rows(results: dict[str, Any]) -> list[BudgetRow]:
    """p50 of the last window over p50 of a fresh process's first window, taken at the same time."""
    limit = f"≤ {DRIFT_MAX_RATIO:.2f}×"
    budget = "latency drift (late p50 / fresh p50)"
    rows = []
    for target in OURS:
        base = _get(results, "drift", BASELINE_OF[target], "late_over_fresh")
        ours = _get(results, "drift", target)
        if ours is None or "late_over_fresh" not in ours:
            rows.append(_missing(budget, target, limit))
            continue
        ratio = ours["late_over_fresh"]
        rows.append(
            BudgetRow(
                budget,
                target,
                f"{ours['late_p50_ms']:.1f} vs {ours['fresh_p50_ms']:.1f} ms ({ratio:.2f}×)",
                f"{base:.2f}×" if base is not None else "not measured",
                ratio,
                limit,
                ratio <= DRIFT_MAX_RATIO and ours["errors"] == 0 and ours["wrong_recalls"] == 0,
            )
        )
    return rows


def concurrency_rows(results: dict[str, Any]) -> list[BudgetRow]:
    """Concurrent sessions: errors and cross-talk must both be zero (and no lost history)."""
    limit = "0 errors, 0 cross-talk"
    rows = []
    for target in OURS:
        base = _get(results, "concurrency", BASELINE_OF[target])
        base_text = f"{base['errors']} errors, {base['cross_talk']} cross-talk" if base else "not measured"
        ours = _get(results, "concurrency", target)
        if ours is None:
            rows.append(_missing("concurrent sessions", target, limit))
            continue
        label = f"{ours['sessions']} concurrent sessions × {ours['calls_per_session']}"
        bad = ours["errors"] + ours["cross_talk"] + ours["wrong_recalls"]
        rows.append(
            BudgetRow(
                label,
                target,
                f"{ours['errors']} errors, {ours['cross_talk']} cross-talk",
                base_text,
                float(bad),
                limit,
                bad == 0,
            )
        )
    return rows


def memory_rows(results: dict[str, Any]) -> list[BudgetRow]:
    """RSS growth per idle session at each checkpoint."""
    limit = f"≤ {IDLE_SESSION_MAX_KIB:g} KiB"
    rows = []
    for target in OURS:
        points = _get(results, "memory", target, "checkpoints")
        if not points:
            rows.append(_missing("RSS per idle session", target, limit))
            continue
        base_points = {p["sessions"]: p for p in _get(results, "memory", BASELINE_OF[target], "checkpoints") or []}
        for point in points:
            base = base_points.get(point["sessions"])
            kib = point["kib_per_session"]
            stopped = f" (stopped at {point['reached']} sessions: {point['stopped']})" if "stopped" in point else ""
            rows.append(
                BudgetRow(
                    f"RSS per idle session @ {point['sessions']}",
                    target,
                    f"{kib:.1f} KiB{stopped}",
                    f"{base['kib_per_session']:.1f} KiB" if base else "not measured",
                    kib,
                    limit,
                    kib <= IDLE_SESSION_MAX_KIB,
                )
            )
    return rows


def synth_rows(results: dict[str, Any]) -> list[BudgetRow]:
    """Full app synth time over the one-stack minimal app's."""
    limit = f"≤ {SYNTH_MAX_RATIO:.1f}× minimal app"
    synth = _get(results, "synth")
    if not synth or not synth.get("measured"):
        return [_missing("cdk synth, full app vs minimal", "app.py", limit)]
    return [
        BudgetRow(
            "cdk synth, full app vs minimal",
            "app.py",
            f"{synth['median_full_s']:.1f} s",
            f"minimal {synth['median_minimal_s']:.1f} s",
            synth["ratio"],
            limit,
            synth["ratio"] <= SYNTH_MAX_RATIO,
        )
    ]


def evaluate(results: dict[str, Any]) -> list[BudgetRow]:
    """Every budget row, in the order of the issue."""
    return [
        *cold_start_rows(results),
        *restore_rows(results),
        *added_latency_rows(results),
        *drift_rows(results),
        *concurrency_rows(results),
        *memory_rows(results),
        *synth_rows(results),
    ]


def as_dicts(rows: list[BudgetRow]) -> list[dict[str, Any]]:
    """Rows for the JSON results."""
    return [asdict(row) for row in rows]
