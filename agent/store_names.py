"""Names under which a session id is stored, fitted to each backend's length limit.

The contract allows session ids of up to 256 characters of ``[A-Za-z0-9_-]``
(``agent/request_payload.py``; botocore's ``bedrock-agentcore`` model: ``runtimeSessionId`` 33..256). Not
every backend stores that as is:

- file store: a file or directory name is at most 255 bytes (Linux ``NAME_MAX``), and Strands'
  ``FileSessionManager`` names the directory ``session_<id>``: ids up to 247 characters fit unchanged.
- AgentCore Memory: ``sessionId`` is at most 100 characters of ``[a-zA-Z0-9][a-zA-Z0-9-_]*`` (botocore's
  ``bedrock-agentcore`` service model, ``SessionId`` shape of ``CreateEvent``/``ListEvents``): ids up to 100
  characters fit unchanged.
- S3: a key is at most 1,024 bytes including its prefix (Amazon S3 user guide, "Naming Amazon S3 objects";
  botocore's ``ObjectKey`` shape states no maximum). With ``SESSION_PREFIX`` capped at 512 bytes
  (``agent/settings.py``) every id fits, so S3 keys use the id unchanged.

A longer id is stored as its first characters, ``-`` and the SHA-256 of the whole id, exactly the backend's
limit long. Ids that fit keep their name (readable, and stored where earlier versions stored them). An id of
exactly the limit could spell another id's fitted name only by quoting that id's SHA-256, so only someone who
knows the long id can alias it, and the alias shares its owner record: the owner check still holds.
"""

from __future__ import annotations

import hashlib

FILE_NAME_CHARS = 255 - len("session_")  # Linux NAME_MAX minus FileSessionManager's directory prefix
MEMORY_SESSION_ID_CHARS = 100  # botocore bedrock-agentcore SessionId: max 100
HASH_CHARS = 64  # SHA-256, hex


def fitted_name(session_id: str, *, max_chars: int) -> str:
    """``session_id`` when it has at most ``max_chars``, otherwise a ``max_chars``-long readable prefix + hash."""
    if len(session_id) <= max_chars:
        return session_id
    digest = hashlib.sha256(session_id.encode("utf-8")).hexdigest()
    return f"{session_id[: max_chars - HASH_CHARS - 1]}-{digest}"
