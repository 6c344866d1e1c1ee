"""The container-credentials endpoint through botocore's own container provider, as the rehearsed agent uses it."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from botocore.credentials import ContainerProvider

from local.container_credentials import (
    CREDENTIALS_PATH,
    ContainerCredentialsEndpoint,
    start_container_credentials,
)


@pytest.fixture(scope="module")
def endpoint() -> Iterator[ContainerCredentialsEndpoint]:
    running = start_container_credentials()
    yield running
    running.stop()


def test_botocore_fetches_a_new_key_on_every_fetch(endpoint: ContainerCredentialsEndpoint) -> None:
    first = ContainerProvider(environ=endpoint.env).load().get_frozen_credentials()
    second = ContainerProvider(environ=endpoint.env).load().get_frozen_credentials()

    issued = [key.access_key_id for key in endpoint.issued()[-2:]]
    assert issued == [first.access_key, second.access_key]
    assert first.access_key != second.access_key and len(first.access_key) == 20
    assert first.token and first.secret_key


def test_a_fetch_without_the_authorization_token_is_refused(endpoint: ContainerCredentialsEndpoint) -> None:
    url, token = endpoint.env["AWS_CONTAINER_CREDENTIALS_FULL_URI"], endpoint.env["AWS_CONTAINER_AUTHORIZATION_TOKEN"]
    before = len(endpoint.issued())

    refused = httpx.get(url, timeout=10)
    wrong = httpx.get(url, headers={"Authorization": f"{token}-wrong"}, timeout=10)
    right = httpx.get(url, headers={"Authorization": token}, timeout=10)

    assert (refused.status_code, wrong.status_code, right.status_code) == (401, 401, 200)
    assert refused.json() == {"message": "missing or wrong authorization token"}
    assert [k.access_key_id for k in endpoint.issued()[before:]] == [right.json()["AccessKeyId"]]
    assert url.endswith(CREDENTIALS_PATH)
