"""``python -m agent``: validate settings, then serve on 0.0.0.0:$PORT (default 8080).

A bad setting stops startup with exit code 2 and a message naming the variable.
"""

from __future__ import annotations

import sys

import uvicorn

from agent.observability import already_instrumented, disable_sdk, reexec_with_instrumentation
from agent.request_log import configure_logging
from agent.settings import Settings, SettingsError

HOST = "0.0.0.0"  # nosec B104 - AgentCore Runtime reaches the container on this interface


def main() -> None:
    """Entry point."""
    try:
        settings = Settings.from_env()
    except SettingsError as error:
        print(str(error), file=sys.stderr)
        raise SystemExit(2) from None
    if settings.observability_enabled and not already_instrumented():
        reexec_with_instrumentation()
    if not settings.observability_enabled:
        disable_sdk()
    configure_logging(settings.log_level)
    from agent.app import create_app

    uvicorn.run(create_app(settings), host=HOST, port=settings.port, log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
