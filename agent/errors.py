"""API errors: each carries the HTTP status and machine code of the contract's error body."""

from __future__ import annotations


class ApiError(Exception):
    """An error answered as ``{"error": message, "code": code, "request_id": ...}`` with ``status``."""

    status: int = 500
    code: str = "internal_error"
    retry_after_seconds: int | None = None  # sent as ``Retry-After`` when set

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


class RequestTimeoutError(ApiError):
    """The request body did not arrive in time (408); the connection is closed after the answer."""

    status = 408
    code = "request_timeout"


class ClientDisconnectedError(ApiError):
    """The client went away before its request was read (logged as 499; nobody receives the answer)."""

    status = 499
    code = "client_disconnected"


class PayloadTooLargeError(ApiError):
    """The request body is longer than any valid request can be (413)."""

    status = 413
    code = "payload_too_large"


class SessionBusyError(ApiError):
    """The session's previous request did not finish within the wait limit (409)."""

    status = 409
    code = "session_busy"
    retry_after_seconds = 1


class ForgetMeRefusedError(ApiError):
    """Forget-me cannot run for this caller or on this agent (403): the feature is off, or the caller is anonymous."""

    status = 403
    code = "forget_me_refused"


class ErasureInProgressError(ApiError):
    """The caller's data is being erased (409): turns and a second erasure wait until it is done."""

    status = 409
    code = "erasure_in_progress"
    retry_after_seconds = 1


class SessionQueueFullError(ApiError):
    """Too many requests already wait for this session (429), refused without waiting."""

    status = 429
    code = "session_queue_full"
    retry_after_seconds = 1


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
