"""The deployable unit: identity and runtime stacks, deployed directly or from a pipeline."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aws_cdk import Stage, Tags
from constructs import Construct

from stacks.config import StageConfig
from stacks.identity_stack import IdentityStack
from stacks.monitoring.monitoring_stack import MonitoringStack
from stacks.output_keys import IDENTITY, MONITORING, RUNTIME, stack_name
from stacks.runtime.runtime_stack import AGENT_DIR, RuntimeStack


class AgentCoreSessionStage(Stage):
    """One stage (dev, prod, ...) of the app. The stacks' construct ids are part of every logical id the
    pipeline deploys under: never rename them (tests/stacks/test_logical_ids.py pins the stateful ones).

    Attributes:
        identity: the Cognito stack.
        runtime: the AgentCore runtime stack (consumes ``identity`` by reference).
        monitoring: dashboard and alarms (consumes ``runtime`` by reference).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StageConfig,
        agent_dir: Path = AGENT_DIR,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.config = config
        self.identity = IdentityStack(
            self,
            IDENTITY,
            config=config,
            stack_name=stack_name(config.stage, IDENTITY),
            description=f"Cognito user pool and client trusted by the {config.stage} AgentCore runtime",
        )
        self.runtime = RuntimeStack(
            self,
            RUNTIME,
            config=config,
            user_pool=self.identity.user_pool,
            user_pool_client=self.identity.user_pool_client,
            agent_dir=agent_dir,
            stack_name=stack_name(config.stage, RUNTIME),
            description=f"AgentCore runtime, endpoint, execution role and conversation store ({config.stage})",
        )
        self.monitoring = MonitoringStack(
            self,
            MONITORING,
            config=config,
            runtime=self.runtime.runtime,
            endpoint_name=config.endpoint_name,
            stack_name=stack_name(config.stage, MONITORING),
            description=f"Dashboard and alarms of the {config.stage} AgentCore runtime",
        )
        Tags.of(self).add("app", config.app_name)
        Tags.of(self).add("stage", config.stage)
        for key, value in config.tags.items():
            Tags.of(self).add(key, value)
