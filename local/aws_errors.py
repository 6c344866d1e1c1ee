"""AWS-shaped error answers of the front door: a JSON body with `message` and the `x-amzn-ErrorType` header.

WHY: AWS SDKs read a rest-json error's code from `x-amzn-ErrorType` (else the body's `code`) and its message
from the body's `message` (botocore: `parsers.RestJSONParser._inject_error_code`, `BaseJSONParser._do_error_parse`).
With both set, boto3, the AWS CLI and the starter toolkit show `AccessDeniedException: <what was wrong>`
instead of `invalid_token` with an empty message. The body keeps `error` and `code` for the project's own client.
"""

from __future__ import annotations

from starlette.responses import JSONResponse

ERROR_TYPE_HEADER = "x-amzn-ErrorType"

# The error shapes botocore's model lists for InvokeAgentRuntime, by their httpStatusCode
# (botocore/data/bedrock-agentcore/2024-02-28/service-2.json, botocore 1.44.8). 401 is the service's
# UnauthorizedException (listed for StopRuntimeSession; InvokeAgentRuntime lists no 401 shape).
ERROR_TYPES_BY_STATUS = {
    400: "ValidationException",
    401: "UnauthorizedException",
    402: "ServiceQuotaExceededException",
    403: "AccessDeniedException",
    404: "ResourceNotFoundException",
    409: "RetryableConflictException",
    424: "RuntimeClientError",
    429: "ThrottlingException",
}
# WHY a 5xx is RuntimeClientError and not InternalServerException: behind the front door every server-side
# failure is the runtime's (the agent or its model/store), which the model describes as RuntimeClientError;
# InternalServerException would blame AgentCore itself.
RUNTIME_FAILURE = "RuntimeClientError"
OTHER_CLIENT_ERROR = "ValidationException"


def aws_error_type(status: int) -> str:
    """The AWS error name for an HTTP error status."""
    if status in ERROR_TYPES_BY_STATUS:
        return ERROR_TYPES_BY_STATUS[status]
    return RUNTIME_FAILURE if status >= 500 else OTHER_CLIENT_ERROR


def error_response(
    status: int, code: str, message: str, *, error_type: str | None = None, headers: dict[str, str] | None = None
) -> JSONResponse:
    """`{"error": message, "code": code, "message": message}` with `x-amzn-ErrorType`.

    Args:
        status: HTTP status.
        code: the project's machine code.
        message: what was wrong.
        error_type: the AWS error name; derived from `status` when None.
        headers: more response headers.
    """
    return JSONResponse(
        {"error": message, "code": code, "message": message},
        status_code=status,
        headers={ERROR_TYPE_HEADER: error_type or aws_error_type(status), **(headers or {})},
    )
