"""The deployable unit: identity and runtime stacks, deployed directly or from a pipeline."""

from __future__ import annotations

from pathlib import Path

from aws_cdk import Stage, Tags
from constructs import Construct

from stacks.config import StageConfig
from stacks.identity_stack import IdentityStack
from stacks.monitoring_stack import MonitoringStack
from stacks.runtime_stack import AGENT_DIR, RuntimeStack


class AgentCoreSessionStage(Stage):
    """One stage (dev, prod, ...) of the app.

    Attributes:
        identity: the Cognito stack.
        runtime: the AgentCore runtime stack (consumes ``identity`` by reference).
        monitoring: dashboard and alarms (consumes ``runtime`` by reference).
    """

    def __init__(
        self, scope: Construct, construct_id: str, *, config: StageConfig, agent_dir: Path = AGENT_DIR, **kwargs
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.config = config
        self.identity = IdentityStack(
            self,
            "Identity",
            config=config,
            stack_name=f"{config.stack_prefix}-Identity",
            description=f"Cognito user pool and client trusted by the {config.stage} AgentCore runtime",
        )
        self.runtime = RuntimeStack(
            self,
            "Runtime",
            config=config,
            user_pool=self.identity.user_pool,
            user_pool_client=self.identity.user_pool_client,
            agent_dir=agent_dir,
            stack_name=f"{config.stack_prefix}-Runtime",
            description=f"AgentCore runtime, endpoint, execution role and conversation store ({config.stage})",
        )
        self.monitoring = MonitoringStack(
            self,
            "Monitoring",
            config=config,
            runtime=self.runtime.runtime,
            endpoint_name=config.endpoint_name,
            stack_name=f"{config.stack_prefix}-Monitoring",
            description=f"Dashboard and alarms of the {config.stage} AgentCore runtime",
        )
        Tags.of(self).add("app", config.app_name)
        Tags.of(self).add("stage", config.stage)
        for key, value in config.tags.items():
            Tags.of(self).add(key, value)
