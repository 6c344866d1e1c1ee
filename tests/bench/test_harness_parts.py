"""Pure parts of the harness: settings, percentiles, answer reading, cross-talk judging, budgets, schema."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.budgets import evaluate
from bench.client import Call, answer_text
from bench.config import BenchConfig, BenchConfigError, config_from
from bench.results import schema_problems
from bench.scenarios import SessionOutcome, cross_talk, judge
from bench.stats import percentile, summary_ms


def test_defaults_are_the_full_run() -> None:
    config = config_from([], env={})
    assert (config.single_calls, config.concurrent_sessions, config.concurrent_calls) == (200, 32, 10)
    assert (config.drift_calls, config.drift_window, config.memory_sessions) == (300, 50, (100, 1000))


def test_default_targets_include_the_deployed_configuration_and_its_baseline() -> None:
    assert config_from([], env={}).targets == (
        "baseline",
        "agent-none",
        "agent-file",
        "baseline-bedrock",
        "agent-bedrock",
    )


def test_flags_override_env_and_quick_presets() -> None:
    config = config_from(
        ["--quick", "--single-calls", "7"], env={"BENCH_SINGLE_CALLS": "9", "BENCH_TARGETS": "baseline"}
    )
    assert (config.single_calls, config.targets, config.concurrent_sessions) == (7, ("baseline",), 4)


def test_env_values_are_read() -> None:
    config = config_from([], env={"BENCH_MEMORY_SESSIONS": "5,50", "BENCH_OUTPUT": "/tmp/x.json"})
    assert (config.memory_sessions, config.output) == ((5, 50), Path("/tmp/x.json"))


def test_every_invalid_setting_is_named_at_once() -> None:
    with pytest.raises(BenchConfigError) as caught:
        BenchConfig(
            single_calls=0,
            drift_calls=10,
            drift_window=50,
            memory_sessions=(100, 10),
            targets=("baseline", "nope"),
            measures=("speed",),
        )
    assert [str(problem) for problem in caught.value.problems] == [
        "single_calls = 0; allowed: an integer from 1 to 100000",
        "drift_calls = 10; allowed: an integer of at least 2 × drift_window (100)",
        "memory_sessions = (100, 10); allowed: comma-separated distinct ascending integers from 1 to 10000",
        "targets = ('baseline', 'nope'); allowed: comma-separated names from baseline, agent-none, agent-file, "
        "baseline-bedrock, agent-bedrock, agent-none-bedrock, agent-bedrock-prebuilt (not nope)",
        "measures = ('speed',); allowed: comma-separated names from cold_start, restore, latency, concurrency, "
        "drift, memory, synth, container (not speed)",
    ]


def test_the_limits_themselves_are_accepted() -> None:
    config = BenchConfig(
        single_calls=100_000, concurrent_calls=2, drift_calls=100, drift_window=50, memory_sessions=(1, 10_000)
    )
    assert (config.single_calls, config.concurrent_calls, config.drift_calls) == (100_000, 2, 100)
    with pytest.raises(BenchConfigError) as caught:
        BenchConfig(single_calls=100_001, concurrent_calls=1, drift_calls=99, memory_sessions=(0, 10_001))
    assert [problem.key for problem in caught.value.problems] == [
        "single_calls",
        "concurrent_calls",
        "drift_calls",
        "memory_sessions",
    ]


def test_problems_name_the_flag_or_variable_that_gave_the_value() -> None:
    with pytest.raises(BenchConfigError) as caught:
        config_from(
            ["--single-calls", "many", "--concurrent-calls", "1"],
            env={"BENCH_SINGLE_CALLS": "5", "BENCH_MEMORY_SESSIONS": "10,lots", "BENCH_DRIFT_WINDOW": "200"},
        )
    assert [str(problem) for problem in caught.value.problems] == [
        "--single-calls = 'many'; allowed: an integer from 1 to 100000",
        "--concurrent-calls = '1'; allowed: an integer from 2 to 100000",
        "drift_calls = (unset); allowed: an integer of at least 2 × drift_window (400)",
        "BENCH_MEMORY_SESSIONS = '10,lots'; allowed: comma-separated distinct ascending integers from 1 to 10000",
    ]
    assert str(caught.value).startswith("invalid benchmark settings:\n- --single-calls = 'many'")


def test_a_rule_between_settings_sees_the_quick_presets() -> None:
    assert config_from(["--quick", "--drift-window", "20"], env={}).drift_calls == 40
    with pytest.raises(BenchConfigError) as caught:
        config_from(["--quick", "--drift-window", "21"], env={})
    assert [str(problem) for problem in caught.value.problems] == [
        "drift_calls = 40; allowed: an integer of at least 2 × drift_window (42)"
    ]


def test_percentile_is_nearest_rank() -> None:
    samples = [float(i) for i in range(1, 201)]
    assert (percentile(samples, 50), percentile(samples, 99), percentile(samples, 100)) == (100.0, 198.0, 200.0)
    assert summary_ms([0.001, 0.003]) == {"count": 2, "p50_ms": 1.0, "p99_ms": 3.0, "mean_ms": 2.0, "max_ms": 3.0}
    with pytest.raises(ValueError, match="percentile of no samples"):
        percentile([], 50)


def test_answer_text_reads_both_response_shapes() -> None:
    assert answer_text({"response": " Hi. ", "session_id": "s"}) == "Hi."
    assert (
        answer_text({"result": {"role": "assistant", "content": [{"text": "Hi"}, {"text": " there."}]}}) == "Hi there."
    )
    assert answer_text({"error": "bad"}) == "" and answer_text(["x"]) == ""


def test_wrong_recall_naming_another_session_is_cross_talk() -> None:
    ann, bob = SessionOutcome(name="Ann"), SessionOutcome(name="Bob")
    judge(ann, 0, Call(200, "Nice to meet you, Ann.", 0.01))
    judge(ann, 1, Call(200, "Your name is Bob.", 0.01))
    judge(bob, 1, Call(200, "I don't know your name.", 0.01))
    judge(bob, 3, Call(500, "", 0.01))
    assert (ann.wrong_recalls, bob.wrong_recalls, bob.errors) == (["Your name is Bob."], ["I don't know your name."], 1)
    assert cross_talk([ann, bob]) == 1


def _results(**sections: object) -> dict:
    return {
        "schema_version": 1,
        "date": "d",
        "machine": {},
        "config": {},
        "duration_s": 1.0,
        "load_avg_start": [],
        "load_avg_end": [],
        "budgets": [],
        **sections,
    }


def test_budgets_compute_ratios_and_verdicts() -> None:
    results = _results(
        cold_start={
            "baseline": {"median_answer_s": 4.0},
            "agent-none": {"median_answer_s": 3.0},
            "agent-file": {"median_answer_s": 5.0},
        },
        stub_round_trip={"p99_ms": 2.0},
        latency={"baseline": {"p99_ms": 30.0}, "agent-none": {"p99_ms": 6.5}, "agent-file": {"p99_ms": 9.0}},
        synth={"measured": True, "median_full_s": 30.0, "median_minimal_s": 20.0, "ratio": 1.5},
    )
    rows = {(r.budget, r.target): r for r in evaluate(results)}
    cold_none, cold_file = (
        rows[("V1 cold start → first answer", "agent-none")],
        rows[("V1 cold start → first answer", "agent-file")],
    )
    assert (cold_none.value, cold_none.met, cold_file.value, cold_file.met) == (0.75, True, 1.25, False)
    added = rows[("added p99 over stub, 1 session", "agent-none")]
    assert (added.value, added.met, added.baseline) == (4.5, True, "28.0 ms")
    assert rows[("added p99 over stub, 1 session", "agent-file")].met is False
    assert rows[("cdk synth, full app vs minimal", "app.py")].met is True
    assert rows[("latency drift (late p50 / fresh p50)", "agent-none")].met is None
    assert rows[("RSS per idle session", "agent-file")].measured == "not measured"


def test_drift_budget_compares_the_long_run_with_a_fresh_process() -> None:
    entry = {
        "early_p50_ms": 10.0,
        "late_p50_ms": 12.0,
        "fresh_p50_ms": 11.5,
        "late_over_fresh": 1.043,
        "late_over_early": 1.2,
        "errors": 0,
        "wrong_recalls": 0,
    }
    results = _results(
        drift={
            "baseline": {**entry, "late_over_fresh": 1.8},
            "agent-none": entry,
            "agent-file": {**entry, "late_over_fresh": 1.25},
        }
    )
    rows = {r.target: r for r in evaluate(results) if r.budget.startswith("latency drift")}
    assert (rows["agent-none"].met, rows["agent-none"].measured, rows["agent-none"].baseline) == (
        True,
        "12.0 vs 11.5 ms (1.04×)",
        "1.80×",
    )
    assert (rows["agent-file"].met, rows["agent-file"].value) == (False, 1.25)


def test_concurrency_budget_needs_zero_errors_and_zero_cross_talk() -> None:
    ours = {"sessions": 32, "calls_per_session": 10, "errors": 0, "cross_talk": 0, "wrong_recalls": 0}
    results = _results(
        concurrency={
            "baseline": {**ours, "errors": 150, "cross_talk": 12},
            "agent-none": ours,
            "agent-file": {**ours, "cross_talk": 1, "wrong_recalls": 1},
        }
    )
    rows = [r for r in evaluate(results) if r.budget.startswith("32 concurrent")]
    assert [(r.target, r.met, r.baseline) for r in rows] == [
        ("agent-none", True, "150 errors, 12 cross-talk"),
        ("agent-file", False, "150 errors, 12 cross-talk"),
    ]


def test_schema_problems_name_what_is_missing() -> None:
    assert (
        schema_problems(_results(machine={"cpu_model": "x", "cores": 2, "mem_gib": 1, "kernel": "k", "python": "3"}))
        == []
    )
    broken = _results(budgets=[{"budget": "b"}])
    del broken["date"]
    broken["duration_s"] = "long"
    assert schema_problems(broken) == [
        "key 'date' missing",
        "key 'duration_s' must be (<class 'int'>, <class 'float'>), got str",
        "machine.cpu_model missing",
        "machine.cores missing",
        "machine.mem_gib missing",
        "machine.kernel missing",
        "machine.python missing",
        "budgets[0].target missing",
        "budgets[0].measured missing",
        "budgets[0].baseline missing",
        "budgets[0].value missing",
        "budgets[0].limit missing",
        "budgets[0].met missing",
    ]
    assert schema_problems([]) == ["results must be an object, got list"]


def test_container_is_reported_not_measured_without_its_prerequisites(tmp_path: Path) -> None:
    import shutil

    from bench import container

    expected = (
        "podman is not installed"
        if shutil.which("podman") is None
        else f"{tmp_path / 'missing.conf'} missing; run sudo scripts/container_prereqs.sh"
    )
    assert container.unavailable_reason(tmp_path / "missing.conf") == expected


def test_bedrock_target_is_held_against_the_bedrock_baseline_and_the_stand_in_alone() -> None:
    results = _results(
        cold_start={
            "baseline": {"median_answer_s": 1.0},
            "baseline-bedrock": {"median_answer_s": 4.0},
            "agent-bedrock": {"median_answer_s": 3.0},
        },
        stub_round_trip={"p99_ms": 2.0},
        stand_in_round_trip={"p99_ms": 3.0},
        latency={"baseline": {"p99_ms": 30.0}, "baseline-bedrock": {"p99_ms": 20.0}, "agent-bedrock": {"p99_ms": 7.0}},
        concurrency={
            "baseline": {"errors": 1, "cross_talk": 1},
            "baseline-bedrock": {"errors": 9, "cross_talk": 2},
            "agent-bedrock": {"sessions": 4, "calls_per_session": 4, "errors": 0, "cross_talk": 0, "wrong_recalls": 0},
        },
    )
    rows = {r.budget: r for r in evaluate(results) if r.target == "agent-bedrock"}
    cold, added = rows["V1 cold start → first answer"], rows["added p99 over stand-in, 1 session"]
    assert (cold.value, cold.baseline, cold.met) == (0.75, "4.00 s", True)
    assert (added.value, added.measured, added.baseline, added.met) == (4.0, "4.0 ms", "17.0 ms", True)
    assert rows["4 concurrent sessions × 4"].baseline == "9 errors, 2 cross-talk"
    assert "added p99 over stub, 1 session" not in rows


def test_bedrock_target_without_the_stand_in_floor_is_not_measured() -> None:
    results = _results(stub_round_trip={"p99_ms": 2.0}, latency={"agent-bedrock": {"p99_ms": 7.0}})
    [row] = [r for r in evaluate(results) if r.target == "agent-bedrock" and r.budget.startswith("added")]
    assert (row.budget, row.measured, row.met) == ("added p99 over stand-in, 1 session", "not measured", None)


def test_memory_checkpoint_stopped_early_says_where() -> None:
    results = _results(
        memory={
            "agent-bedrock": {
                "checkpoints": [
                    {"sessions": 100, "reached": 100, "rss_kib": 1, "kib_per_session": 300.0},
                    {
                        "sessions": 1000,
                        "reached": 160,
                        "rss_kib": 1,
                        "kib_per_session": 13000.0,
                        "stopped": "RSS grew by more than 2048 MiB",
                    },
                ]
            }
        }
    )
    rows = [r for r in evaluate(results) if r.target == "agent-bedrock" and r.budget.startswith("RSS")]
    assert [(r.budget, r.measured, r.met) for r in rows] == [
        ("RSS per idle session @ 100", "300.0 KiB", False),
        ("RSS per idle session @ 1000", "13000.0 KiB (stopped at 160 sessions: RSS grew by more than 2048 MiB)", False),
    ]


def test_container_runs_the_openai_and_the_deployed_configuration() -> None:
    from bench.bedrock_path import BedrockPath, DeployedSettings
    from bench.container import configurations

    path = BedrockPath(
        stand_in_port=1111,
        moto_port=2222,
        bucket="bucket-1",
        settings=DeployedSettings(model_id="global.anthropic.claude-sonnet-4-6", session_prefix="sessions/"),
    )
    envs = configurations(3333, path)
    assert list(envs) == ["openai-file", "bedrock-s3"]
    assert envs["openai-file"]["OPENAI_BASE_URL"] == "http://10.0.2.2:3333/v1"
    assert {
        k: envs["bedrock-s3"][k]
        for k in (
            "MODEL_PROVIDER",
            "MODEL_ID",
            "SESSION_STORE",
            "SESSION_BUCKET",
            "AWS_ENDPOINT_URL_BEDROCK_RUNTIME",
            "AWS_ENDPOINT_URL_S3",
        )
    } == {
        "MODEL_PROVIDER": "bedrock",
        "MODEL_ID": "global.anthropic.claude-sonnet-4-6",
        "SESSION_STORE": "s3",
        "SESSION_BUCKET": "bucket-1",
        "AWS_ENDPOINT_URL_BEDROCK_RUNTIME": "http://10.0.2.2:1111",
        "AWS_ENDPOINT_URL_S3": "http://10.0.2.2:2222",
    }
    assert list(configurations(3333, None)) == ["openai-file"]


def test_report_names_both_floors_and_every_container_configuration() -> None:
    from bench.report import detail_table

    results = _results(
        stub_round_trip={"p50_ms": 2.0, "p99_ms": 3.0},
        stand_in_round_trip={"p50_ms": 2.5, "p99_ms": 4.0},
        drift={"stand-in": {"early_p50_ms": 2.1, "late_p50_ms": 2.2}},
        container={
            "measured": True,
            "image": "img",
            "size_mb": 270.0,
            "reps": 3,
            "configurations": {
                "openai-file": {"median_ping_s": 1.5, "median_answer_s": 2.0, "wrong_answers": 0},
                "bedrock-s3": {"median_ping_s": 1.6, "median_answer_s": 2.4, "wrong_answers": 1},
            },
        },
    )
    text = detail_table(results)
    assert (
        "Bedrock stand-in alone (same conversations, ConverseStream sent straight to the stand-in over a kept-alive "
        "connection): 1 session p50 2.5 ms, p99 4.0 ms; drift early → late p50 2.1 → 2.2 ms."
    ) in text
    assert (
        "Container (`img`): image 270.0 MB; openai-file: `podman run` → /ping 1.50 s, → first answer 2.00 s; "
        "bedrock-s3: `podman run` → /ping 1.60 s, → first answer 2.40 s (1 wrong answers) (median of 3)."
    ) in text
    assert "Bedrock stand-in alone" not in detail_table(_results(stub_round_trip={"p50_ms": 2.0, "p99_ms": 3.0}))


def _restored(answer_s: float, warm_s: float, requests: int = 0, wrong: int = 0) -> dict:
    return {
        "median_ping_s": 0.2,
        "median_answer_s": answer_s,
        "median_warm_answer_s": warm_s,
        "wrong_answers": wrong,
        "first_turn_s3_requests": [f"PUT key-{i}" for i in range(requests)],
        "reps": 5,
    }


def _restore_results(agent: dict) -> dict:
    """Results whose restore section has a fast baseline and ``agent`` as the deployed configuration."""
    return _results(
        restore={
            "measured": True,
            "s3_round_trip_ms": 5.0,
            "baseline-bedrock": _restored(0.100, 0.010),
            "agent-bedrock": agent,
        }
    )


def _agent_v2_rows(results: dict) -> dict:
    """The deployed configuration's V2 budget rows, by budget."""
    return {r.budget: r for r in evaluate(results) if r.target == "agent-bedrock" and r.budget.startswith("V2")}


def test_restore_budgets_hold_the_first_answer_after_restore_to_the_warm_one_and_the_baseline() -> None:
    rows = _agent_v2_rows(_restore_results(_restored(0.120, 0.100, requests=10)))
    warm, base = (
        rows["V2 restore → first answer / warm first answer"],
        rows["V2 restore → first answer vs baseline + store round trips"],
    )
    assert (warm.value, warm.measured, warm.baseline, warm.met) == (1.2, "120 vs 100 ms (1.20×)", "10.00×", True)
    # 0.120 s against 0.100 s + 10 round trips × 5 ms = 0.150 s
    assert (base.value, base.baseline, base.met) == (0.8, "100 ms + 10 S3 round trips × 5.0 ms", True)


def test_restore_budgets_miss_a_slow_first_answer_and_wrong_answers() -> None:
    slow = _agent_v2_rows(_restore_results(_restored(0.300, 0.100, requests=2)))
    wrong = _agent_v2_rows(_restore_results(_restored(0.110, 0.100, requests=2, wrong=1)))

    assert (
        slow["V2 restore → first answer / warm first answer"].met,
        slow["V2 restore → first answer vs baseline + store round trips"].value,
    ) == (False, 2.727)
    assert wrong["V2 restore → first answer / warm first answer"].met is False


def test_restore_rows_say_not_measured_without_criu() -> None:
    results = _results(restore={"measured": False, "reason": "CRIU needs root"})
    rows = [(r.budget, r.met) for r in evaluate(results) if r.budget.startswith("V2")]
    assert rows == [
        ("V2 restore → first answer / warm first answer", None),
        ("V2 restore → first answer vs baseline + store round trips", None),
    ]
