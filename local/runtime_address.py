"""Which runtime a data-plane path names: `/runtimes/<URL-encoded ARN>/…` or `/runtimes/<runtime id>/…?accountId=…`.

WHY: InvokeAgentRuntime's `agentRuntimeArn` URI label takes "either the full ARN or the agent ID"; with the id,
"you must also provide the accountId query parameter" (botocore's bedrock-agentcore model, `agentRuntimeArn`
and `accountId` members). The API reference adds "When you use the agent ID instead of the full ARN, you don't
need to URL-encode the identifier":
https://docs.aws.amazon.com/bedrock-agentcore/latest/APIReference/API_InvokeAgentRuntime.html
An ARN holds `/`, so unencoded it splits the path into segments no route has; boto3 and the starter toolkit
always send it percent-encoded.

What AgentCore answers for an unencoded ARN is not documented (searched the AgentCore guide and API reference,
botocore's model, the starter toolkit and the SDK/CLI issue trackers). The front door refuses it as the
unknown resource it is — 404 `ResourceNotFoundException` — and says how to fix the URL.
"""

from __future__ import annotations

from urllib.parse import unquote


class RuntimeAddressError(Exception):
    """The path does not name the served runtime: the HTTP status, code and message to answer with."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def check_runtime_address(raw_identifier: str, *, account_id: str | None, runtime_arn: str) -> None:
    """Accept the served runtime named by its encoded ARN, or by its id plus `accountId`; raise otherwise.

    Args:
        raw_identifier: the path segment after `/runtimes/`, exactly as sent (still percent-encoded).
        account_id: the `accountId` query parameter, if any.
        runtime_arn: the ARN of the runtime this front door serves.

    Raises:
        RuntimeAddressError: 404 for an unencoded ARN or another runtime; 400 for an id without `accountId`.
    """
    if "/" in raw_identifier:
        raise RuntimeAddressError(
            404,
            "runtime_not_found",
            f"no agent runtime at /runtimes/{raw_identifier}: URL-encode the runtime ARN (':' as %3A, '/' as %2F), "
            "or name the runtime by its id with ?accountId=<account>",
        )
    identifier = unquote(raw_identifier)
    if identifier.startswith("arn:"):
        if identifier != runtime_arn:
            raise RuntimeAddressError(
                404, "runtime_not_found", f"no agent runtime with ARN {identifier!r} is served here"
            )
        return
    served_account, served_id = runtime_arn.split(":")[4], runtime_arn.rsplit("/", 1)[-1]
    if not account_id:
        raise RuntimeAddressError(
            400,
            "missing_account_id",
            f"accountId is required when the runtime is named by its id ({identifier!r}) instead of its ARN",
        )
    if (identifier, account_id) != (served_id, served_account):
        raise RuntimeAddressError(
            404,
            "runtime_not_found",
            f"no agent runtime with id {identifier!r} in account {account_id!r} is served here",
        )
