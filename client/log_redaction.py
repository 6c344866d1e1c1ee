"""`--verbose` logging that never shows a password, token or secret.

WHY: at DEBUG botocore logs every request's parameters and body and every response body
(`botocore.endpoint` "Making request … 'body': b'{… "PASSWORD": …}'", `botocore.parsers` "Response body:
… "AccessToken": …"), and SigV4's canonical request with any session token. The formatter below redacts
the whole formatted record (message, arguments and traceback alike) before it reaches stderr:

- every value registered with `register_secret` (passwords the CLI read, TOTP secrets), also JSON- and repr-escaped;
- the value of every secret-named field, in JSON (`"PASSWORD": "…"`) and Python reprs (`'Authorization': b'…'`);
- `Bearer <token>`, anything shaped like a JWT, and an `x-amz-security-token:` line.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import threading

REDACTED = "***"
SECRET_FIELDS = (
    "password",
    "new_password",
    "temporarypassword",
    "proposedpassword",
    "previouspassword",
    "accesstoken",
    "access_token",
    "idtoken",
    "id_token",
    "refreshtoken",
    "refresh_token",
    "secret_hash",
    "secretcode",
    "usercode",
    "software_token_mfa_code",
    "clientsecret",
    "session",
    "secret_block",
    "password_claim_secret_block",
    "password_claim_signature",
    "secretaccesskey",
    "aws_secret_access_key",
    "sessiontoken",
    "aws_session_token",
    "x-amz-security-token",
    "authorization",
)
# A value ends at its quote followed by a delimiter, so quotes escaped once (JSON) or twice (JSON inside a
# bytes repr, as botocore logs bodies) stay inside it.
_FIELD = re.compile(
    r"""(?P<key>["'](?:""" + "|".join(re.escape(f) for f in SECRET_FIELDS) + r""")["']\s*:\s*b?)"""
    r"""(?P<quote>["'])(?P<value>.*?)(?P=quote)(?=\s*(?:[,}\])]|$))""",
    re.IGNORECASE | re.MULTILINE,
)
_PATTERNS = (
    (re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]+"), r"\1" + REDACTED),
    (re.compile(r"eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*(?:\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*)?"), REDACTED),
    (re.compile(r"(?im)^(x-amz-security-token\s*[:=]\s*)\S+"), r"\1" + REDACTED),
)
_registered: set[str] = set()
_registered_lock = threading.Lock()


def register_secret(value: str) -> None:
    """Redact ``value`` wherever it appears in a log record from now on, also as JSON and bytes-repr escape it."""
    if not value:
        return
    as_json = json.dumps(value)[1:-1]
    with _registered_lock:
        _registered.update({value, as_json, str(as_json.encode("utf-8"))[2:-1]})


def redact(text: str) -> str:
    """``text`` with every secret replaced by ``***`` (known values first, then by field name and shape)."""
    with _registered_lock:
        values = sorted(_registered, key=len, reverse=True)
    for value in values:
        text = text.replace(value, REDACTED)
    text = _FIELD.sub(lambda m: f"{m.group('key')}{m.group('quote')}{REDACTED}{m.group('quote')}", text)
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class RedactingFormatter(logging.Formatter):
    """A formatter whose output has passed through :func:`redact`."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


def configure_logging(*, verbose: bool) -> None:
    """Log to stderr, DEBUG with `--verbose` (WARNING otherwise), through the redacting formatter.

    Like `logging.basicConfig`, it leaves a process whose logging is already configured alone.
    """
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(RedactingFormatter(logging.BASIC_FORMAT))
    logging.basicConfig(level=logging.DEBUG if verbose else logging.WARNING, handlers=[handler])
