"""Typed, validated settings of the opt-in delivery pipeline (``-c pipeline=true``), read once from context.

They are app-wide, not per stage, so they live beside (not inside) ``StageConfig``. Each comes from a
top-level context key, on the command line or in ``cdk.json``::

    cdk synth -c pipeline=true \\
        -c pipeline_repository=owner/repo \\
        -c pipeline_connection_arn=arn:aws:codeconnections:us-east-1:111111111111:connection/<uuid>

Only a requested pipeline reads them, so a plain stage synth never asks for a connection.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from stacks.validation import Problems

PIPELINE_KEY = "pipeline"
REPOSITORY_KEY = "pipeline_repository"
BRANCH_KEY = "pipeline_branch"
CONNECTION_KEY = "pipeline_connection_arn"
CI_SECRET_KEY = "pipeline_ci_secret_name"

REPOSITORY_PATTERN = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")
BRANCH_PATTERN = re.compile(r"^[A-Za-z0-9._/-]{1,200}$")
CONNECTION_ARN_PATTERN = re.compile(
    r"^arn:aws[a-z-]*:(?:codestar-connections|codeconnections):[a-z0-9-]+:\d{12}:connection/[A-Za-z0-9-]+$"
)
SECRET_NAME_PATTERN = re.compile(r"^[A-Za-z0-9/_+=.@-]{1,256}$")

DEFAULT_BRANCH = "main"
DEFAULT_CI_SECRET_NAME = "agentcore-session/ci-users"


@dataclass(frozen=True, kw_only=True)
class PipelineConfig:
    """Where the pipeline's source comes from and which secret holds the smoke test's users.

    Attributes:
        repository: ``owner/name`` of the repository behind the connection.
        branch: branch whose pushes run the pipeline (default ``main``).
        connection_arn: the CodeStar/CodeConnections connection (created and authorized in the console).
        ci_secret_name: Secrets Manager secret with ``user_a``, ``password_a``, ``user_b``, ``password_b``
            (default ``agentcore-session/ci-users``); read by CodeBuild at run time, never synthesized.
    """

    repository: str
    branch: str
    connection_arn: str
    ci_secret_name: str

    def context_arguments(self) -> list[str]:
        """The ``-c`` arguments that make the pipeline's own synth reproduce this pipeline."""
        return [
            f"{PIPELINE_KEY}=true",
            f"{REPOSITORY_KEY}={self.repository}",
            f"{BRANCH_KEY}={self.branch}",
            f"{CONNECTION_KEY}={self.connection_arn}",
            f"{CI_SECRET_KEY}={self.ci_secret_name}",
        ]


def pipeline_requested(value: Any) -> bool:
    """``-c pipeline=true`` (a string on the command line, a boolean in cdk.json)."""
    return value is True or (isinstance(value, str) and value.lower() == "true")


def load_pipeline_config(get: Callable[[str], Any]) -> PipelineConfig:
    """Read and validate the pipeline keys.

    Args:
        get: ``app.node.try_get_context``.

    Raises:
        ConfigError: naming every missing or invalid key, its value and what is allowed
            (stacks/validation.py).
    """
    problems = Problems()
    repository = _required(
        get,
        REPOSITORY_KEY,
        "the repository as owner/name, e.g. -c pipeline_repository=my-org/agentcore-session-stack",
        problems,
    )
    connection_arn = _required(
        get,
        CONNECTION_KEY,
        "the connection ARN, e.g. -c pipeline_connection_arn="
        "arn:aws:codeconnections:<region>:<account>:connection/<id>",
        problems,
    )
    branch = get(BRANCH_KEY) or DEFAULT_BRANCH
    secret = get(CI_SECRET_KEY) or DEFAULT_CI_SECRET_NAME
    if repository is not None:
        problems.match(REPOSITORY_KEY, repository, REPOSITORY_PATTERN, "owner/name")
    if connection_arn is not None:
        problems.match(
            CONNECTION_KEY, connection_arn, CONNECTION_ARN_PATTERN, "a CodeStar/CodeConnections connection ARN"
        )
    problems.match(BRANCH_KEY, branch, BRANCH_PATTERN, "a branch name")
    problems.match(CI_SECRET_KEY, secret, SECRET_NAME_PATTERN, "a Secrets Manager secret name")
    problems.raise_if_any()
    return PipelineConfig(repository=repository, branch=branch, connection_arn=connection_arn, ci_secret_name=secret)


def _required(get: Callable[[str], Any], key: str, hint: str, problems: Problems) -> Any:
    """The key's value, or None (and a problem naming the key) when it is missing or empty."""
    value = get(key)
    if value in (None, ""):
        problems.add(f"{key} is missing but -c {PIPELINE_KEY}=true needs it; give {hint}")
        return None
    return value
