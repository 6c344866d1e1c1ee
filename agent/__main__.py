"""``python -m agent``: validate settings, then serve on $HOST:$PORT (default 127.0.0.1:8080).

The agent trusts the Bearer token it is forwarded without checking its signature (AgentCore's authorizer
did), so it listens only on the loopback interface unless told otherwise: the container image sets
``HOST=0.0.0.0`` because AgentCore Runtime reaches the container on that interface. With ``UNIX_SOCKET`` set it
listens on that socket instead (the local runtime's choice, so only the front door can reach it).
A bad setting stops startup with exit code 2 and a message naming the variable.
"""

from __future__ import annotations

import sys

from agent.observability import (
    already_instrumented,
    configure_content_capture,
    disable_sdk,
    reexec_with_instrumentation,
)
from agent.request_log import configure_logging
from agent.settings import Settings, SettingsError


def main() -> None:
    """Entry point."""
    try:
        settings = Settings.from_env()
    except SettingsError as error:
        print(str(error), file=sys.stderr)
        raise SystemExit(2) from None
    configure_content_capture(capture=settings.telemetry_capture_content)
    if settings.observability_enabled and not already_instrumented():
        reexec_with_instrumentation()
    if not settings.observability_enabled:
        disable_sdk()
    configure_logging(settings.log_level)
    from agent.app import create_app
    from agent.http_server import serve
    from agent.lifecycle import AgentLifecycle

    lifecycle = AgentLifecycle(settings)
    app = create_app(settings, lifecycle=lifecycle)
    lifecycle.watch_for_restore()  # after startup's restore baseline (create_app → warm_up)
    serve(app, settings)


if __name__ == "__main__":
    main()
