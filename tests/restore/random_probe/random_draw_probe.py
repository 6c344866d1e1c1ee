"""Test-only probe: records every draw a process makes from Python's shared ``random`` state, and draws on SIGUSR1.

WHY: the rehearsal must see what the server's own ``random`` state yields after a restore (a state copied from
the snapshot yields the same numbers in every restored instance) without a debug endpoint in the product.
- ``random.getrandbits`` and ``random.random`` (the module-level functions, bound to the shared ``Random``
  instance, which libraries look up at call time: OpenTelemetry's id generators, botocore's retry jitter) are
  wrapped to append each value they return;
- SIGUSR1 makes one draw through the wrapped ``getrandbits``, so every instance has at least one draw to compare.
  CPython runs a Python signal handler in the main thread as soon as the interrupted system call returns (PEP
  475), so the draw happens while the server idles in its event loop.
Both are installed at startup, before the checkpoint, and CRIU restores them with the process. The agent runs under
``opentelemetry-instrument`` (observability on), whose own ``sitecustomize`` comes first on ``PYTHONPATH`` and hides
any other; so the probe is loaded through the ``opentelemetry_pre_instrument`` entry point declared in
``random_draw_probe-1.0.dist-info`` beside it (``opentelemetry/instrumentation/auto_instrumentation/_load.py`` calls
every entry point of that group before instrumenting; ``importlib.metadata`` finds the dist-info on ``sys.path``).
Each draw is appended
as ``<pid> <wall clock> <value>`` to the file named by ``RANDOM_DRAW_PROBE`` (opened per draw: a file held open
across a checkpoint must not grow).
"""

from __future__ import annotations

import functools
import os
import random
import signal
import threading
import time
from collections.abc import Callable
from typing import Any

PROBE_ENV = "RANDOM_DRAW_PROBE"
_lock = threading.Lock()
_installed = False


def _record(value: object) -> None:
    with _lock, open(os.environ[PROBE_ENV], "a", encoding="utf-8") as draws:
        draws.write(f"{os.getpid()} {time.time():.6f} {value!r}\n")


def _recorded(draw: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(draw)
    def recorded(*args: Any) -> Any:
        value = draw(*args)
        _record(value)
        return value

    return recorded


def install() -> None:
    """Wrap the module-level draws and install the SIGUSR1 handler, once, when ``RANDOM_DRAW_PROBE`` is set."""
    global _installed
    if _installed or not os.environ.get(PROBE_ENV):
        return
    random.getrandbits = _recorded(random.getrandbits)
    random.random = _recorded(random.random)
    signal.signal(signal.SIGUSR1, lambda *_: random.getrandbits(64))
    _installed = True
