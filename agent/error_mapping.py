"""The one mapping from an exception to the contract's error: provider → 502, store → 503, anything else → 500.

Each class is recognized by the real types that raise it, so a bug in this server never reads as "the model
failed" and a model outage never reads as a bug:

- model provider (502 ``model_error``): Strands' own model exceptions (``ModelThrottledException``,
  ``ContextWindowOverflowException``, ``MaxTokensReachedException``), every ``openai.APIError`` (the OpenAI
  client wraps its HTTP and connection failures in it), a botocore ``ClientError`` of a ``bedrock-runtime``
  operation (the operation names come from botocore's service model), and botocore's connection-level
  failures (``ConnectionError``: ``EndpointConnectionError``, ``ConnectTimeoutError``…; ``HTTPClientError``:
  ``ReadTimeoutError``, ``ConnectionClosedError``…): by the time a turn runs, the only botocore client
  outside the store boundary is the Bedrock model's. For the same reason botocore's credential-resolution
  failures (``NoCredentialsError``, ``PartialCredentialsError``, ``CredentialRetrievalError``, SSO token errors)
  are the model's, and their message says what to set: with no AWS credentials the Bedrock client fails
  while signing, before any request leaves.
- session store (503 ``store_error``): Strands' ``SessionException``, which is also what the store boundary
  in ``agent/session_store.py`` turns every failure inside a session manager into.
- anything else (500 ``internal_error``).

Strands wraps some failures in ``EventLoopException``; the original exception decides.
Messages name the exception type, never its text (which may quote the prompt or a key).
"""

from __future__ import annotations

import functools

from botocore.exceptions import (
    ClientError,
    CredentialRetrievalError,
    HTTPClientError,
    NoCredentialsError,
    PartialCredentialsError,
    SSOError,
    TokenRetrievalError,
)
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
BOTOCORE_CREDENTIAL_FAILURES: tuple[type[BaseException], ...] = (
    NoCredentialsError,
    PartialCredentialsError,
    CredentialRetrievalError,
    TokenRetrievalError,
    SSOError,
)
MISSING_CREDENTIALS_HINT = (
    "the model provider has no usable AWS credentials: give the agent credentials allowed to invoke the model "
    "(AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY), or set MODEL_PROVIDER=openai with "
    "OPENAI_BASE_URL"
)


def api_error_for(error: BaseException) -> ApiError:
    """Classify an exception into the error the caller gets."""
    error = _original(error)
    if isinstance(error, ApiError):
        return error
    name = type(error).__name__
    if isinstance(error, BOTOCORE_CREDENTIAL_FAILURES):
        return ModelError(f"{MISSING_CREDENTIALS_HINT} ({name}); see server logs for this request id")
    if is_provider_error(error):
        return ModelError(f"the model call failed ({name}); see server logs for this request id")
    if isinstance(error, SessionException):
        return StoreError(f"the session store failed ({name}); see server logs for this request id")
    return InternalError(f"internal error ({name}); see server logs for this request id")


def is_provider_error(error: BaseException) -> bool:
    """True for the exceptions a model provider (Bedrock, an OpenAI-compatible endpoint) raises."""
    provider_types = STRANDS_MODEL_EXCEPTIONS + BOTOCORE_CONNECTION_FAILURES + BOTOCORE_CREDENTIAL_FAILURES
    if isinstance(error, provider_types + _openai_errors()):
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
