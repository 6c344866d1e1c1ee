"""OpenTelemetry on/off: with ``AGENT_OBSERVABILITY_ENABLED=true`` the server re-executes itself under
``opentelemetry-instrument`` (aws-opentelemetry-distro), the way AgentCore's observability expects.

Doing it here rather than only in the Dockerfile keeps one switch for every way the agent is started.

Message content is redacted unless ``AGENT_TELEMETRY_CAPTURE_CONTENT=true``: telemetry goes to CloudWatch, where
whoever may read traces would otherwise read every prompt and answer. Two producers export content:

- Strands' tracer (strands-agents 1.62 ``telemetry/tracer.py``, ``Tracer.__init__`` and ``_redact``) emits
  ``gen_ai.input.messages``, ``gen_ai.output.messages``, ``gen_ai.system_instructions`` and the tool call
  arguments and results unredacted unless ``OTEL_SEMCONV_STABILITY_OPT_IN`` holds a
  ``gen_ai_unredacted_attributes=<allowlist>`` token; an empty allowlist replaces them all with ``[REDACTED]``;
- botocore's instrumentation records Bedrock messages when ``OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT``
  is true (opentelemetry-instrumentation-botocore ``extensions/bedrock_utils.py``), which aws-opentelemetry-distro
  0.21 defaults to ``true`` under agent observability (``aws_opentelemetry_distro.py``, ``setdefault``).

Both are read when the tracer and instrumentation start, so they are set before the re-exec.
"""

from __future__ import annotations

import logging
import os
import shutil
import sys
from pathlib import Path

logger = logging.getLogger(__name__)

BOOTSTRAP_MARKER = "AGENT_OTEL_BOOTSTRAPPED"
SEMCONV_OPT_IN = "OTEL_SEMCONV_STABILITY_OPT_IN"
UNREDACTED_TOKEN = "gen_ai_unredacted_attributes="  # with nothing after "=": every content attribute redacted
BOTOCORE_CAPTURE = "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"


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
    # No span per health check: AgentCore pings often, and on platform V2 a ping span exported before the
    # snapshot would open the exporter's connection (and fetch its signing credentials) before it
    # (opentelemetry-util-http ``get_excluded_urls``: a regex searched in the URL).
    os.environ.setdefault("OTEL_PYTHON_EXCLUDED_URLS", "/ping$")
    os.execv(launcher, [launcher, sys.executable, "-m", "agent"])


def disable_sdk() -> None:
    """Make sure nothing exports telemetry when observability is off."""
    os.environ.setdefault("OTEL_SDK_DISABLED", "true")


def configure_content_capture(*, capture: bool) -> None:
    """Redact message content in telemetry (``capture=False``) or let Strands and botocore export it."""
    kept = [token for token in _tokens(os.environ.get(SEMCONV_OPT_IN, "")) if not token.startswith(UNREDACTED_TOKEN)]
    if not capture:
        kept.append(UNREDACTED_TOKEN)  # overrides an allowlist of the environment's: the stage setting decides
    os.environ[SEMCONV_OPT_IN] = ",".join(kept)
    os.environ[BOTOCORE_CAPTURE] = "true" if capture else "false"


def _tokens(value: str) -> list[str]:
    return [token.strip() for token in value.split(",") if token.strip()]
