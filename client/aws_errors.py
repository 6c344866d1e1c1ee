"""Turn botocore failures into one-line `CliError`s.

WHY: users see "sign-in: throttled by AWS even after retrying with backoff; try again in a minute" or
"cannot reach <endpoint>", not botocore's stack traces; every AWS call in the client goes through `aws_call`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    EndpointConnectionError,
    NoCredentialsError,
    NoRegionError,
)

from client.errors import CliError

T = TypeVar("T")
THROTTLING_CODES = frozenset({"ThrottlingException", "TooManyRequestsException", "Throttling", "RequestLimitExceeded"})


def error_code(error: ClientError) -> str:
    """The AWS error code of a botocore ClientError."""
    return str(error.response.get("Error", {}).get("Code", ""))


def error_message(error: ClientError) -> str:
    """The AWS error message of a botocore ClientError."""
    return str(error.response.get("Error", {}).get("Message", "")) or str(error)


def aws_call(what: str, call: Callable[..., T], /, **kwargs: Any) -> T:
    """Run `call(**kwargs)`; map generic failures (network, credentials, throttling) to `CliError`.

    Service-specific errors (wrong password, user not found…) are re-raised as `ClientError` for the
    caller, which knows what they mean.
    """
    try:
        return call(**kwargs)
    except ClientError as e:
        if error_code(e) in THROTTLING_CODES:
            raise CliError(f"{what}: throttled by AWS even after retrying with backoff; try again in a minute") from e
        raise
    except EndpointConnectionError as e:
        raise CliError(
            f"{what}: network failure, cannot reach {e.kwargs.get('endpoint_url', 'the AWS endpoint')}"
        ) from e
    except NoCredentialsError as e:
        raise CliError(f"{what}: no AWS credentials found (configure a profile or use --local)") from e
    except NoRegionError as e:
        raise CliError(f"{what}: no AWS region configured (set AWS_REGION)") from e
    except BotoCoreError as e:
        raise CliError(f"{what}: {e}") from e
