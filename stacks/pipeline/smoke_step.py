"""Post-deployment smoke steps: the runtime is READY and, for dev, the client's demo passes against it and
the metric the stage's alarms watch then exists and an alarm's notification is delivered; with the wildcards
their roles hold, and why.

WHY env_from_cfn_outputs: the stage's values (runtime id, pool, client) exist only after its deploy;
CDK pipelines hand them to the step as environment variables read from the stacks' outputs, so the
step needs no CloudFormation permission. The CI users' passwords are referenced by secret name and
JSON key; CodeBuild fetches them at run time, so no password is ever in a template.

WHY the metric check: the alarms and dashboard use ``Name=<runtime>::<endpoint>`` while the L2's metric
methods default to ``::DEFAULT`` (docs/delivery.md). Which one AgentCore reports is settled by the deployed
service, not by a template: after the demo's invocations the step lists the alarms' own metric (namespace,
name and every dimension taken from the alarm construct) and fails the stage if it never appears.

WHY the demo depends on the authorizer: on a JWT runtime the demo's users are Cognito users who log in (no
IAM call: the bearer token is the credential); on an IAM runtime nobody logs in (the client refuses: there is no
pool to trust) and the demo signs ``InvokeAgentRuntime`` with the step's own role, naming its end users in a
header, so that role needs ``bedrock-agentcore:InvokeAgentRuntime`` on the runtime and its endpoints and the CI
users' secret is not read at all.

WHY a SmokeTarget and not the stage: the pipeline stack builds the stages and reads off each one what its
step needs, so this module never imports the stage it sits under (stacks/pipeline/pipeline_stack.py).
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from aws_cdk import ArnFormat, CfnOutput, Stack, Token, pipelines
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_codebuild as codebuild
from aws_cdk import aws_iam as iam

from stacks.iam_wildcards import ENV_PATTERN, RequiredWildcard
from stacks.output_keys import CLIENT_OUTPUTS
from stacks.runtime.execution_role import runtime_arn_pattern

READ_RUNTIME_ACTIONS = ("bedrock-agentcore:GetAgentRuntime", "bedrock-agentcore:GetAgentRuntimeEndpoint")
# The IAM-mode demo (client/invocation.py SigV4Invoker: boto3 invoke_agent_runtime with the endpoint as qualifier).
# The custom end-user header needs no InvokeAgentRuntimeForUser: that action is for the service's own
# X-Amzn-Bedrock-AgentCore-Runtime-User-Id header (aws-cdk-lib 2.275 aws-bedrockagentcore/lib/runtime/perms.js).
INVOKE_RUNTIME_ACTIONS = ("bedrock-agentcore:InvokeAgentRuntime",)
# The dev step's metric check (scripts/pipeline_smoke.py `metric`).
LIST_METRICS_ACTIONS = ("cloudwatch:ListMetrics",)
# The dev step's delivery check (scripts/pipeline_smoke.py `alarm`): SetAlarmState to ALARM and back to OK, and
# DescribeAlarmHistory for the Action item; both take the alarm as resource (service authorization reference,
# Amazon CloudWatch: resource type alarm), so the grant names the one alarm the step sets.
ALARM_DELIVERY_ACTIONS = ("cloudwatch:SetAlarmState", "cloudwatch:DescribeAlarmHistory")
# JSON keys of the CI secret, mapped to the environment variables the demo commands read.
CI_SECRET_KEYS = {
    "CI_USER_A": "user_a",
    "CI_PASSWORD_A": "password_a",
    "CI_USER_B": "user_b",
    "CI_PASSWORD_B": "password_b",
}
# The client's hash-pinned lock (make lock): exactly the tested versions, every file's sha256 checked.
INSTALL_COMMANDS = ("python3 -m pip install --quiet --require-hashes --no-deps -r client/requirements.lock",)
# Run from the checkout's root as a module, so the script imports the output keys (stacks/output_keys.py).
SCRIPT = "python3 -m scripts.pipeline_smoke"
# The client needs Python >= 3.11; CodeBuild standard:7.0 selects it with runtime-versions.
SMOKE_PYTHON_VERSION = "3.12"
# The alarm metric every successful invocation reports (SystemErrors and Throttles may have no datapoint
# when nothing failed); all three alarms share its dimensions (stacks/monitoring/monitoring_metrics.py).
WATCHED_METRIC_NAME = "Latency"
# The alarm (construct id in stacks/monitoring/monitoring_alarms.py) the dev step sets to ALARM and back to OK: the
# one whose metric it checks; it notifies the stage's topic like the others.
NOTIFIED_ALARM = "Latency"

SMOKE_STEP_WILDCARDS: tuple[RequiredWildcard, ...] = (
    RequiredWildcard(
        resource=r"arn:<AWS::Partition>:bedrock-agentcore:"
        + ENV_PATTERN
        + r":runtime/[A-Za-z0-9_]+-\*(?:/runtime-endpoint/\*)?",
        actions=READ_RUNTIME_ACTIONS,
        reason="The smoke step reads only the stage's runtime and its endpoints: the service appends a generated "
        "suffix to the configured runtime name, known only after the stage deploys.",
    ),
    RequiredWildcard(
        resource=r"arn:<AWS::Partition>:bedrock-agentcore:"
        + ENV_PATTERN
        + r":runtime/[A-Za-z0-9_]+-\*(?:/runtime-endpoint/\*)?",
        actions=INVOKE_RUNTIME_ACTIONS,
        reason="The dev smoke step of an IAM-authorized stage invokes only that stage's runtime through its endpoint "
        "(the L2's grant_invoke_runtime covers the runtime ARN and ARN/*); the runtime id's generated suffix is known "
        "only after the stage deploys.",
    ),
    RequiredWildcard(
        resource=r"\*",
        actions=LIST_METRICS_ACTIONS,
        reason="The dev smoke step checks that the metric its alarms watch exists; cloudwatch:ListMetrics supports "
        "no resource-level permissions (service authorization reference, Amazon CloudWatch: no resource type).",
    ),
)


@dataclass(frozen=True, kw_only=True)
class SmokeTarget:
    """What a smoke step needs from the stage it checks.

    Attributes:
        stage: the stage's name (``dev``).
        authorizer: the stage's ``authorizer`` (``jwt`` or ``iam``): how the demo authenticates.
        runtime_name: the configured runtime name (the read grant's ARN pattern).
        runtime_arn: the runtime's ARN token (an alarm dimension the step receives as ``$OUT_RuntimeArn``).
        outputs: every output of the stage's stacks by key (the StackOutputs of Identity and Runtime).
        alarms: the stage's alarms (the step checks the latency alarm's metric).
        notified_alarm: the name of the alarm the dev step sets to ALARM to prove its notification is delivered.
    """

    stage: str
    authorizer: str
    runtime_name: str
    runtime_arn: str
    outputs: Mapping[str, CfnOutput]
    alarms: Sequence[cloudwatch.Alarm]
    notified_alarm: str


def smoke_step(
    pipeline_stack: Stack,
    target: SmokeTarget,
    *,
    source: pipelines.IFileSetProducer,
    ci_secret_name: str | None,
) -> pipelines.CodeBuildStep:
    """The step run after ``target`` deploys; with ``ci_secret_name`` it also runs ``client demo`` and the metric check.

    Args:
        pipeline_stack: the stack holding the pipeline (the step's role lives there).
        target: the deployed stage (its stacks' outputs feed the step).
        source: the repository checkout (the script and the client live there).
        ci_secret_name: secret holding two CI users (dev): given, the step runs the demo (JWT: as those users;
            IAM: as end users it names, the secret unused); None runs only the readiness check (prod).
    """
    commands = [f"{SCRIPT} write-outputs --stage {target.stage}", f"{SCRIPT} ready --stage {target.stage}"]
    variables: dict[str, codebuild.BuildEnvironmentVariable] = {}
    statements = [_read_runtime_statement(pipeline_stack, target.runtime_name)]
    if ci_secret_name:
        if target.authorizer == "iam":
            commands.append(f"python3 -m client demo --stage {target.stage}")
            statements.append(_invoke_runtime_statement(pipeline_stack, target.runtime_name))
        else:
            commands += _demo_commands(target.stage)
            variables = _ci_user_variables(ci_secret_name)
        commands.append(metric_command(target))
        commands.append(f"{SCRIPT} alarm --stage {target.stage} --alarm-name {shlex.quote(target.notified_alarm)}")
        statements.append(
            iam.PolicyStatement(sid="ListAlarmMetrics", actions=list(LIST_METRICS_ACTIONS), resources=["*"])
        )
        statements.append(_alarm_delivery_statement(pipeline_stack, target.notified_alarm))
    return pipelines.CodeBuildStep(
        f"SmokeTest-{target.stage}",
        input=source,
        install_commands=list(INSTALL_COMMANDS),
        commands=commands,
        env_from_cfn_outputs=_forwarded_outputs(target),
        build_environment=codebuild.BuildEnvironment(environment_variables=variables),
        role_policy_statements=statements,
        partial_build_spec=codebuild.BuildSpec.from_object(
            {"phases": {"install": {"runtime-versions": {"python": SMOKE_PYTHON_VERSION}}}}
        ),
    )


def _ci_user_variables(ci_secret_name: str) -> dict[str, codebuild.BuildEnvironmentVariable]:
    """The CI users' names and passwords, fetched by CodeBuild from the secret at run time."""
    return {
        name: codebuild.BuildEnvironmentVariable(
            type=codebuild.BuildEnvironmentVariableType.SECRETS_MANAGER, value=f"{ci_secret_name}:{key}"
        )
        for name, key in CI_SECRET_KEYS.items()
    }


def _demo_commands(stage_name: str) -> list[str]:
    """Log both CI users in (password on stdin, never on a command line), then run the demo."""
    login = (
        'printf "%s\\n" "$CI_PASSWORD_{x}" | python3 -m client login "$CI_USER_{x}" --stage {stage} --password-stdin'
    )
    return [
        login.format(x="A", stage=stage_name),
        login.format(x="B", stage=stage_name),
        f'python3 -m client demo --stage {stage_name} --users "$CI_USER_A" "$CI_USER_B"',
    ]


def metric_command(target: SmokeTarget) -> str:
    """``pipeline_smoke metric`` for the metric the stage's latency alarm watches, dimension for dimension.

    Literal dimension values are quoted as they are; the runtime ARN (a token of the stage's runtime stack)
    becomes ``$OUT_RuntimeArn``, which the step receives from the stack outputs.

    Raises:
        ValueError: a dimension is a token the step has no output for.
    """
    stat = next(stat for a in target.alarms if (stat := _stat(a.metric)).metric_name == WATCHED_METRIC_NAME)
    arguments = [f"--namespace {shlex.quote(stat.namespace)}", f"--metric-name {shlex.quote(stat.metric_name)}"]
    for dimension in stat.dimensions or []:
        arguments.append(f"--dimension {dimension_argument(target, dimension.name, dimension.value)}")
    return f"{SCRIPT} metric --stage {target.stage} " + " ".join(arguments)


def _stat(metric: cloudwatch.IMetric) -> cloudwatch.MetricStatConfig:
    stat = metric.to_metric_config().metric_stat
    if stat is None:
        raise ValueError(f"alarm metric {metric} is a math expression; the smoke step checks plain metrics only")
    return stat


def dimension_argument(target: SmokeTarget, name: str, value: str) -> str:
    """``NAME=VALUE`` for the command line: a literal value quoted, the runtime ARN token as its output variable.

    Raises:
        ValueError: ``value`` is another token, which the step has no output for.
    """
    if not Token.is_unresolved(value):
        return shlex.quote(f"{name}={value}")
    if value == target.runtime_arn:
        return f'"{name}=$OUT_RuntimeArn"'
    raise ValueError(f"dimension {name} of the watched metric is a token the smoke step has no output for")


def _forwarded_outputs(target: SmokeTarget) -> dict[str, CfnOutput]:
    """``OUT_<Key>`` → the stage's CfnOutput, for every key a client needs (stacks/output_keys.py)."""
    return {f"OUT_{key}": target.outputs[key] for keys in CLIENT_OUTPUTS.values() for key in keys}


def _invoke_runtime_statement(stack: Stack, runtime_name: str) -> iam.PolicyStatement:
    """InvokeAgentRuntime on this stage's runtime and its endpoints: what the IAM-mode demo signs."""
    arn = runtime_arn_pattern(stack, runtime_name)
    return iam.PolicyStatement(
        sid="InvokeStageRuntime", actions=list(INVOKE_RUNTIME_ACTIONS), resources=[arn, f"{arn}/runtime-endpoint/*"]
    )


def _alarm_delivery_statement(stack: Stack, alarm_name: str) -> iam.PolicyStatement:
    """Set and read the history of one alarm of the stage: what the delivery check calls."""
    arn = stack.format_arn(
        service="cloudwatch", resource="alarm", resource_name=alarm_name, arn_format=ArnFormat.COLON_RESOURCE_NAME
    )
    return iam.PolicyStatement(sid="ProveAlarmDelivery", actions=list(ALARM_DELIVERY_ACTIONS), resources=[arn])


def _read_runtime_statement(stack: Stack, runtime_name: str) -> iam.PolicyStatement:
    """Read-only access to this stage's runtime and its endpoints."""
    arn = runtime_arn_pattern(stack, runtime_name)
    return iam.PolicyStatement(
        sid="ReadStageRuntime", actions=list(READ_RUNTIME_ACTIONS), resources=[arn, f"{arn}/runtime-endpoint/*"]
    )
