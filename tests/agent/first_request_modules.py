"""``python -m tests.agent.first_request_modules warm|cold``: the modules the agent's first request imports.

Builds the real app in this process from the environment (the caller points the provider at a stand-in),
sends one JWT-authenticated request through the ASGI interface and prints, as JSON, its status and every
module that appeared in ``sys.modules`` during it. ``cold`` replaces the startup warm-up with nothing, the
control that shows the check can fail.
"""

from __future__ import annotations

import asyncio
import json
import sys

import httpx

import agent.lifecycle
from agent.app import create_app
from tests.support.agent_http import headers_for, new_session_id


async def _first_request() -> dict[str, object]:
    app = create_app()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://agent") as client:
        before = set(sys.modules)
        response = await client.post(
            "/invocations", json={"prompt": "Hello there"}, headers=headers_for(new_session_id(), subject="alice")
        )
        return {"status": response.status_code, "new_modules": sorted(set(sys.modules) - before)}


def main() -> None:
    """Print the first request's status and new modules."""
    if sys.argv[1] == "cold":
        agent.lifecycle.warm_up = lambda settings: None  # type: ignore[assignment]  # the control run only
    print(json.dumps(asyncio.run(_first_request())))


if __name__ == "__main__":
    main()
