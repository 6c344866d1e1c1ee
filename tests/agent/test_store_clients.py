"""The store names the AWS clients its first turn uses, so they can be built and warmed right after a restore."""

from __future__ import annotations

import os
from typing import Any

import pytest
from botocore.exceptions import ParamValidationError
from strands.models.bedrock import BedrockModel

from agent.aws_clients import STRANDS_CLIENT_CONFIG, shared_session, warm_operations
from agent.model_factory import model_factory_for, model_warm_up
from agent.session_store import build_session_store
from agent.settings import Settings


@pytest.fixture
def dummy_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """Static keys: building a client then reads the environment and calls nothing."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", os.devnull)


def test_the_s3_store_prepares_the_client_its_owner_records_and_conversations_use(dummy_credentials, tmp_path):
    settings = Settings(session_store="s3", session_bucket="sessions-bucket", aws_region="eu-west-3")
    store = build_session_store(settings)

    (client,) = store.clients
    session = shared_session("eu-west-3")
    # S3SessionManager asks the shared session for exactly this (agent/aws_clients.py): the same client.
    assert client.build() is session.client(service_name="s3", config=STRANDS_CLIENT_CONFIG)
    assert client.build() is not session.client(service_name="s3")


def test_stores_without_aws_clients_prepare_none(tmp_path):
    assert build_session_store(Settings(session_store="none", session_dir=tmp_path)).clients == ()
    assert build_session_store(Settings(session_store="file", session_dir=tmp_path)).clients == ()


def test_warming_the_s3_client_sends_nothing_and_hands_out_the_shared_client(dummy_credentials, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", "http://127.0.0.1:9")  # nothing listens: a request would fail
    settings = Settings(session_store="s3", session_bucket="sessions-bucket", aws_region="eu-north-1")
    (client,) = build_session_store(settings).clients
    session = shared_session("eu-north-1")
    sent, done = _recorded(session)

    client.warm()

    assert sent == []
    assert done == [
        "creating-client-class.s3",
        "before-parameter-build.s3.GetObject",
        "before-parameter-build.s3.PutObject",
    ]
    assert client.build() is session.client(service_name="s3", config=STRANDS_CLIENT_CONFIG)


def test_warming_makes_each_call_as_sent_so_a_call_it_could_not_make_fails_at_once(dummy_credentials):
    client = shared_session("eu-south-1").client("s3", config=STRANDS_CLIENT_CONFIG)

    with pytest.raises(ParamValidationError):
        warm_operations(client, {"put_object": {"Key": "no-bucket"}})
    with pytest.raises(KeyError):
        warm_operations(client, {"put_objects": None})


def test_the_model_warm_up_builds_and_warms_the_bedrock_model_and_sends_nothing(dummy_credentials, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL_BEDROCK_RUNTIME", "http://127.0.0.1:9")
    settings = Settings(model_provider="bedrock", session_store="none", aws_region="ap-south-2")
    factory = model_factory_for(settings)
    sent, done = _recorded(shared_session("ap-south-2"))

    model_warm_up(factory, settings)()
    prepared = list(done)

    assert isinstance(factory(), BedrockModel)
    assert sent == []
    assert (
        prepared
        == done
        == [
            "creating-client-class.bedrock-runtime",
            "before-parameter-build.bedrock-runtime.ConverseStream",
        ]
    )


def _recorded(session: Any) -> tuple[list[str], list[str]]:
    """URLs of requests sent, and clients built and calls made ready (event names), on ``session``."""
    sent: list[str] = []
    done: list[str] = []
    session.events.register("before-send", lambda request, **_: sent.append(request.url))
    session.events.register("creating-client-class", lambda event_name, **_: done.append(event_name))
    session.events.register("before-parameter-build", lambda event_name, **_: done.append(event_name))
    return sent, done
