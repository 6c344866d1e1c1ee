"""Markdown tables of one run: the budgets, then the raw numbers per target."""

from __future__ import annotations

from typing import Any

from bench.budgets import BudgetRow
from bench.targets import TARGETS


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


def detail_table(results: dict[str, Any]) -> str:
    """Per-target numbers behind the budgets."""
    stub = results.get("stub_round_trip") or {}
    lines = [
        f"Stub round trip (client → stub, streamed): p50 {stub.get('p50_ms', '—')} ms, p99 {stub.get('p99_ms', '—')} ms.",
        "",
        "| Target | cold /ping (s) | cold 1st answer (s) | 1 session p50 / p99 (ms) | concurrent p50 / p99 (ms) "
        "| concurrent errors / cross-talk | drift early → late p50 (ms) |",
        "|---|---|---|---|---|---|---|",
    ]
    for target in TARGETS:
        lines.append(
            f"| {target} | {_cell(results, 'cold_start', target, 'median_ping_s', '{:.2f}')} "
            f"| {_cell(results, 'cold_start', target, 'median_answer_s', '{:.2f}')} "
            f"| {_cell(results, 'latency', target, 'p50_ms')} / {_cell(results, 'latency', target, 'p99_ms')} "
            f"| {_cell(results, 'concurrency', target, 'p50_ms')} / {_cell(results, 'concurrency', target, 'p99_ms')} "
            f"| {_cell(results, 'concurrency', target, 'errors', '{}')} / {_cell(results, 'concurrency', target, 'cross_talk', '{}')} "
            f"| {_cell(results, 'drift', target, 'early_p50_ms')} → {_cell(results, 'drift', target, 'late_p50_ms')} |"
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
