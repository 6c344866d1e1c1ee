"""Post-deployment smoke steps: the runtime is READY and, for dev, the client's demo passes against it and
the metric the stage's alarms watch then exists.

WHY env_from_cfn_outputs: the stage's values (runtime id, pool, client) exist only after its deploy;
CDK pipelines hand them to the step as environment variables read from the stacks' outputs, so the
step needs no CloudFormation permission. The CI users' passwords are referenced by secret name and
JSON key; CodeBuild fetches them at run time, so no password is ever in a template.

WHY the metric check: the alarms and dashboard use ``Name=<runtime>::<endpoint>`` while the L2's metric
methods default to ``::DEFAULT`` (docs/delivery.md). Which one AgentCore reports is settled by the deployed
service, not by a template: after the demo's invocations the step lists the alarms' own metric (namespace,
name and every dimension taken from the alarm construct) and fails the stage if it never appears.
"""

from __future__ import annotations

import shlex

from aws_cdk import (
    CfnOutput,
    Stack,
    Token,
    pipelines,
)
from aws_cdk import (
    aws_cloudwatch as cloudwatch,
)
from aws_cdk import (
    aws_codebuild as codebuild,
)
from aws_cdk import (
    aws_iam as iam,
)

from stacks.constructs.pipeline_findings import LIST_METRICS_ACTIONS
from stacks.stage import AgentCoreSessionStage

# Outputs the client needs (client/targets.py) plus the runtime id the readiness check polls.
RUNTIME_OUTPUTS = ("RuntimeArn", "RuntimeId", "EndpointName", "AuthorizerType", "Region")
IDENTITY_OUTPUTS = ("UserPoolId", "UserPoolClientId")
READ_RUNTIME_ACTIONS = ("bedrock-agentcore:GetAgentRuntime", "bedrock-agentcore:GetAgentRuntimeEndpoint")
# JSON keys of the CI secret, mapped to the environment variables the demo commands read.
CI_SECRET_KEYS = {
    "CI_USER_A": "user_a",
    "CI_PASSWORD_A": "password_a",
    "CI_USER_B": "user_b",
    "CI_PASSWORD_B": "password_b",
}
# The client's hash-pinned lock (make lock): exactly the tested versions, every file's sha256 checked.
INSTALL_COMMANDS = ("python3 -m pip install --quiet --require-hashes --no-deps -r client/requirements.lock",)
# The client needs Python >= 3.11; CodeBuild standard:7.0 selects it with runtime-versions.
SMOKE_PYTHON_VERSION = "3.12"
# The alarm metric every successful invocation reports (SystemErrors and Throttles may have no datapoint
# when nothing failed); all three alarms share its dimensions (stacks/constructs/monitoring_metrics.py).
WATCHED_METRIC_NAME = "Latency"


def smoke_step(
    pipeline_stack: Stack,
    stage: AgentCoreSessionStage,
    *,
    source: pipelines.IFileSetProducer,
    ci_secret_name: str | None,
) -> pipelines.CodeBuildStep:
    """The step run after ``stage`` deploys; with ``ci_secret_name`` it also runs ``client demo``.

    Args:
        pipeline_stack: the stack holding the pipeline (the step's role lives there).
        stage: the deployed stage (its stacks' outputs feed the step).
        source: the repository checkout (the script and the client live there).
        ci_secret_name: secret holding two CI users (dev); None runs only the readiness check (prod).
    """
    config = stage.config
    commands = [
        "python3 scripts/pipeline_smoke.py write-outputs --stage " + config.stage,
        "python3 scripts/pipeline_smoke.py ready --stage " + config.stage,
    ]
    variables: dict[str, codebuild.BuildEnvironmentVariable] = {}
    statements = [_read_runtime_statement(pipeline_stack, config.runtime_name)]
    if ci_secret_name:
        commands += _demo_commands(config.stage)
        commands.append(metric_command(stage))
        statements.append(
            iam.PolicyStatement(sid="ListAlarmMetrics", actions=list(LIST_METRICS_ACTIONS), resources=["*"])
        )
        variables = {
            name: codebuild.BuildEnvironmentVariable(
                type=codebuild.BuildEnvironmentVariableType.SECRETS_MANAGER, value=f"{ci_secret_name}:{key}"
            )
            for name, key in CI_SECRET_KEYS.items()
        }
    return pipelines.CodeBuildStep(
        f"SmokeTest-{config.stage}",
        input=source,
        install_commands=list(INSTALL_COMMANDS),
        commands=commands,
        env_from_cfn_outputs=_outputs(stage),
        build_environment=codebuild.BuildEnvironment(environment_variables=variables),
        role_policy_statements=statements,
        partial_build_spec=codebuild.BuildSpec.from_object(
            {"phases": {"install": {"runtime-versions": {"python": SMOKE_PYTHON_VERSION}}}}
        ),
    )


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


def metric_command(stage: AgentCoreSessionStage) -> str:
    """``pipeline_smoke.py metric`` for the metric the stage's latency alarm watches, dimension for dimension.

    Literal dimension values are quoted as they are; the runtime ARN (a token of the stage's runtime stack)
    becomes ``$OUT_RuntimeArn``, which the step receives from the stack outputs.

    Raises:
        ValueError: a dimension is a token the step has no output for.
    """
    alarm = next(
        a for a in stage.monitoring.monitoring.alarms.alarms if _stat(a.metric).metric_name == WATCHED_METRIC_NAME
    )
    stat = _stat(alarm.metric)
    arguments = [f"--namespace {shlex.quote(stat.namespace)}", f"--metric-name {shlex.quote(stat.metric_name)}"]
    for dimension in stat.dimensions or []:
        arguments.append(f"--dimension {_dimension_argument(stage, dimension.name, dimension.value)}")
    return f"python3 scripts/pipeline_smoke.py metric --stage {stage.config.stage} " + " ".join(arguments)


def _stat(metric: cloudwatch.IMetric) -> cloudwatch.MetricStatConfig:
    stat = metric.to_metric_config().metric_stat
    if stat is None:
        raise ValueError(f"alarm metric {metric} is a math expression; the smoke step checks plain metrics only")
    return stat


def _dimension_argument(stage: AgentCoreSessionStage, name: str, value: str) -> str:
    if not Token.is_unresolved(value):
        return shlex.quote(f"{name}={value}")
    if value == stage.runtime.runtime.agent_runtime_arn:
        return f'"{name}=$OUT_RuntimeArn"'
    raise ValueError(f"dimension {name} of the watched metric is a token the smoke step has no output for")


def _outputs(stage: AgentCoreSessionStage) -> dict[str, CfnOutput]:
    """``OUT_<Key>`` → the stage's CfnOutput (the StackOutputs construct names each output by its key)."""
    found = {key: _output(stage.runtime, key) for key in RUNTIME_OUTPUTS}
    found |= {key: _output(stage.identity, key) for key in IDENTITY_OUTPUTS}
    return {f"OUT_{key}": output for key, output in found.items()}


def _output(stack: Stack, key: str) -> CfnOutput:
    output = stack.node.find_child("Outputs").node.find_child(key)
    if not isinstance(output, CfnOutput):
        raise TypeError(f"expected CfnOutput {key} in {stack.node.path}, found {type(output).__name__}")
    return output


def _read_runtime_statement(stack: Stack, runtime_name: str) -> iam.PolicyStatement:
    """Read-only access to this stage's runtime and its endpoints."""
    arn = runtime_arn_pattern(stack, runtime_name)
    return iam.PolicyStatement(
        sid="ReadStageRuntime", actions=list(READ_RUNTIME_ACTIONS), resources=[arn, f"{arn}/runtime-endpoint/*"]
    )


def runtime_arn_pattern(stack: Stack, runtime_name: str) -> str:
    """``arn:<partition>:bedrock-agentcore:<region>:<account>:runtime/<runtime_name>-*``.

    The service appends a generated suffix to the name to make the runtime id, known only after the
    stage deploys (after this policy exists), so the name plus ``-*`` is the narrowest match.
    """
    return stack.format_arn(service="bedrock-agentcore", resource="runtime", resource_name=f"{runtime_name}-*")
