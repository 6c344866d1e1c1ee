"""Helpers shared by tests/agent modules that tests/support does not offer."""

from __future__ import annotations

from collections.abc import Mapping

import httpx

FAILURE_BOUND_SECONDS = 120  # only bounds a failing run (e.g. on a server whose waiters starve the pool)


def post_raw(base_url: str, body: bytes, headers: Mapping[str, str], *, timeout: float = 30.0) -> httpx.Response:
    """POST ``body`` to /invocations byte for byte (httpx does not encode it), as JSON, with ``headers`` added."""
    return httpx.post(
        f"{base_url}/invocations",
        content=body,
        headers={"Content-Type": "application/json", **headers},
        timeout=timeout,
    )
