"""Markdown tables of one run: the budgets, then the raw numbers per target."""

from __future__ import annotations

from typing import Any

from bench.budgets import BudgetRow
from bench.targets import EXPERIMENTS, TARGETS


def _met(value: bool | None) -> str:
    return {True: "✅ met", False: "❌ missed", None: "— not measured"}[value]


def budget_table(rows: list[BudgetRow]) -> str:
    """The budget table: measured, baseline, ratio/value, limit, verdict."""
    lines = ["| Budget | Target | Ours | Baseline | Ratio / value | Limit | Result |", "|---|---|---|---|---|---|---|"]
    for row in rows:
        value = "" if row.value is None else f"{row.value:g}"
        lines.append(f"| {row.budget} | {row.target} | {row.measured} | {row.baseline} | {value} | {row.limit} | {_met(row.met)} |")
    return "\n".join(lines)


def _cell(results: dict[str, Any], section: str, target: str, key: str, fmt: str = "{:.1f}") -> str:
    value = (results.get(section) or {}).get(target, {}).get(key) if isinstance(results.get(section), dict) else None
    return "—" if value is None else fmt.format(value)


def _memory_cell(results: dict[str, Any], target: str) -> str:
    points = ((results.get("memory") or {}).get(target) or {}).get("checkpoints") or []
    return " / ".join(f"{p['kib_per_session']:.0f} @ {p['sessions']}" for p in points) or "—"


def detail_table(results: dict[str, Any]) -> str:
    """Per-target numbers behind the budgets."""
    stub = results.get("stub_round_trip") or {}
    stub_drift = (results.get("drift") or {}).get("stub") or {}
    lines = [
        f"Stub alone (same conversations, sent straight to the stub over a kept-alive connection): 1 session "
        f"p50 {stub.get('p50_ms', '—')} ms, p99 {stub.get('p99_ms', '—')} ms; drift early → late p50 "
        f"{stub_drift.get('early_p50_ms', '—')} → {stub_drift.get('late_p50_ms', '—')} ms.",
        "",
        "| Target | cold /ping (s) | cold 1st answer (s) | 1 session p50 / p99 (ms) | concurrent p50 / p99 (ms) "
        "| concurrent errors / cross-talk | drift p50 early → late, fresh (ms) | RSS per idle session (KiB) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    measured = {t for section in ("cold_start", "latency", "concurrency", "drift", "memory") for t in (results.get(section) or {})}
    for target in [t for t in TARGETS + EXPERIMENTS if t in measured]:
        lines.append(
            f"| {target} | {_cell(results, 'cold_start', target, 'median_ping_s', '{:.2f}')} "
            f"| {_cell(results, 'cold_start', target, 'median_answer_s', '{:.2f}')} "
            f"| {_cell(results, 'latency', target, 'p50_ms')} / {_cell(results, 'latency', target, 'p99_ms')} "
            f"| {_cell(results, 'concurrency', target, 'p50_ms')} / {_cell(results, 'concurrency', target, 'p99_ms')} "
            f"| {_cell(results, 'concurrency', target, 'errors', '{}')} / {_cell(results, 'concurrency', target, 'cross_talk', '{}')} "
            f"| {_cell(results, 'drift', target, 'early_p50_ms')} → {_cell(results, 'drift', target, 'late_p50_ms')}, "
            f"{_cell(results, 'drift', target, 'fresh_p50_ms')} "
            f"| {_memory_cell(results, target)} |"
        )
    container = results.get("container") or {}
    lines.append("")
    if container.get("measured"):
        lines.append(f"Container (`{container['image']}`): image {container['size_mb']} MB; `podman run` → /ping "
                     f"{container['median_ping_s']:.2f} s, → first answer {container['median_answer_s']:.2f} s "
                     f"(median of {container['reps']}).")
    else:
        lines.append(f"Container: not measured ({container.get('reason', 'not requested')}).")
    return "\n".join(lines)


def header(results: dict[str, Any]) -> str:
    """Date, machine and load of the run."""
    machine = results["machine"]
    return (f"Run {results['date']} on {machine['cpu_model']}, {machine['cores']} cores, {machine['mem_gib']} GiB RAM, "
            f"Python {machine['python']}; load average {results['load_avg_start']} at start, "
            f"{results['load_avg_end']} at end; {results['duration_s']:.0f} s.")


def render(results: dict[str, Any], rows: list[BudgetRow]) -> str:
    """The whole report."""
    return "\n\n".join([header(results), budget_table(rows), detail_table(results)])
