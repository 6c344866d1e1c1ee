"""Which canonical URI the SigV4 front door verifies: the path encoded once more, as for every service but S3.

Sources: AWS's SigV4 guide ("Each path segment must be URI-encoded twice (except for Amazon S3 which only gets
URI-encoded once)",
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html); botocore's
`SigV4Auth._normalize_url_path` quotes the already-encoded path again, its `S3SigV4Auth` does not; the
bedrock-agentcore model's requestUri `/runtimes/{agentRuntimeArn}/invocations` puts the ARN, encoded, in the
path. boto3 signs InvokeAgentRuntime with `SigV4Auth`, so that is what AgentCore accepts. curl 7.88 signs the path
as sent (S3's way), which is why docs/client.md's curl line names the runtime by its id; that line is run here.
"""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import uuid
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
from botocore.auth import S3SigV4Auth, SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from tests.local.runtime_values import ENDPOINT, REGION, RUNTIME_ARN
from tests.support.agentcore_headers import SESSION_HEADER
from tests.support.agentcore_sdk import botocore_error
from tests.support.paths import REPO

RUNTIME_ID = RUNTIME_ARN.rsplit("/", 1)[1]
ACCOUNT = RUNTIME_ARN.split(":")[4]
MISMATCH = (
    "The request signature we calculated does not match the signature you provided. Check your AWS Secret "
    "Access Key and signing method. Consult the service documentation for details."
)
ADDRESSES = {
    "encoded ARN": f"/runtimes/{quote(RUNTIME_ARN, safe='')}/invocations?qualifier={ENDPOINT}",
    "runtime id": f"/runtimes/{RUNTIME_ID}/invocations?accountId={ACCOUNT}&qualifier={ENDPOINT}",
}


def _post_signed(server, key_pair, path: str, signer: type[SigV4Auth]) -> httpx.Response:
    url, body = f"{server.url}{path}", b'{"prompt": "hi"}'
    request = AWSRequest(method="POST", url=url, data=body, headers={SESSION_HEADER: f"session-{uuid.uuid4()}"})
    signer(Credentials(key_pair.access_key_id, key_pair.secret_access_key), "bedrock-agentcore", REGION).add_auth(
        request
    )
    return httpx.post(url, content=body, headers=dict(request.headers.items()), timeout=30)


@pytest.mark.parametrize("address", ADDRESSES)
def test_path_encoded_again_verifies(sigv4_front_door, key_pair, address):
    response = _post_signed(sigv4_front_door, key_pair, ADDRESSES[address], SigV4Auth)

    assert (response.status_code, response.json()) == (200, {"response": "echo: hi"})


def test_path_signed_as_sent_does_not_verify_for_an_encoded_arn(sigv4_front_door, upstream, key_pair):
    """S3's canonical URI (what curl 7.88 signs) is not AgentCore's: `%3A` would have to be signed as `%253A`."""
    upstream.calls.clear()

    response = _post_signed(sigv4_front_door, key_pair, ADDRESSES["encoded ARN"], S3SigV4Auth)

    assert (response.status_code, botocore_error(response)) == (
        403,
        {"Code": "InvalidSignatureException", "Message": MISMATCH},
    )
    assert upstream.calls == []


def test_path_signed_as_sent_verifies_for_a_runtime_id(sigv4_front_door, key_pair):
    """Control: with nothing to encode the two canonical URIs are one, so the difference above is the encoding."""
    response = _post_signed(sigv4_front_door, key_pair, ADDRESSES["runtime id"], S3SigV4Auth)

    assert response.status_code == 200


def _documented_curl_line() -> str:
    """The `curl --aws-sigv4` command of docs/client.md, continuation lines joined."""
    text = (REPO / "docs" / "client.md").read_text()
    match = re.search(r"```bash\n(curl --aws-sigv4 .*?)\n```", text, re.DOTALL)
    assert match, "docs/client.md has no curl --aws-sigv4 example"
    return match.group(1).replace("\\\n", " ")


def _curl_version() -> tuple[int, ...]:
    first_line = subprocess.run(["curl", "--version"], capture_output=True, text=True, check=True).stdout.split()[1]
    return tuple(int(part) for part in first_line.split(".")[:2])


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_documented_curl_line_is_answered_by_the_iam_front_door(sigv4_front_door, upstream, key_pair):
    if _curl_version() < (7, 75):
        pytest.skip("curl --aws-sigv4 needs curl 7.75 or later")
    upstream.calls.clear()
    values = {
        "<region>": REGION,
        "<access key id>": key_pair.access_key_id,
        "<secret access key>": key_pair.secret_access_key,
        "<session id>": f"session-{uuid.uuid4()}",
        "<base url>": sigv4_front_door.url,
        "<runtime id>": RUNTIME_ID,
        "<account>": ACCOUNT,
        "<endpoint>": ENDPOINT,
    }
    line = _documented_curl_line()
    for placeholder, value in values.items():
        line = line.replace(placeholder, value)
    assert "<" not in line, line

    curl = subprocess.run(
        [*shlex.split(line), "--silent", "--show-error", "--write-out", "\n%{http_code}"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=Path("/"),
    )

    body, _, status = curl.stdout.rpartition("\n")
    assert (curl.returncode, status, body) == (0, "200", '{"response":"echo: Hello"}'), curl.stderr
    assert len(upstream.calls) == 1
