"""The one mapping from an exception to the contract's error: provider → 502, store → 503, anything else → 500.

Each class is recognized by the real types that raise it, so a bug in this server never reads as "the model
failed" and a model outage never reads as a bug:

- model provider (502 ``model_error``): Strands' own model exceptions (``ModelThrottledException``,
  ``ContextWindowOverflowException``, ``MaxTokensReachedException``), every ``openai.APIError`` (the OpenAI
  client wraps its HTTP and connection failures in it), a botocore ``ClientError`` of a ``bedrock-runtime``
  operation (the operation names come from botocore's service model), and botocore's connection-level
  failures (``ConnectionError``: ``EndpointConnectionError``, ``ConnectTimeoutError``…; ``HTTPClientError``:
  ``ReadTimeoutError``, ``ConnectionClosedError``…): by the time a turn runs, the only botocore client
  outside the store boundary is the Bedrock model's.
- session store (503 ``store_error``): Strands' ``SessionException``, which is also what the store boundary
  in ``agent/session_store.py`` turns every failure inside a session manager into.
- anything else (500 ``internal_error``).

Strands wraps some failures in ``EventLoopException``; the original exception decides.
Messages name the exception type, never its text (which may quote the prompt or a key).
"""

from __future__ import annotations

import functools

from botocore.exceptions import ClientError, HTTPClientError
from botocore.exceptions import ConnectionError as BotocoreConnectionError
from strands.types.exceptions import (
    ContextWindowOverflowException,
    EventLoopException,
    MaxTokensReachedException,
    ModelThrottledException,
    SessionException,
)

from agent.errors import ApiError, InternalError, ModelError, StoreError

STRANDS_MODEL_EXCEPTIONS: tuple[type[BaseException], ...] = (
    ModelThrottledException,
    ContextWindowOverflowException,
    MaxTokensReachedException,
)
BOTOCORE_CONNECTION_FAILURES: tuple[type[BaseException], ...] = (BotocoreConnectionError, HTTPClientError)


def api_error_for(error: BaseException) -> ApiError:
    """Classify an exception into the error the caller gets."""
    error = _original(error)
    if isinstance(error, ApiError):
        return error
    name = type(error).__name__
    if is_provider_error(error):
        return ModelError(f"the model call failed ({name}); see server logs for this request id")
    if isinstance(error, SessionException):
        return StoreError(f"the session store failed ({name}); see server logs for this request id")
    return InternalError(f"internal error ({name}); see server logs for this request id")


def is_provider_error(error: BaseException) -> bool:
    """True for the exceptions a model provider (Bedrock, an OpenAI-compatible endpoint) raises."""
    if isinstance(error, STRANDS_MODEL_EXCEPTIONS + BOTOCORE_CONNECTION_FAILURES + _openai_errors()):
        return True
    return isinstance(error, ClientError) and error.operation_name in _bedrock_runtime_operations()


def _original(error: BaseException) -> BaseException:
    while isinstance(error, EventLoopException) and isinstance(error.original_exception, BaseException):
        error = error.original_exception
    return error


@functools.cache
def _openai_errors() -> tuple[type[BaseException], ...]:
    try:
        import openai
    except ImportError:  # the openai extra is optional; without it no openai error can occur
        return ()
    return (openai.APIError,)


@functools.cache
def _bedrock_runtime_operations() -> frozenset[str]:
    """Operation names of botocore's ``bedrock-runtime`` service model (Converse, ConverseStream, InvokeModel…)."""
    import botocore.session

    return frozenset(botocore.session.get_session().get_service_model("bedrock-runtime").operation_names)
