"""Where the runtime and its user pool are: read from stack outputs (deployed) or the local outputs file.

WHY: the client needs the pool, app client, runtime ARN, endpoint name and authorizer type. `make deploy`
writes them to `cdk-outputs-<stage>.json` as `{stack: {key: value}}`; without that file the same outputs
come from CloudFormation by stack name; `make local` writes the same shape to `.local-runtime/outputs.json`.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from client.errors import CliError

REPO_ROOT = Path(__file__).resolve().parent.parent
LOCAL_OUTPUTS_FILE = REPO_ROOT / ".local-runtime" / "outputs.json"
STACK_PREFIX = "AgentCoreSession"
STACK_SUFFIXES = ("Identity", "Runtime")
_RUNTIME_KEYS = ("RuntimeArn", "EndpointName", "AuthorizerType", "Region")
_IDENTITY_KEYS = ("UserPoolId", "UserPoolClientId")


@dataclass(frozen=True, kw_only=True)
class Target:
    """Everything the client needs to reach one runtime.

    Attributes:
        name: `local` or the stage name (used in messages and cache paths).
        region: AWS region of the runtime and pool.
        runtime_arn: the agent runtime ARN.
        runtime_id: the runtime id (for the control plane's GetAgentRuntime).
        endpoint_name: the endpoint, sent as `qualifier`.
        authorizer_type: `jwt` (Cognito bearer tokens) or `iam` (SigV4).
        user_pool_id: Cognito user pool (JWT runtimes only).
        client_id: Cognito app client (JWT runtimes only).
        invocation_base_url: where `/runtimes/...` lives; AgentCore's regional endpoint or the local front door.
        aws_endpoint_url: AWS API endpoint override (moto for `--local`); None means real AWS.
        access_key_id: the key pair `make local AUTHORIZER=iam` generated for its SigV4 front door
            (outputs `AccessKeyId`/`SecretAccessKey`); None means the standard AWS credential chain.
        secret_access_key: its secret (never shown in `repr`).
        outputs_file: the outputs file this target was read from (None: CloudFormation).
        long_term_memory: the runtime recalls a user's long-term memory across sessions (the stack publishes
            `LongTermMemoryNamespaces` only then).
        cli_options: the client options that choose this target again, for hints (`--local`, `--stage prod`).
    """

    name: str
    region: str
    runtime_arn: str
    runtime_id: str
    endpoint_name: str
    authorizer_type: str
    user_pool_id: str | None
    client_id: str | None
    invocation_base_url: str
    aws_endpoint_url: str | None
    access_key_id: str | None = None
    secret_access_key: str | None = field(default=None, repr=False)
    outputs_file: Path | None = None
    long_term_memory: bool = False
    cli_options: tuple[str, ...] = ()

    @property
    def is_local(self) -> bool:
        """True for the offline runtime started by `make local`."""
        return self.aws_endpoint_url is not None

    @property
    def cache_key(self) -> str:
        """Directory name for this target's tokens and sessions; a new pool never reuses old tokens.

        A local runtime is new on every start (pool and runtime id), so without a pool its runtime id names it.
        """
        return f"{self.name}-{self.user_pool_id or (self.runtime_id if self.is_local else 'iam')}"


def merged_outputs(document: dict[str, Any]) -> dict[str, str]:
    """Merge `{stack: {key: value}}` maps into one `{key: value}` map."""
    merged: dict[str, str] = {}
    for outputs in document.values():
        if isinstance(outputs, dict):
            merged.update({str(k): str(v) for k, v in outputs.items()})
    return merged


def target_from_outputs(
    outputs: dict[str, str],
    *,
    name: str,
    source: str,
    outputs_file: Path | None = None,
    cli_options: tuple[str, ...] = (),
) -> Target:
    """Build a `Target`, naming every missing output and where it was looked for.

    Raises:
        CliError: a required output is missing or the authorizer type is unknown.
    """
    required = list(_RUNTIME_KEYS)
    if outputs.get("AuthorizerType", "jwt") == "jwt":
        required += _IDENTITY_KEYS
    missing = [key for key in required if not outputs.get(key)]
    if missing:
        raise CliError(
            f"stack not deployed or incomplete: {source} has no {', '.join(missing)} output"
            f"{'s' if len(missing) > 1 else ''} (run `make deploy STAGE={name}` first)"
        )
    authorizer_type = outputs["AuthorizerType"].lower()
    if authorizer_type not in ("jwt", "iam"):
        raise CliError(f"AuthorizerType output is {outputs['AuthorizerType']!r} in {source} but must be 'jwt' or 'iam'")
    region = outputs["Region"]
    return Target(
        name=name,
        region=region,
        runtime_arn=outputs["RuntimeArn"],
        runtime_id=outputs.get("RuntimeId") or outputs["RuntimeArn"].rsplit("/", 1)[-1],
        endpoint_name=outputs["EndpointName"],
        authorizer_type=authorizer_type,
        user_pool_id=outputs.get("UserPoolId"),
        client_id=outputs.get("UserPoolClientId"),
        invocation_base_url=outputs.get("InvocationBaseUrl") or f"https://bedrock-agentcore.{region}.amazonaws.com",
        aws_endpoint_url=outputs.get("AwsEndpointUrl"),
        access_key_id=outputs.get("AccessKeyId"),
        secret_access_key=outputs.get("SecretAccessKey"),
        outputs_file=outputs_file,
        long_term_memory=bool(outputs.get("LongTermMemoryNamespaces")),
        cli_options=cli_options,
    )


def load_outputs_file(path: Path) -> dict[str, str]:
    """Read and merge an outputs file.

    Raises:
        CliError: the file cannot be read or is not a JSON object.
    """
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except OSError as e:
        raise CliError(f"cannot read outputs file {path}: {e.strerror}") from e
    except ValueError as e:
        raise CliError(f"outputs file {path} is not valid JSON: {e}") from e
    if not isinstance(document, dict):
        raise CliError(f"outputs file {path} must hold a JSON object of stacks")
    return merged_outputs(document)


def local_target(outputs_file: Path | None = None) -> Target:
    """The target `make local` describes in its outputs file: `outputs_file`, else `$AGENTCORE_LOCAL_OUTPUTS`
    (for a runtime started with `python -m local --state-dir DIR`), else `.local-runtime/outputs.json`."""
    path = outputs_file or Path(os.environ.get("AGENTCORE_LOCAL_OUTPUTS") or LOCAL_OUTPUTS_FILE)
    if not path.exists():
        raise CliError(f"local runtime is not running: {path} does not exist (start it with `make local`)")
    options: tuple[str, ...] = ("--local",)
    if path.resolve() != LOCAL_OUTPUTS_FILE.resolve():
        options += ("--outputs-file", str(path))
    return target_from_outputs(
        load_outputs_file(path), name="local", source=str(path), outputs_file=path, cli_options=options
    )


def stage_target(stage: str, outputs_file: Path | None = None) -> Target:
    """The deployed stage: its outputs file if present, else CloudFormation's stack outputs."""
    candidates = (
        [outputs_file]
        if outputs_file
        else [Path.cwd() / f"cdk-outputs-{stage}.json", REPO_ROOT / f"cdk-outputs-{stage}.json"]
    )
    options: tuple[str, ...] = ("--stage", stage) if stage != "dev" else ()
    if outputs_file:
        options += ("--outputs-file", str(outputs_file))
    for path in candidates:
        if path is not None and path.exists():
            return target_from_outputs(
                load_outputs_file(path), name=stage, source=str(path), outputs_file=path, cli_options=options
            )
    if outputs_file:
        raise CliError(f"outputs file {outputs_file} does not exist")
    return target_from_outputs(
        _cloudformation_outputs(stage),
        name=stage,
        source=f"CloudFormation stacks {STACK_PREFIX}-{stage}-*",
        cli_options=options,
    )


def _cloudformation_outputs(stage: str) -> dict[str, str]:
    """Outputs of the stage's stacks, read with the caller's AWS credentials."""
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    from client.aws_errors import aws_call, error_message

    outputs: dict[str, str] = {}
    for suffix in STACK_SUFFIXES:
        stack_name = f"{STACK_PREFIX}-{stage}-{suffix}"
        what = f"reading stack {stack_name} (no cdk-outputs-{stage}.json found)"
        try:
            cloudformation = boto3.client("cloudformation", region_name=os.environ.get("AWS_REGION") or None)
        except BotoCoreError as e:
            raise CliError(f"{what}: {e}") from e
        try:
            stacks = aws_call(what, cloudformation.describe_stacks, StackName=stack_name)["Stacks"]
        except ClientError as e:
            if "does not exist" in error_message(e):
                raise CliError(
                    f"stack not deployed: {stack_name} does not exist and there is no cdk-outputs-{stage}.json "
                    f"(run `make deploy STAGE={stage}`)"
                ) from e
            raise CliError(f"{what}: {error_message(e)}") from e
        outputs.update({o["OutputKey"]: o["OutputValue"] for o in stacks[0].get("Outputs", [])})
    return outputs
