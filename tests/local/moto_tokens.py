"""Tokens moto's Cognito issued, read and re-signed (moto signs with a key shipped in its package data)."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import jwt
import moto.cognitoidp


def moto_signing_key() -> Any:
    """The private key moto signs Cognito tokens with (shipped in moto's package data)."""
    path = Path(moto.cognitoidp.__file__).parent / "resources" / "jwks-private.json.gz"
    return jwt.PyJWK(json.loads(gzip.decompress(path.read_bytes()))).key


def claims_of(token: str) -> dict[str, Any]:
    return jwt.decode(token, options={"verify_signature": False})


def resign(token: str, *, key: Any | None = None, **changes: Any) -> str:
    """Re-sign a moto token's claims with `changes` (moto's key unless `key` is given)."""
    claims = {**claims_of(token), **changes}
    return jwt.encode(claims, key or moto_signing_key(), algorithm="RS256", headers={"kid": "dummy"})
