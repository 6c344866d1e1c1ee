"""Start the AWS emulator (moto in server mode) for the local runtime.

WHY a separate module: `local/aws_emulator.py` (the shared emulator with the AgentCore Memory
extension) is owned by another part of the project. This one function is the only place the local
runtime decides how moto is started, so switching between the shared emulator and a bare
`ThreadedMotoServer` is a one-line change.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RunningEmulator:
    """A running moto server: where it listens and how to stop it."""

    endpoint_url: str
    stop: Callable[[], None]


def start_aws_emulator(port: int = 0) -> RunningEmulator:
    """Start moto in server mode on 127.0.0.1.

    Uses the project's shared emulator (`local.aws_emulator.start_emulator`) when it exists,
    otherwise moto's own `ThreadedMotoServer`.

    Args:
        port: TCP port to bind; 0 picks a free one.

    Returns:
        The emulator's endpoint URL and a stop function.
    """
    try:
        from local.aws_emulator import start_emulator
    except ImportError:
        return _start_bare_moto(port)
    emulator = start_emulator(port=port)
    logger.debug("endpoint=<%s> | shared aws emulator started", emulator.endpoint_url)
    return RunningEmulator(endpoint_url=emulator.endpoint_url, stop=emulator.stop)


def _start_bare_moto(port: int) -> RunningEmulator:
    """Start moto's ThreadedMotoServer without the project's extensions."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    host, bound_port = server.get_host_and_port()
    endpoint_url = f"http://{host}:{bound_port}"
    logger.debug("endpoint=<%s> | bare moto server started", endpoint_url)
    return RunningEmulator(endpoint_url=endpoint_url, stop=server.stop)
