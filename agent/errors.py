"""API errors: each carries the HTTP status and machine code of the contract's error body."""

from __future__ import annotations


class ApiError(Exception):
    """An error answered as ``{"error": message, "code": code, "request_id": ...}`` with ``status``."""

    status: int = 500
    code: str = "internal_error"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code


class BadRequestError(ApiError):
    """The caller sent something the contract does not accept (400)."""

    status = 400
    code = "invalid_payload"


class UnauthorizedError(ApiError):
    """The forwarded Authorization header is not a readable Bearer JWT (401)."""

    status = 401
    code = "invalid_token"


class SessionForbiddenError(ApiError):
    """The session id belongs to another caller (403). The message must reveal nothing about it."""

    status = 403
    code = "session_forbidden"


class SessionBusyError(ApiError):
    """The session's previous request did not finish within the wait limit (409)."""

    status = 409
    code = "session_busy"


class ModelError(ApiError):
    """The model call failed (502): the upstream, not this server, is at fault."""

    status = 502
    code = "model_error"


class StoreError(ApiError):
    """The session store could not be read or written (503)."""

    status = 503
    code = "store_error"


class InternalError(ApiError):
    """Anything unexpected (500)."""

    status = 500
    code = "internal_error"
