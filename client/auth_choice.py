"""Decide how to sign an invocation: Cognito bearer token (JWT runtime) or SigV4 (IAM runtime).

WHY: AgentCore authorizes a runtime one way only. A runtime with a custom JWT authorizer rejects SigV4
calls with "authorization method mismatch" (and boto3's `invoke_agent_runtime` always signs with SigV4),
so the client never sends SigV4 there; an IAM runtime has no JWT authorizer to accept a bearer token.
"""

from __future__ import annotations

from client.errors import CliError
from client.targets import Target

AUTH_CHOICES = ("auto", "jwt", "iam")

SIGV4_TO_JWT_REFUSAL = (
    "runtime {arn} trusts Cognito JWTs, and AgentCore rejects SigV4 calls to it with "
    "'authorization method mismatch': log in and use bearer tokens (--auth jwt, the default)"
)
BEARER_TO_IAM_REFUSAL = (
    "runtime {arn} is configured for IAM (SigV4) authorization and has no JWT authorizer to accept "
    "a bearer token: use --auth iam (the default) with AWS credentials allowed to invoke it"
)


def choose_auth(target: Target, requested: str = "auto") -> str:
    """Return `jwt` or `iam` for `target`, refusing combinations the runtime would reject.

    Raises:
        CliError: the requested method does not match the runtime's authorizer.
    """
    if requested not in AUTH_CHOICES:
        raise CliError(f"--auth is {requested!r} but must be one of {', '.join(AUTH_CHOICES)}")
    if requested in ("auto", target.authorizer_type):
        return target.authorizer_type
    template = SIGV4_TO_JWT_REFUSAL if target.authorizer_type == "jwt" else BEARER_TO_IAM_REFUSAL
    raise CliError(template.format(arn=target.runtime_arn))
