"""Runs the selected measurements against one set of model stand-ins, in one run, and assembles the results document.

The OpenAI stub always runs; the Bedrock path (stand-in and moto S3, :mod:`bench.bedrock_path`) runs when a
Bedrock target is selected or the container is measured (its second configuration is the deployed one).

Every measurement of a server starts a fresh process (so the baseline's shared history from one
measurement never leaks into the next), and the targets of one measurement run back to back.
"""

from __future__ import annotations

import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from bench.bedrock_path import BedrockPath, started_bedrock_path
from bench.budgets import as_dicts, evaluate
from bench.cold_start import measure_cold_start
from bench.concurrency import measure_concurrency
from bench.config import BenchConfig
from bench.container import measure_container
from bench.drift import measure_drift
from bench.interleave import Invoker, http_invoker
from bench.memory import WARMUP_SESSIONS, measure_memory
from bench.report import render
from bench.restore import measure_restore
from bench.results import SCHEMA_VERSION, load_avg, machine, now_iso, write_report, write_results
from bench.scenarios import warm_up
from bench.stand_in_conversation import StandInConversations
from bench.stub_conversation import StubConversations
from bench.synth import measure_synth
from bench.targets import (
    RESTORED_TARGETS,
    TargetSpec,
    needs_bedrock_path,
    started_stub,
    started_target,
    target_spec,
)
from bench.warm_latency import STAND_IN, STUB, measure_single_session
from local.processes import ServerProcess

Progress = Callable[[str], None]


def _stderr(message: str) -> None:
    print(f"bench: {message}", file=sys.stderr, flush=True)


def _per_target(
    specs: list[TargetSpec],
    log_dir: Path,
    label: str,
    measure: Callable[[ServerProcess], dict[str, Any]],
    progress: Progress,
) -> dict[str, Any]:
    section = {}
    for spec in specs:
        with started_target(spec, log_dir=log_dir) as server:
            section[spec.name] = measure(server)
        progress(f"{label} {spec.name}: {section[spec.name]}")
    return section


@dataclass(frozen=True)
class ModelStandIns:
    """The model stand-ins of one run: the OpenAI stub, and the Bedrock path when it was started."""

    stub: ServerProcess
    bedrock: BedrockPath | None
    floors: tuple[str, ...]

    def floor_invokers(self, client: httpx.Client) -> dict[str, Invoker]:
        """Each selected stand-in called directly, as the floor of the targets on its path."""
        invokers: dict[str, Invoker] = {}
        if STUB in self.floors:
            invokers[STUB] = StubConversations(client, self.stub.base_url)
        if STAND_IN in self.floors and self.bedrock is not None:
            invokers[STAND_IN] = StandInConversations(client, self.bedrock.stand_in_url, self.bedrock.settings.model_id)
        return invokers


@contextmanager
def _started(
    specs: list[TargetSpec], log_dir: Path, stand_ins: ModelStandIns | None = None
) -> Iterator[dict[str, Invoker]]:
    """Every target started and warmed up at once (plus the stand-ins alone, when given) as interleavable invokers."""
    with ExitStack() as stack:
        client = stack.enter_context(httpx.Client())
        invokers: dict[str, Invoker] = stand_ins.floor_invokers(client) if stand_ins else {}
        for spec in specs:
            server = stack.enter_context(started_target(spec, log_dir=log_dir))
            warm_up(server.base_url)
            invokers[spec.name] = http_invoker(client, server.base_url)
        yield invokers


def _server_measures(
    config: BenchConfig, stand_ins: ModelStandIns, log_dir: Path, progress: Progress
) -> dict[str, Any]:
    stub_url, bedrock = f"{stand_ins.stub.base_url}/v1", stand_ins.bedrock
    specs = [target_spec(name, stub_url=stub_url, bedrock=bedrock) for name in config.targets]
    results: dict[str, Any] = {}
    want = set(config.measures)
    if "cold_start" in want:
        results["cold_start"] = measure_cold_start(specs, reps=config.cold_start_reps, log_dir=log_dir)
        progress(
            f"cold start: { {k: (v['median_ping_s'], v['median_answer_s']) for k, v in results['cold_start'].items()} }"
        )
    if "restore" in want:
        restored = [name for name in config.targets if name in RESTORED_TARGETS]
        results["restore"] = measure_restore(restored, bedrock, reps=config.restore_reps, log_dir=log_dir)
        progress(f"restore: {results['restore']}")
    if "latency" in want:
        with _started(specs, log_dir, stand_ins) as invokers:
            latency = measure_single_session(invokers, calls=config.single_calls)
        results["stub_round_trip"] = latency.pop(STUB)
        if STAND_IN in latency:
            results["stand_in_round_trip"] = latency.pop(STAND_IN)
        results["latency"] = latency
        progress(
            f"1 session: stub {results['stub_round_trip']}; stand-in {results.get('stand_in_round_trip')}; {latency}"
        )
    if "concurrency" in want:
        results["concurrency"] = _per_target(
            specs,
            log_dir,
            "concurrency",
            lambda s: measure_concurrency(s, sessions=config.concurrent_sessions, calls=config.concurrent_calls),
            progress,
        )
    if "drift" in want:
        with _started(specs, log_dir, stand_ins) as invokers:
            results["drift"] = measure_drift(
                invokers,
                lambda: _started(specs, log_dir),
                calls=config.drift_calls,
                window=config.drift_window,
                turns_per_session=config.drift_turns_per_session,
            )
        progress(f"drift: {results['drift']}")
    if "memory" in want:
        # Ours must hold every session (warm-up ones included): the registry limit is raised accordingly.
        limit = max(config.memory_sessions) + WARMUP_SESSIONS
        memory_specs = [target_spec(n, stub_url=stub_url, bedrock=bedrock, max_sessions=limit) for n in config.targets]
        results["memory"] = _per_target(
            memory_specs, log_dir, "memory", lambda s: measure_memory(s, checkpoints=config.memory_sessions), progress
        )
    if "container" in want:
        results["container"] = measure_container(
            stand_ins.stub.port, bedrock, reps=config.container_reps, log_dir=log_dir
        )
        progress(f"container: {results['container']}")
    return results


def _start_stand_ins(config: BenchConfig, log_dir: Path, stack: ExitStack) -> ModelStandIns:
    """The stub, and the Bedrock path when a Bedrock target or the container (its deployed configuration) needs it."""
    stub = stack.enter_context(started_stub(log_dir=log_dir))
    bedrock_targets = needs_bedrock_path(config.targets)
    bedrock = None
    if bedrock_targets or "container" in config.measures:
        bedrock = stack.enter_context(started_bedrock_path(log_dir=log_dir))
    return ModelStandIns(stub=stub, bedrock=bedrock, floors=(STUB, STAND_IN) if bedrock_targets else (STUB,))


def run(config: BenchConfig, *, progress: Progress = _stderr) -> tuple[dict[str, Any], str]:
    """Run the benchmark; returns the results document and the markdown report (also written to disk)."""
    started = time.perf_counter()
    results: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "date": now_iso(),
        "machine": machine(),
        "load_avg_start": load_avg(),
        "config": config.model_dump(mode="json"),
    }
    with tempfile.TemporaryDirectory(prefix="bench-logs-") as log_dir, ExitStack() as stack:
        stand_ins = _start_stand_ins(config, Path(log_dir), stack)
        results.update(_server_measures(config, stand_ins, Path(log_dir), progress))
    if "synth" in config.measures:
        results["synth"] = measure_synth(reps=config.synth_reps)
        progress(f"synth: {results['synth']}")
    results["load_avg_end"] = load_avg()
    results["duration_s"] = round(time.perf_counter() - started, 1)
    rows = evaluate(results)
    results["budgets"] = as_dicts(rows)
    write_results(results, config.output)
    report = render(results, rows)
    write_report(report, config.output)
    return results, report
