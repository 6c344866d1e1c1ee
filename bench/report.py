"""Markdown tables of one run: the budgets, then the raw numbers per target."""

from __future__ import annotations

from typing import Any

from bench.budgets import BudgetRow
from bench.targets import EXPERIMENTS, RESTORED_TARGETS, TARGETS
from bench.warm_latency import STAND_IN, STUB


def _met(value: bool | None) -> str:
    return {True: "✅ met", False: "❌ missed", None: "— not measured"}[value]


def budget_table(rows: list[BudgetRow]) -> str:
    """The budget table: measured, baseline, ratio/value, limit, verdict."""
    lines = ["| Budget | Target | Ours | Baseline | Ratio / value | Limit | Result |", "|---|---|---|---|---|---|---|"]
    for row in rows:
        value = "" if row.value is None else f"{row.value:g}"
        lines.append(
            f"| {row.budget} | {row.target} | {row.measured} | {row.baseline} | {value} | {row.limit} "
            f"| {_met(row.met)} |"
        )
    return "\n".join(lines)


def _cell(results: dict[str, Any], section: str, target: str, key: str, fmt: str = "{:.1f}") -> str:
    value = (results.get(section) or {}).get(target, {}).get(key) if isinstance(results.get(section), dict) else None
    return "—" if value is None else fmt.format(value)


def _memory_cell(results: dict[str, Any], target: str) -> str:
    points = ((results.get("memory") or {}).get(target) or {}).get("checkpoints") or []
    return (
        " / ".join(
            f"{p['kib_per_session']:.0f} @ {p['sessions']}"
            + (f" (stopped at {p['reached']})" if "stopped" in p else "")
            for p in points
        )
        or "—"
    )


def _floor_line(results: dict[str, Any], key: str, drift_key: str, text: str) -> str:
    floor = results.get(key) or {}
    drift = (results.get("drift") or {}).get(drift_key) or {}
    return (
        f"{text}: 1 session p50 {floor.get('p50_ms', '—')} ms, p99 {floor.get('p99_ms', '—')} ms; "
        f"drift early → late p50 {drift.get('early_p50_ms', '—')} → {drift.get('late_p50_ms', '—')} ms."
    )


def _container_lines(container: dict[str, Any]) -> list[str]:
    if not container.get("measured"):
        return [f"Container: not measured ({container.get('reason', 'not requested')})."]
    runs = "; ".join(
        f"{name}: `podman run` → /ping {run['median_ping_s']:.2f} s, "
        f"→ first answer {run['median_answer_s']:.2f} s"
        + (f" ({run['wrong_answers']} wrong answers)" if run["wrong_answers"] else "")
        for name, run in container["configurations"].items()
    )
    return [
        f"Container (`{container['image']}`): image {container['size_mb']} MB; {runs} (median of {container['reps']})."
    ]


def _restore_lines(restore: dict[str, Any]) -> list[str]:
    if not restore.get("measured"):
        return [f"V2 restore: not measured ({restore.get('reason', 'not requested')})."]
    runs = "; ".join(
        f"{name}: restore → /ping {run['median_ping_s']:.2f} s, → first answer {run['median_answer_s'] * 1000:.0f} ms "
        f"(warm process {run['median_warm_answer_s'] * 1000:.0f} ms)"
        + (f" ({run['wrong_answers']} wrong answers)" if run["wrong_answers"] else "")
        for name in RESTORED_TARGETS
        if (run := restore.get(name))
    )
    reps = max((restore[n]["reps"] for n in RESTORED_TARGETS if n in restore), default=0)
    lines = [f"V2 restore from one CRIU checkpoint, first answer timed from /ping (median of {reps}): {runs}."]
    for name in RESTORED_TARGETS:
        requests = (restore.get(name) or {}).get("first_turn_s3_requests")
        if requests:
            lines.append(
                f"{name}'s store round trips on a new session's first turn ({len(requests)}, S3 alone "
                f"{restore['s3_round_trip_ms']:.1f} ms each): {', '.join(f'`{r}`' for r in requests)}."
            )
    return lines


def detail_table(results: dict[str, Any]) -> str:
    """Per-target numbers behind the budgets."""
    lines = [
        _floor_line(
            results,
            "stub_round_trip",
            STUB,
            "Stub alone (same conversations, sent straight to the OpenAI stub over a kept-alive connection)",
        ),
    ]
    if results.get("stand_in_round_trip"):
        lines.append(
            _floor_line(
                results,
                "stand_in_round_trip",
                STAND_IN,
                "Bedrock stand-in alone (same conversations, "
                "ConverseStream sent straight to the stand-in over a kept-alive connection)",
            )
        )
    lines += [
        "",
        "| Target | V1 cold /ping (s) | V1 cold 1st answer (s) | 1 session p50 / p99 (ms) | concurrent p50 / p99 (ms) "
        "| concurrent errors / cross-talk | drift p50 early → late, fresh (ms) | RSS per idle session (KiB) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    measured = {
        t
        for section in ("cold_start", "latency", "concurrency", "drift", "memory")
        for t in (results.get(section) or {})
    }
    for target in [t for t in TARGETS + EXPERIMENTS if t in measured]:
        lines.append(
            f"| {target} | {_cell(results, 'cold_start', target, 'median_ping_s', '{:.2f}')} "
            f"| {_cell(results, 'cold_start', target, 'median_answer_s', '{:.2f}')} "
            f"| {_cell(results, 'latency', target, 'p50_ms')} / {_cell(results, 'latency', target, 'p99_ms')} "
            f"| {_cell(results, 'concurrency', target, 'p50_ms')} / {_cell(results, 'concurrency', target, 'p99_ms')} "
            f"| {_cell(results, 'concurrency', target, 'errors', '{}')} "
            f"/ {_cell(results, 'concurrency', target, 'cross_talk', '{}')} "
            f"| {_cell(results, 'drift', target, 'early_p50_ms')} → {_cell(results, 'drift', target, 'late_p50_ms')}, "
            f"{_cell(results, 'drift', target, 'fresh_p50_ms')} "
            f"| {_memory_cell(results, target)} |"
        )
    if "restore" in results:
        lines += ["", *_restore_lines(results["restore"])]
    lines += ["", *_container_lines(results.get("container") or {})]
    return "\n".join(lines)


def header(results: dict[str, Any]) -> str:
    """Date, machine and load of the run."""
    machine = results["machine"]
    return (
        f"Run {results['date']} on {machine['cpu_model']}, {machine['cores']} cores, {machine['mem_gib']} GiB RAM, "
        f"Python {machine['python']}; load average {results['load_avg_start']} at start, "
        f"{results['load_avg_end']} at end; {results['duration_s']:.0f} s."
    )


def render(results: dict[str, Any], rows: list[BudgetRow]) -> str:
    """The whole report."""
    return "\n\n".join([header(results), budget_table(rows), detail_table(results)])
