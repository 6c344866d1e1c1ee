"""Post-deployment smoke steps: the runtime is READY and, for dev, the client's demo passes against it.

WHY env_from_cfn_outputs: the stage's values (runtime id, pool, client) exist only after its deploy;
CDK pipelines hand them to the step as environment variables read from the stacks' outputs, so the
step needs no CloudFormation permission. The CI users' passwords are referenced by secret name and
JSON key; CodeBuild fetches them at run time, so no password is ever in a template.
"""

from __future__ import annotations

from aws_cdk import CfnOutput, Stack, aws_codebuild as codebuild, aws_iam as iam, pipelines
from stacks.stage import AgentCoreSessionStage

# Outputs the client needs (client/targets.py) plus the runtime id the readiness check polls.
RUNTIME_OUTPUTS = ("RuntimeArn", "RuntimeId", "EndpointName", "AuthorizerType", "Region")
IDENTITY_OUTPUTS = ("UserPoolId", "UserPoolClientId")
READ_RUNTIME_ACTIONS = ("bedrock-agentcore:GetAgentRuntime", "bedrock-agentcore:GetAgentRuntimeEndpoint")
# JSON keys of the CI secret, mapped to the environment variables the demo commands read.
CI_SECRET_KEYS = {"CI_USER_A": "user_a", "CI_PASSWORD_A": "password_a", "CI_USER_B": "user_b", "CI_PASSWORD_B": "password_b"}
# The client's hash-pinned lock (make lock): exactly the tested versions, every file's sha256 checked.
INSTALL_COMMANDS = ("python3 -m pip install --quiet --require-hashes --no-deps -r client/requirements.lock",)
# The client needs Python >= 3.11; CodeBuild standard:7.0 selects it with runtime-versions.
SMOKE_PYTHON_VERSION = "3.12"


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
    if ci_secret_name:
        commands += _demo_commands(config.stage)
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
        role_policy_statements=[_read_runtime_statement(pipeline_stack, config.runtime_name)],
        partial_build_spec=codebuild.BuildSpec.from_object(
            {"phases": {"install": {"runtime-versions": {"python": SMOKE_PYTHON_VERSION}}}}
        ),
    )


def _demo_commands(stage_name: str) -> list[str]:
    """Log both CI users in (password on stdin, never on a command line), then run the demo."""
    login = 'printf "%s\\n" "$CI_PASSWORD_{x}" | python3 -m client login "$CI_USER_{x}" --stage {stage} --password-stdin'
    return [
        login.format(x="A", stage=stage_name),
        login.format(x="B", stage=stage_name),
        f'python3 -m client demo --stage {stage_name} --users "$CI_USER_A" "$CI_USER_B"',
    ]


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
