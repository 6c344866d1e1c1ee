"""What `make help` and `make synth` print: variables shown with their values, and no CDK CLI noise."""

from __future__ import annotations

import subprocess

from tests.support.paths import REPO


def _make(*args: str, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["make", "--no-print-directory", *args], cwd=REPO, capture_output=True, text=True, timeout=timeout
    )


def test_make_help_shows_the_outputs_file_this_run_would_write():
    default = _make("help", "STAGE=prod")
    chosen = _make("help", "OUTPUTS_FILE=elsewhere.json")

    assert "$(" not in default.stdout + chosen.stdout
    assert "cdk-outputs-prod.json" in default.stdout
    assert "elsewhere.json" in chosen.stdout and "cdk-outputs-" not in chosen.stdout


def test_make_synth_prints_no_feature_flag_or_stack_id_noise():
    """The feature flags are set in cdk.json (the CLI counts none as unconfigured) and the stage-only app's
    "Supply a stack id ()" line is dropped; the synth's own result and the summary are still printed."""
    result = _make("synth", timeout=600)

    assert result.returncode == 0, result.stdout + result.stderr
    output = result.stdout + result.stderr
    assert "Successfully synthesized to" in output
    assert "AgentCoreSession-dev-Runtime:" in output  # the summary
    lines = output.splitlines()  # (make echoes the recipe, which names the dropped line in its filter)
    assert [line for line in lines if "feature flags are not configured" in line] == []
    assert [line for line in lines if line.startswith("Supply a stack id")] == []
