"""`agentcore-client --verbose` shows botocore's DEBUG traffic with every password, token and secret redacted.

The real console script runs as a subprocess against the local runtime (moto Cognito, front door, agent),
so its logging is configured exactly as a user's shell would get it.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

from client.log_redaction import redact, register_secret

PASSWORD = f"Verbose-Passw0rd-{secrets.token_hex(4)}!"
CLI = str(Path(sys.executable).with_name("agentcore-client"))


def _run(local_runtime, cache: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    command = [CLI, "--local", "--outputs-file", str(local_runtime.settings.outputs_path), "--verbose", *args]
    env = {**os.environ, "XDG_CACHE_HOME": str(cache)}
    result = subprocess.run(command, input=stdin, capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    return result


def test_verbose_never_prints_passwords_or_tokens(local_runtime, tmp_path):
    name = f"verbose-{secrets.token_hex(4)}"
    cache = tmp_path / "cache"
    logs = [
        _run(local_runtime, cache, "users", "create", name, "--password-stdin", stdin=PASSWORD + "\n"),
        _run(local_runtime, cache, "login", name, "--password-stdin", stdin=PASSWORD + "\n"),
        _run(local_runtime, cache, "login", name, "--password-stdin", "--flow", "srp", stdin=PASSWORD + "\n"),
        _run(local_runtime, cache, "invoke", "hello", "--user", name, "--no-stream"),
        _run(local_runtime, cache, "mfa", "setup", "--user", name),
    ]
    totp_secret = logs[-1].stdout.splitlines()[0].removeprefix("secret (shown once): ")
    [token_file] = cache.rglob(f"tokens/{name}.json")
    tokens = json.loads(token_file.read_text())
    stderr = "".join(result.stderr for result in logs)

    assert "DEBUG:botocore.endpoint:Making request for OperationModel(name=InitiateAuth)" in stderr
    assert '"PASSWORD": "***"' in stderr and '"AccessToken": "***"' in stderr and '"Session": "***"' in stderr
    assert '"SecretCode": "***"' in stderr
    for secret in (PASSWORD, tokens["access_token"], tokens["id_token"], tokens["refresh_token"], totp_secret):
        assert secret not in stderr
    assert "eyJ" not in stderr  # no JWT-shaped text at all
    assert logs[-2].stdout.strip() == "You said: hello"


def test_redaction_keeps_what_is_not_secret():
    line = """'body': b'{"ClientId": "abc", "AuthParameters": {"USERNAME": "vera", "PASSWORD": "p\\\\"w"}}'"""

    assert (
        redact(line) == """'body': b'{"ClientId": "abc", "AuthParameters": {"USERNAME": "vera", "PASSWORD": "***"}}'"""
    )
    assert (
        redact("headers={'Authorization': b'AWS4-HMAC-SHA256 Credential=AKID/x'}")
        == "headers={'Authorization': b'***'}"
    )
    assert redact("x-amz-security-token:IQoJb3JpZ2luX2Vj\nhost:example") == "x-amz-security-token:***\nhost:example"


def test_registered_password_is_redacted_even_where_quotes_inside_it_are_escaped():
    register_secret('a", "b')  # botocore logs it JSON-escaped inside a bytes repr: a\\", \\"b

    assert redact("""b'{"PASSWORD": "a\\\\", \\\\"b"}'""") == """b'{"PASSWORD": "***"}'"""
