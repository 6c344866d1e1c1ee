"""A container-credentials endpoint on loopback that hands out a new short-lived access key on every fetch.

WHY: on AgentCore Runtime the agent's AWS credentials come from the microVM's metadata service as refreshable
credentials. Under platform V2 a process that fetched them before the snapshot would carry the same key into
every restored instance. The snapshot rehearsal points the agent at this endpoint instead of static keys, and
the stand-ins record which access key id signed each call, so a test can tell a pre-snapshot key from one
fetched after restore.

The wire contract is botocore's container provider (``botocore/credentials.py``, ``ContainerProvider``;
``botocore/utils.py``, ``ContainerMetadataFetcher``): ``AWS_CONTAINER_CREDENTIALS_FULL_URI`` names the URL,
which must be on a loopback address (or 169.254.170.2/.23); ``AWS_CONTAINER_AUTHORIZATION_TOKEN`` is sent as
the ``Authorization`` header; the answer is JSON with ``AccessKeyId``, ``SecretAccessKey``, ``Token`` and
``Expiration`` (ISO 8601). Every fetch is recorded with its access key id and the wall-clock time it was served.
"""

from __future__ import annotations

import datetime
import itertools
import secrets
import threading
import time
from dataclasses import dataclass, field

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from local.http_server import BackgroundServer

CREDENTIALS_PATH = "/v1/credentials"
# STS's shortest session: 15 min. Longer than botocore's mandatory refresh window (10 min), so a process
# holding a key keeps using it for the whole test instead of fetching again per call.
LIFETIME_SECONDS = 15 * 60 + 60
ACCESS_KEY_PREFIX = "ASIACONTAINER"


@dataclass(frozen=True)
class IssuedKey:
    """One fetch answered: the access key id handed out and when (``time.time()``)."""

    access_key_id: str
    issued_at: float


@dataclass
class ContainerCredentialsApp:
    """The ASGI app and the keys it has issued."""

    authorization_token: str
    _issued: list[IssuedKey] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _serial: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def __post_init__(self) -> None:
        self.app = Starlette(routes=[Route(CREDENTIALS_PATH, self._credentials, methods=["GET"])])

    def issued(self) -> list[IssuedKey]:
        """Every key handed out so far, oldest first."""
        with self._lock:
            return list(self._issued)

    async def _credentials(self, request: Request) -> Response:
        if request.headers.get("authorization") != self.authorization_token:
            return JSONResponse({"message": "missing or wrong authorization token"}, status_code=401)
        now = time.time()
        with self._lock:
            # 20 characters like an STS key id: prefix, serial, then random filler.
            serial = f"{next(self._serial):03d}"
            key = IssuedKey(
                access_key_id=(ACCESS_KEY_PREFIX + serial + secrets.token_hex(4).upper())[:20], issued_at=now
            )
            self._issued.append(key)
        expiration = datetime.datetime.fromtimestamp(now + LIFETIME_SECONDS, tz=datetime.UTC)
        return JSONResponse(
            {
                "AccessKeyId": key.access_key_id,
                "SecretAccessKey": secrets.token_urlsafe(30),
                "Token": secrets.token_urlsafe(60),
                "Expiration": expiration.strftime("%Y-%m-%dT%H:%M:%SZ"),
            }
        )


@dataclass
class ContainerCredentialsEndpoint:
    """The endpoint serving on 127.0.0.1; ``env`` is what a process needs to fetch its credentials from it."""

    server: BackgroundServer
    app: ContainerCredentialsApp = field(repr=False)

    @property
    def env(self) -> dict[str, str]:
        """botocore's container-provider variables pointing at this endpoint."""
        return {
            "AWS_CONTAINER_CREDENTIALS_FULL_URI": f"{self.server.url}{CREDENTIALS_PATH}",
            "AWS_CONTAINER_AUTHORIZATION_TOKEN": self.app.authorization_token,
        }

    def issued(self) -> list[IssuedKey]:
        """Every key handed out so far, oldest first."""
        return self.app.issued()

    def stop(self) -> None:
        """Stop serving."""
        self.server.stop()


def start_container_credentials(port: int = 0) -> ContainerCredentialsEndpoint:
    """Serve the endpoint on 127.0.0.1:``port`` (0 picks a free port) in a background thread."""
    app = ContainerCredentialsApp(authorization_token=secrets.token_urlsafe(24))
    return ContainerCredentialsEndpoint(server=BackgroundServer(app.app, port=port), app=app)
