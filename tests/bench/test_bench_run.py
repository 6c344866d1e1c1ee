"""``python -m bench`` end to end with tiny counts: exit code, printed tables, and the results JSON schema.

Nothing here asserts a duration: timings depend on the machine. What is asserted is that every number
the budgets need is produced, that the baseline's concurrency errors are counted, and that ours has none.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from bench.results import schema_problems
from bench.synth import MINIMAL_APP_DIR, synth_into
from local.processes import python_module
from tests.support.criu import require_criu
from tests.support.paths import REPO

QUICK_ARGS = [
    "--targets",
    "baseline,agent-none",
    "--measures",
    "cold_start,latency,concurrency",
    "--cold-start-reps",
    "1",
    "--single-calls",
    "4",
    "--concurrent-sessions",
    "4",
    "--concurrent-calls",
    "4",
]

# A clean 4 sessions × 4 calls concurrency run, its timings zeroed (they depend on the machine).
CLEAN_CONCURRENCY = {
    "count": 16,
    "p50_ms": 0,
    "p99_ms": 0,
    "mean_ms": 0,
    "max_ms": 0,
    "sessions": 4,
    "calls_per_session": 4,
    "errors": 0,
    "statuses": {"200": 16},
    "wrong_recalls": 0,
    "cross_talk": 0,
}


def _run_bench(args: list[str], tmp_path: Path) -> tuple[subprocess.CompletedProcess[str], dict[str, Any], Path]:
    """``python -m bench *args`` writing its results under tmp_path; it must exit 0 with schema-valid results.

    Returns (the finished process, the results JSON, the results file).
    """
    output = tmp_path / "latest.json"
    done = subprocess.run(
        python_module("bench", *args, "--output", str(output)),
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    results = json.loads(output.read_text())
    assert schema_problems(results) == []
    return done, results, output


def test_quick_run_writes_valid_results_and_prints_the_budget_table(tmp_path: Path) -> None:
    done, results, output = _run_bench(QUICK_ARGS, tmp_path)
    assert results["config"]["targets"] == ["baseline", "agent-none"]
    assert set(results["latency"]) == {"baseline", "agent-none"}
    assert results["latency"]["agent-none"]["count"] == 4 and results["latency"]["agent-none"]["errors"] == 0
    assert (
        results["concurrency"]["agent-none"] | {"p50_ms": 0, "p99_ms": 0, "mean_ms": 0, "max_ms": 0}
        == CLEAN_CONCURRENCY
    )
    baseline = results["concurrency"]["baseline"]
    assert baseline["count"] == 16 and baseline["errors"] == 16 - baseline["statuses"].get("200", 0)
    assert results["cold_start"]["agent-none"]["wrong_answers"] == 0
    budgets = {(row["budget"], row["target"]): row for row in results["budgets"]}
    assert budgets[("4 concurrent sessions × 4", "agent-none")]["met"] is True
    assert budgets[("cdk synth, full app vs minimal", "app.py")]["met"] is None
    assert "| Budget | Target | Ours | Baseline | Ratio / value | Limit | Result |" in done.stdout
    assert "Container: not measured (not requested)." in done.stdout
    assert f"results written to {output}" in done.stdout
    report = output.with_suffix(".md").read_text()
    assert report.startswith("Run ") and report.strip() in done.stdout


BEDROCK_ARGS = [
    "--targets",
    "baseline-bedrock,agent-bedrock",
    "--measures",
    "latency,concurrency",
    "--single-calls",
    "4",
    "--concurrent-sessions",
    "4",
    "--concurrent-calls",
    "4",
]


def test_quick_run_measures_the_deployed_configuration_on_the_bedrock_stand_in(tmp_path: Path) -> None:
    done, results, _ = _run_bench(BEDROCK_ARGS, tmp_path)
    assert set(results["latency"]) == {"baseline-bedrock", "agent-bedrock"}
    assert (results["stand_in_round_trip"]["count"], results["stand_in_round_trip"]["errors"]) == (4, 0)
    ours = results["latency"]["agent-bedrock"]
    assert (ours["count"], ours["errors"], ours["wrong_recalls"]) == (4, 0, 0)
    assert (
        results["concurrency"]["agent-bedrock"] | {"p50_ms": 0, "p99_ms": 0, "mean_ms": 0, "max_ms": 0}
        == CLEAN_CONCURRENCY
    )
    baseline = results["concurrency"]["baseline-bedrock"]
    assert baseline["count"] == 16 and baseline["errors"] == 16 - baseline["statuses"].get("200", 0)
    budgets = {(row["budget"], row["target"]): row for row in results["budgets"]}
    added = budgets[("added p99 over stand-in, 1 session", "agent-bedrock")]
    assert added["value"] == round(ours["p99_ms"] - results["stand_in_round_trip"]["p99_ms"], 2)
    assert budgets[("4 concurrent sessions × 4", "agent-bedrock")]["met"] is True
    assert "Bedrock stand-in alone (same conversations, ConverseStream sent straight to the stand-in" in done.stdout


def test_quick_run_restores_the_deployed_configuration_and_its_baseline_from_checkpoints(tmp_path: Path) -> None:
    require_criu()
    targets = ("baseline-bedrock", "agent-bedrock", "agent-bedrock-prebuilt")
    args = ["--targets", ",".join(targets), "--measures", "restore", "--restore-reps", "1"]

    done, results, _ = _run_bench(args, tmp_path)

    restore = results["restore"]
    assert restore["measured"] is True
    for target in targets:
        assert (restore[target]["reps"], restore[target]["wrong_answers"]) == (1, 0)
        assert len(restore[target]["answer_s"]) == len(restore[target]["warm_answer_s"]) == 1
    assert restore["baseline-bedrock"]["first_turn_s3_requests"] == []  # the baseline keeps no store
    assert "PUT sessions/owners/<session>.json" in restore["agent-bedrock"]["first_turn_s3_requests"]
    # The experiment differs only in when its clients are built: the same store requests, and no budget of its own.
    assert (
        restore["agent-bedrock-prebuilt"]["first_turn_s3_requests"]
        == restore["agent-bedrock"]["first_turn_s3_requests"]
    )
    budgets = {(row["budget"], row["target"]): row for row in results["budgets"]}
    assert budgets[("V2 restore → first answer / warm first answer", "agent-bedrock")]["met"] is not None
    assert "agent-bedrock-prebuilt" not in {target for _, target in budgets}
    assert "V2 restore from one CRIU checkpoint" in done.stdout


def test_invalid_setting_exits_2_naming_it(tmp_path: Path) -> None:
    done = subprocess.run(
        python_module("bench", "--single-calls", "0"),
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert done.stderr == "invalid benchmark settings:\n- --single-calls = '0'; allowed: an integer from 1 to 100000\n"


def test_minimal_app_synthesizes_one_stack_with_one_bucket(tmp_path: Path) -> None:
    synth_into(MINIMAL_APP_DIR, tmp_path)
    template = json.loads((tmp_path / "BenchMinimal.template.json").read_text())
    types = sorted(resource["Type"] for resource in template["Resources"].values())
    assert [t for t in types if t != "AWS::CDK::Metadata"] == ["AWS::S3::Bucket"]
    assert sorted(p.name for p in tmp_path.glob("*.template.json")) == ["BenchMinimal.template.json"]
