"""``python -m bench.prebuilt_agent``: our agent with its AWS clients built at startup, before a V2 snapshot.

An experiment (``--targets agent-bedrock-prebuilt``), never deployed. The agent builds its AWS clients after each
restore because botocore resolves credentials as it builds a client, and credentials fetched before a snapshot
would be shared, and expire, in every restored instance (``agent/lifecycle.py``); the baseline builds its client at
import, before the snapshot. Restored from its own checkpoint next to ``agent-bedrock``, this target prices that
rule: the difference between the two first answers is what building the clients after the restore costs.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence

from agent.app import create_app
from agent.http_server import serve
from agent.lifecycle import AgentLifecycle
from agent.observability import disable_sdk
from agent.request_log import configure_logging
from agent.settings import Settings


class PrebuiltClientsLifecycle(AgentLifecycle):
    """Runs what the agent prepares after each restore (builds, then warm-ups) once, at startup, instead."""

    def prepare_after_restore(
        self, *, builds: Sequence[Callable[[], object]], warm_ups: Sequence[Callable[[], object]] = ()
    ) -> None:
        for step in (*builds, *warm_ups):
            step()


def main() -> None:
    """``python -m agent`` as the bench runs it (observability off), with :class:`PrebuiltClientsLifecycle`."""
    settings = Settings.from_env()
    if settings.observability_enabled:
        print(
            "bench.prebuilt_agent runs as the bench runs the agent: AGENT_OBSERVABILITY_ENABLED=false", file=sys.stderr
        )
        raise SystemExit(2)
    disable_sdk()
    configure_logging(settings.log_level)
    lifecycle = PrebuiltClientsLifecycle(settings)
    app = create_app(settings, lifecycle=lifecycle)
    lifecycle.watch_for_restore()
    serve(app, settings)


if __name__ == "__main__":
    main()
