"""Deciding whether a model is configured never asks the network: EC2's instance metadata service is not called.

A local server plays the instance metadata service (botocore's `AWS_EC2_METADATA_SERVICE_ENDPOINT`) and hands out
a role's credentials: botocore's full chain takes them, the check `make local` and `make dev` use never calls it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import botocore.session
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from local.deployed_twin import aws_credentials_found
from local.http_server import BackgroundServer

ROLE = "instance-role"


@pytest.fixture
def instance_metadata(monkeypatch: pytest.MonkeyPatch, tmp_path) -> Iterator[list[str]]:
    """This process on an EC2 instance with only a role; yields the paths the metadata service was asked for."""
    asked: list[str] = []

    async def serve(request: Request) -> Response:
        asked.append(request.url.path)
        if request.url.path == "/latest/api/token":
            return PlainTextResponse("imds-token")
        if request.url.path == "/latest/meta-data/iam/security-credentials/":
            return PlainTextResponse(ROLE)
        expires = (datetime.now(UTC) + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
        return JSONResponse(
            {
                "Code": "Success",
                "AccessKeyId": "AKIAINSTANCEROLE0000",
                "SecretAccessKey": "s",
                "Token": "t",
                "Expiration": expires,
            }
        )

    server = BackgroundServer(Starlette(routes=[Route("/{path:path}", serve, methods=["GET", "PUT"])]))
    for name in [n for n in os.environ if n.startswith("AWS_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", f"{server.url}/")
    yield asked
    server.stop()


def test_the_check_does_not_ask_the_instance_metadata_service(instance_metadata: list[str]):
    assert aws_credentials_found() is False
    assert instance_metadata == []


def test_control_botocores_full_chain_does_ask_it(instance_metadata: list[str]):
    credentials = botocore.session.Session().get_credentials()

    assert credentials is not None and credentials.access_key == "AKIAINSTANCEROLE0000"
    assert f"/latest/meta-data/iam/security-credentials/{ROLE}" in instance_metadata


def test_credentials_in_the_environment_are_found(instance_metadata: list[str], monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAUSERSOWNKEY00000")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")

    assert aws_credentials_found() is True


def test_a_key_without_its_secret_counts_as_configured(instance_metadata: list[str], monkeypatch: pytest.MonkeyPatch):
    """Broken, not absent: the agent's model error will say what to set, rather than the stand-in hiding it."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAUSERSOWNKEY00000")

    assert aws_credentials_found() is True
