"""Fail synthesis when a validation plugin (cdk-nag) reports an unacknowledged finding.

CDK writes the plugins' verdicts to ``validation-report.json`` but, from a Python app, the failure
only sets the jsii kernel's exit code, so `cdk synth` would still succeed. Reading the report after
``app.synth()`` makes every finding left a synth error, as the project requires.
"""

from __future__ import annotations

import json
from pathlib import Path

REPORT_FILE = "validation-report.json"


class UnacknowledgedFindings(RuntimeError):
    """Raised with one line per finding: rule and construct path."""


def findings(assembly_dir: str | Path) -> list[str]:
    """``"<rule> at <construct path>"`` for every violation the plugins reported."""
    report_path = Path(assembly_dir) / REPORT_FILE
    if not report_path.exists():
        return []
    report = json.loads(report_path.read_text())
    return [
        f"{violation['ruleName']} at {construct['constructPath']}"
        for plugin in report.get("pluginReports", [])
        for violation in plugin.get("violations", [])
        for construct in violation.get("violatingConstructs", [])
    ]


def raise_on_findings(assembly_dir: str | Path) -> None:
    """Raise UnacknowledgedFindings if the assembly's validation report lists any violation."""
    found = findings(assembly_dir)
    if found:
        raise UnacknowledgedFindings(
            "cdk-nag findings without an acknowledgment (fix them, or acknowledge with a true reason):\n  - "
            + "\n  - ".join(found)
        )
