"""Serve the built web app (web/dist) offline, with the config.json the web content stack writes on AWS.

WHY a server and not a file URL: the app signs in by redirect (its origin is the callback URL), reads
config.json beside index.html, and must run under the same kind of Content-Security-Policy CloudFront adds
(stacks/web/security_headers.py), so a CSP mistake shows up offline too.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send

from local.processes import REPO_ROOT

WEB_DIST = REPO_ROOT / "web" / "dist"
INDEX = "index.html"


def content_security_policy(connect_sources: list[str]) -> str:
    """The deployed policy's directives, with the twin's endpoints in connect-src."""
    return "; ".join(
        (
            "default-src 'none'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' data:",
            "font-src 'self'",
            f"connect-src {' '.join(connect_sources)}",
            "manifest-src 'self'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
            "object-src 'none'",
        )
    )


class _SecurityHeaders:
    """Adds the headers CloudFront's response headers policy adds (HSTS aside: this is plain HTTP)."""

    def __init__(self, app: ASGIApp, headers: dict[str, str]) -> None:
        self._app = app
        self._headers = [(k.encode(), v.encode()) for k, v in headers.items()]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def with_headers(message: MutableMapping[str, Any]) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *self._headers]
            await send(message)

        await self._app(scope, receive, with_headers)


class WebApp:
    """The ASGI app (``.app``); ``app_config`` is set once the runtime's addresses are known (503 until then)."""

    def __init__(self, *, dist: Path = WEB_DIST) -> None:
        if not (dist / INDEX).is_file():
            raise RuntimeError(f"{dist / INDEX} is missing: build the web app first (make web)")
        self.app_config: dict[str, str] | None = None
        self.connect_sources: list[str] = []
        self._dist = dist
        self.app = _SecurityHeaders(
            Starlette(
                routes=[
                    Route("/config.json", self._config),
                    Mount("/assets", app=StaticFiles(directory=dist / "assets")),
                    Route("/{path:path}", self._spa),
                ]
            ),
            {
                "x-content-type-options": "nosniff",
                "x-frame-options": "DENY",
                "referrer-policy": "no-referrer",
            },
        )

    async def _config(self, request: Request) -> Response:
        if self.app_config is None:
            return JSONResponse({"message": "the local runtime is still starting"}, status_code=503)
        return JSONResponse(self.app_config, headers={"cache-control": "no-store", **self._csp()})

    async def _spa(self, request: Request) -> Response:
        """index.html for every path that is not a file: the app routes itself (CloudFront's 403/404 → index)."""
        name = request.path_params["path"]
        candidate = (self._dist / name).resolve()
        if name and candidate.is_file() and self._dist.resolve() in candidate.parents:
            return FileResponse(candidate, headers=self._csp())
        return FileResponse(self._dist / INDEX, headers={"cache-control": "no-cache", **self._csp()})

    def _csp(self) -> dict[str, str]:
        return {"content-security-policy": content_security_policy(self.connect_sources)}
