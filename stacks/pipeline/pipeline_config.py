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
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from stacks.validation import ConfigError, problems_from

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


class PipelineConfig(BaseModel):
    """Where the pipeline's source comes from and which secret holds the smoke test's users.

    Attributes:
        repository: ``owner/name`` of the repository behind the connection.
        branch: branch whose pushes run the pipeline (default ``main``).
        connection_arn: the CodeStar/CodeConnections connection (created and authorized in the console).
        ci_secret_name: Secrets Manager secret with ``user_a``, ``password_a``, ``user_b``, ``password_b``
            (default ``agentcore-session/ci-users``); read by CodeBuild at run time, never synthesized.
    """

    model_config = ConfigDict(strict=True, frozen=True, extra="forbid", regex_engine="python-re")

    repository: str = Field(
        pattern=REPOSITORY_PATTERN.pattern,
        description="the repository as owner/name, e.g. -c pipeline_repository=my-org/agentcore-session-stack",
    )
    branch: str = Field(pattern=BRANCH_PATTERN.pattern, description="a branch name")
    connection_arn: str = Field(
        pattern=CONNECTION_ARN_PATTERN.pattern,
        description="a CodeStar/CodeConnections connection ARN, e.g. -c pipeline_connection_arn="
        "arn:aws:codeconnections:<region>:<account>:connection/<id>",
    )
    ci_secret_name: str = Field(pattern=SECRET_NAME_PATTERN.pattern, description="a Secrets Manager secret name")

    def context_arguments(self) -> list[str]:
        """The ``-c`` arguments that make the pipeline's own synth reproduce this pipeline."""
        return [
            f"{PIPELINE_KEY}=true",
            f"{REPOSITORY_KEY}={self.repository}",
            f"{BRANCH_KEY}={self.branch}",
            f"{CONNECTION_KEY}={self.connection_arn}",
            f"{CI_SECRET_KEY}={self.ci_secret_name}",
        ]


# Each field's context key (``-c pipeline_repository=...``).
_KEYS = {
    "repository": REPOSITORY_KEY,
    "branch": BRANCH_KEY,
    "connection_arn": CONNECTION_KEY,
    "ci_secret_name": CI_SECRET_KEY,
}
_DEFAULTS = {"branch": DEFAULT_BRANCH, "ci_secret_name": DEFAULT_CI_SECRET_NAME}


def pipeline_requested(value: Any) -> bool:
    """``-c pipeline=true`` (a string on the command line, a boolean in cdk.json)."""
    return value is True or (isinstance(value, str) and value.lower() == "true")


def load_pipeline_config(get: Callable[[str], Any]) -> PipelineConfig:
    """Read and validate the pipeline keys; an empty one counts as not given.

    Args:
        get: ``app.node.try_get_context``.

    Raises:
        ConfigError: naming every missing or invalid key, its value and what is allowed
            (stacks/validation.py).
    """
    given = {name: value for name, key in _KEYS.items() if (value := get(key)) not in (None, "")}
    try:
        return PipelineConfig(**(_DEFAULTS | given))
    except ValidationError as error:
        raise ConfigError(
            problems_from(
                error,
                PipelineConfig.model_fields,
                key=lambda name: f"-c {_KEYS.get(name, name)}",
                given=given,
                missing=f"required with -c {PIPELINE_KEY}=true",
                unknown="",
            )
        ) from None
