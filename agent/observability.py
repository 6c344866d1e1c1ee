"""OpenTelemetry on/off: with ``AGENT_OBSERVABILITY_ENABLED=true`` the server re-executes itself under
``opentelemetry-instrument`` (aws-opentelemetry-distro), the way AgentCore's observability expects.

Doing it here rather than only in the Dockerfile keeps one switch for every way the agent is started.
"""

from __future__ import annotations

import logging
import os
import shutil
import sys
from pathlib import Path

logger = logging.getLogger(__name__)

BOOTSTRAP_MARKER = "AGENT_OTEL_BOOTSTRAPPED"


def already_instrumented() -> bool:
    """True when running under ``opentelemetry-instrument`` (its sitecustomize is loaded or we set the marker)."""
    return os.environ.get(BOOTSTRAP_MARKER) == "1" or any(
        name.startswith("opentelemetry.instrumentation.auto_instrumentation") for name in sys.modules
    )


def reexec_with_instrumentation() -> None:
    """Replace this process with ``opentelemetry-instrument python -m agent``; never returns on success."""
    beside_python = Path(sys.executable).with_name("opentelemetry-instrument")
    launcher = str(beside_python) if beside_python.exists() else shutil.which("opentelemetry-instrument")
    if launcher is None:
        logger.warning("observability=<enabled> | opentelemetry-instrument not found; running without it")
        return
    os.environ[BOOTSTRAP_MARKER] = "1"
    os.environ.setdefault("OTEL_PYTHON_DISTRO", "aws_distro")
    os.environ.setdefault("OTEL_PYTHON_CONFIGURATOR", "aws_configurator")
    os.execv(launcher, [launcher, sys.executable, "-m", "agent"])


def disable_sdk() -> None:
    """Make sure nothing exports telemetry when observability is off."""
    os.environ.setdefault("OTEL_SDK_DISABLED", "true")
