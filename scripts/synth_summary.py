"""Print what `cdk synth` produced: each stack, its resources counted by type, and its outputs.

Usage: python scripts/synth_summary.py cdk.out
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any


def templates(assembly: Path) -> list[tuple[str, dict[str, Any]]]:
    """(stack name, template) for every stack in the assembly and its nested stage assemblies."""
    manifest = json.loads((assembly / "manifest.json").read_text())
    found: list[tuple[str, dict[str, Any]]] = []
    for artifact in manifest.get("artifacts", {}).values():
        props = artifact.get("properties", {})
        if artifact.get("type") == "aws:cloudformation:stack":
            template = json.loads((assembly / props["templateFile"]).read_text())
            found.append((props.get("stackName", artifact.get("displayName", "?")), template))
        elif artifact.get("type") == "cdk:cloud-assembly":
            found += templates(assembly / props["directoryName"])
    return found


def summarize(assembly: Path) -> str:
    """The summary as text."""
    lines: list[str] = []
    for stack_name, template in templates(assembly):
        resources = template.get("Resources", {})
        counts = Counter(resource["Type"] for resource in resources.values())
        lines.append(f"{stack_name}: {len(resources)} resources")
        lines += [f"    {count:3d}  {kind}" for kind, count in sorted(counts.items())]
        # CDK's own cross-stack reference outputs (ExportsOutput...) are plumbing, not the stack's API.
        outputs = [key for key in template.get("Outputs", {}) if not key.startswith("ExportsOutput")]
        if outputs:
            lines.append("  outputs: " + ", ".join(sorted(outputs)))
    return "\n".join(lines)


if __name__ == "__main__":
    print(summarize(Path(sys.argv[1] if len(sys.argv) > 1 else "cdk.out")))
