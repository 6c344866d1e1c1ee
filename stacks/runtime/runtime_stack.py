"""Agent runtime stack: the arm64 agent image, the AgentCore Runtime, its endpoint, role and conversation store."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aws_cdk import Duration, Stack
from aws_cdk import aws_bedrockagentcore as agentcore
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_ecr_assets as ecr_assets
from aws_cdk import aws_iam as iam
from constructs import Construct

from stacks.config import StageConfig
from stacks.constructs.stack_outputs import StackOutputs
from stacks.iam_wildcards import RequiredWildcard
from stacks.model_access import INFERENCE_PROFILE_CONDITION, INVOKE_MODEL_ACTIONS, model_access
from stacks.output_keys import (
    AUTHORIZER_TYPE,
    ENDPOINT_NAME,
    EXECUTION_ROLE_ARN,
    IMAGE_URI,
    REGION,
    RUNTIME_ARN,
    RUNTIME_ID,
    SESSION_STORE,
)
from stacks.runtime.conversation_store import ConversationStore, create_conversation_store
from stacks.runtime.execution_role import (
    acknowledge_execution_role_findings,
    deny_user_id_tokens,
    runtime_execution_role,
)
from stacks.runtime.invoke_policy import InvokePolicy
from stacks.runtime.network import runtime_network
from stacks.runtime.platform_version import apply_platform_choice, choose_platform, platform_version

AGENT_DIR = Path(__file__).resolve().parents[2] / "agent"
# Request headers AgentCore forwards to the container, per authorizer (the runtime's request-header allowlist).
# JWT: the agent reads the caller (the token's sub) from Authorization, which AgentCore forwards only when
# allowlisted and only to runtimes with a custom JWT authorizer. IAM: the SigV4 caller (a trusted backend)
# names its end user in a custom header; Authorization carries the SigV4 signature and is never forwarded.
# Source: https://docs.aws.amazon.com/bedrock-agentcore/latest/devguide/runtime-header-allowlist.html
END_USER_HEADER = "X-Amzn-Bedrock-AgentCore-Runtime-Custom-User-Id"
FORWARDED_HEADERS = {"jwt": ("Authorization",), "iam": (END_USER_HEADER,)}
# The one wildcard of the model grant (_grant_model), acknowledged to cdk-nag beside it and listed for the IAM
# audit (tests/stacks/deploy_rules.py REQUIRED_WILDCARDS); stacks/model_access.py says why the Region is open.
PROFILE_ROUTED_MODEL_WILDCARD = RequiredWildcard(
    resource=r"arn:<AWS::Partition>:bedrock:\*::foundation-model/[A-Za-z0-9._:-]+",
    actions=INVOKE_MODEL_ACTIONS,
    conditions=(INFERENCE_PROFILE_CONDITION,),
    reason="A geographic inference profile routes to destination Regions AWS may extend at any time; the "
    "Region is a wildcard for this one foundation model, usable only through the configured profile "
    "(bedrock:InferenceProfileArn condition), as the Bedrock user guide's inference-profile prerequisites show.",
)


class RuntimeStack(Stack):
    """The runtime, wired to the identity stack's user pool and to a conversation store.

    Attributes:
        runtime: the AgentCore Runtime (metrics, grants).
        endpoint: the stage's named endpoint (e.g. ``live``), following the latest version.
        execution_role: the role the agent runs as.
        image_uri: the content-hash-tagged arm64 image.
        conversation_store: the S3 or AgentCore Memory store (construct id ``SessionStore``).
        invoke_policy: in IAM mode with ``invoke_principals``, the runtime's and endpoint's resource policies.
        stack_outputs: the published outputs (stacks/output_keys.py).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StageConfig,
        user_pool: cognito.IUserPool,
        user_pool_client: cognito.IUserPoolClient,
        agent_dir: Path = AGENT_DIR,
        web_client: cognito.IUserPoolClient | None = None,
        **kwargs: Any,
    ) -> None:
        """Build the stack.

        Args:
            web_client: the web app's client (stacks/web/login_stack.py), also accepted by the JWT authorizer.
            agent_dir: the image's build context (default: this repository's ``agent/``); the deploy
                rehearsal passes a modified copy to prove no export changes with the agent's code.
        """
        super().__init__(scope, construct_id, **kwargs)
        artifact = agentcore.AgentRuntimeArtifact.from_asset(str(agent_dir), platform=ecr_assets.Platform.LINUX_ARM64)
        self.conversation_store: ConversationStore = create_conversation_store(self, config=config)
        role = runtime_execution_role(self, "ExecutionRole", runtime_name=config.runtime_name)
        platform = choose_platform(config.platform_version, self.region)
        self.runtime = agentcore.Runtime(
            self,
            "Runtime",
            runtime_name=config.runtime_name,
            execution_role=role,
            description=config.description,
            agent_runtime_artifact=artifact,
            authorizer_configuration=self._authorizer(
                config, user_pool, [user_pool_client, *([web_client] if web_client else [])]
            ),
            request_header_configuration=self._forwarded_headers(config),
            lifecycle_configuration=agentcore.LifecycleConfiguration(
                idle_runtime_session_timeout=Duration.seconds(config.idle_timeout_seconds),
                max_lifetime=Duration.seconds(config.max_lifetime_seconds),
            ),
            network_configuration=runtime_network(self, config),
            environment_variables=self._environment(config),
            tracing_enabled=True,
            platform_version=platform_version(platform),
            # No per-stack X-Ray resource policy: an account holds at most 5 (botocore xray PutResourcePolicy),
            # one per stage would use them up. When trace delivery is set up and the deployer may call
            # xray:PutResourcePolicy (the CDK deploy role may), AWS creates one policy per AgentCore resource type,
            # covering every runtime of the account (CloudWatch Logs user guide, "Traces sent to X-Ray").
            manage_delivery_resource_policy=False,
        )
        apply_platform_choice(self.runtime, platform)
        self.execution_role: iam.IRole = self.runtime.role
        if config.authorizer == "jwt":
            deny_user_id_tokens(self.execution_role)
        self._grant_model(config.model_id)
        self.conversation_store.grant_sessions(self.runtime)
        self.endpoint = self.runtime.add_endpoint(
            config.endpoint_name, description=f"{config.stage} endpoint following the latest runtime version"
        )
        self.invoke_policy = self._invoke_policy(config)
        self.image_uri = self._image_uri(artifact)
        # The model grant's region wildcard (geographic profiles) is acknowledged here, beside that grant.
        acknowledge_execution_role_findings(
            role, (*self.conversation_store.required_wildcards, PROFILE_ROUTED_MODEL_WILDCARD)
        )
        self.stack_outputs = self._publish(config)
        self._keep_former_references()

    def _keep_former_references(self) -> None:
        """Keep the exports CDK generated while the Monitoring and WebContent stacks took these by reference.

        WHY: this stack deploys first, and CloudFormation refuses to delete an export a stack deployed from an
        earlier version still imports; kept here, the upgrade is one deploy (the importers switch to the SSM
        parameters, stacks/monitoring/monitoring_stack.py). Nothing imports them any more, so a rename that
        changes their values deploys (tests/stacks/test_deploy_rehearsal.py checks no stack imports a value a
        rename changes). Remove them once every stage has deployed this version.
        """
        for value in (self.runtime.agent_runtime_arn, self.runtime.agent_runtime_id, self.execution_role.role_arn):
            self.export_value(value)

    def _invoke_policy(self, config: StageConfig) -> InvokePolicy | None:
        """IAM mode with ``invoke_principals``: only they may invoke (docs/agent.md, trust model)."""
        if config.authorizer != "iam" or not config.invoke_principals:
            return None
        return InvokePolicy(
            self, "InvokePolicy", runtime=self.runtime, endpoint=self.endpoint, principals=config.invoke_principals
        )

    def _image_uri(self, artifact: agentcore.AgentRuntimeArtifact) -> str:
        """The asset's URI. The L2 binds its artifact lazily at synth; binding now (idempotent, same
        scope and id as the L2 uses) creates the DockerImageAsset so its URI can be published."""
        artifact.bind(self.runtime, self.runtime)
        image_asset = self.runtime.node.find_child("AgentRuntimeArtifact")
        if not isinstance(image_asset, ecr_assets.DockerImageAsset):
            raise TypeError(f"expected the runtime's image asset, found {type(image_asset).__name__}")
        return image_asset.image_uri

    @staticmethod
    def _authorizer(
        config: StageConfig, pool: cognito.IUserPool, clients: list[cognito.IUserPoolClient]
    ) -> agentcore.RuntimeAuthorizerConfiguration:
        """Cognito JWTs (client_id checked) by default; SigV4 when the stage asks for IAM."""
        if config.authorizer == "iam":
            return agentcore.RuntimeAuthorizerConfiguration.using_iam()
        return agentcore.RuntimeAuthorizerConfiguration.using_cognito(pool, clients)

    @staticmethod
    def _forwarded_headers(config: StageConfig) -> agentcore.RequestHeaderConfiguration:
        """Authorization for a JWT runtime; the end-user header for an IAM runtime (docs/agent.md, trust model)."""
        return agentcore.RequestHeaderConfiguration(allowlisted_headers=list(FORWARDED_HEADERS[config.authorizer]))

    def _environment(self, config: StageConfig) -> dict[str, str]:
        """What the agent reads at startup (agent/settings.py): model, store, logging, telemetry, and the
        authorizer type, so the agent reads the caller from the header this runtime forwards and no other."""
        return {
            "MODEL_PROVIDER": "bedrock",
            "MODEL_ID": config.model_id,
            "LOG_LEVEL": config.log_level,
            "AGENT_OBSERVABILITY_ENABLED": "true" if config.observability_enabled else "false",
            "AGENT_TELEMETRY_CAPTURE_CONTENT": "true" if config.telemetry_capture_content else "false",
            "AUTHORIZER_TYPE": config.authorizer,
            "FORGET_ME_ENABLED": "true" if config.forget_me else "false",
            **self.conversation_store.environment,
        }

    def _grant_model(self, model_id: str) -> None:
        """Invoke only the configured model: the profile (or model) directly, routed models via the profile."""
        access = model_access(model_id, partition=self.partition, region=self.region, account=self.account)
        self.runtime.add_to_role_policy(
            iam.PolicyStatement(
                sid="InvokeConfiguredModel", actions=list(INVOKE_MODEL_ACTIONS), resources=list(access.direct_arns)
            )
        )
        if access.via_profile_arns:
            self.runtime.add_to_role_policy(
                iam.PolicyStatement(
                    sid="InvokeModelThroughProfile",
                    actions=list(INVOKE_MODEL_ACTIONS),
                    resources=list(access.via_profile_arns),
                    conditions={"StringEquals": {INFERENCE_PROFILE_CONDITION: access.profile_arn}},
                )
            )

    def _publish(self, config: StageConfig) -> StackOutputs:
        outputs = StackOutputs(self, "Outputs", config=config)
        outputs.add(RUNTIME_ARN, self.runtime.agent_runtime_arn, "AgentCore Runtime ARN")
        outputs.add(RUNTIME_ID, self.runtime.agent_runtime_id, "AgentCore Runtime id")
        outputs.add(ENDPOINT_NAME, self.endpoint.endpoint_name, "Runtime endpoint to invoke (the qualifier)")
        outputs.add(EXECUTION_ROLE_ARN, self.execution_role.role_arn, "Role the agent runs as")
        outputs.add(IMAGE_URI, self.image_uri, "arm64 agent image, tagged by content hash")
        outputs.add(SESSION_STORE, self.conversation_store.kind, "Where conversations are kept")
        for store_output in self.conversation_store.outputs:
            outputs.add(store_output.key, store_output.value, store_output.description)
        outputs.add(AUTHORIZER_TYPE, config.authorizer, "How callers authenticate: jwt (Cognito bearer) or iam (SigV4)")
        outputs.add(REGION, self.region, "Region of the runtime and of the stage's user pool")
        return outputs
