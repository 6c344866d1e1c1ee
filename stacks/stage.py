"""The deployable unit: identity and runtime stacks, deployed directly or from a pipeline."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aws_cdk import Stage, Tags
from constructs import Construct

from stacks.config import StageConfig
from stacks.identity_stack import IdentityStack
from stacks.monitoring.monitoring_stack import MonitoringStack
from stacks.output_keys import IDENTITY, MONITORING, RUNTIME, WEB_CONTENT, WEB_HOSTING, WEB_LOGIN, stack_name
from stacks.runtime.runtime_stack import AGENT_DIR, RuntimeStack
from stacks.web.content_stack import WEB_DIST, WebContentStack, app_config
from stacks.web.hosting_stack import WebHostingStack
from stacks.web.login_stack import WebLoginStack


class AgentCoreSessionStage(Stage):
    """One stage (dev, prod, ...) of the app. The stacks' construct ids are part of every logical id the
    pipeline deploys under: never rename them (tests/stacks/test_logical_ids.py pins the stateful ones).

    Attributes:
        identity: the Cognito stack.
        runtime: the AgentCore runtime stack (consumes ``identity`` by reference).
        monitoring: dashboard and alarms (consumes ``runtime`` by reference).
        web_hosting, web_login, web_content: the browser chat's stacks (None with the IAM authorizer, which a
            browser cannot use). Deploy order, acyclic: WebHosting → WebLogin (client; needs the distribution's
            URL) → Runtime (its authorizer allows the client) → WebContent (files + config.json, invalidation).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StageConfig,
        agent_dir: Path = AGENT_DIR,
        web_dist: Path = WEB_DIST,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.config = config
        self.web_hosting: WebHostingStack | None = None
        self.web_login: WebLoginStack | None = None
        self.web_content: WebContentStack | None = None
        self.identity = IdentityStack(
            self,
            IDENTITY,
            config=config,
            stack_name=stack_name(config.stage, IDENTITY),
            description=f"Cognito user pool and client trusted by the {config.stage} AgentCore runtime",
        )
        web = self._web_login_stacks(config) if config.authorizer == "jwt" else None
        if web:
            self.web_hosting, self.web_login = web
        self.runtime = RuntimeStack(
            self,
            RUNTIME,
            config=config,
            user_pool=self.identity.user_pool,
            user_pool_client=self.identity.user_pool_client,
            agent_dir=agent_dir,
            web_client=web[1].client if web else None,
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
        if web:
            self.web_content = self._web_content_stack(config, web_dist, *web)
        Tags.of(self).add("app", config.app_name)
        Tags.of(self).add("stage", config.stage)
        for key, value in config.tags.items():
            Tags.of(self).add(key, value)

    def _web_login_stacks(self, config: StageConfig) -> tuple[WebHostingStack, WebLoginStack]:
        """The first two web stacks, before the runtime that must allow the web client."""
        hosting = WebHostingStack(
            self,
            WEB_HOSTING,
            config=config,
            stack_name=stack_name(config.stage, WEB_HOSTING),
            description=f"Bucket and CloudFront distribution of the {config.stage} web chat",
        )
        login = WebLoginStack(
            self,
            WEB_LOGIN,
            config=config,
            user_pool=self.identity.user_pool,
            web_url=hosting.web_url,
            stack_name=stack_name(config.stage, WEB_LOGIN),
            description=f"Cognito managed login domain and web client of the {config.stage} web chat",
        )
        return hosting, login

    def _web_content_stack(
        self, config: StageConfig, web_dist: Path, hosting: WebHostingStack, login: WebLoginStack
    ) -> WebContentStack:
        """The last web stack: the built app and a config.json naming the runtime and the web client."""
        content = WebContentStack(
            self,
            WEB_CONTENT,
            config=config,
            app_config=app_config(
                region=self.runtime.region,
                runtime_arn=self.runtime.runtime.agent_runtime_arn,
                qualifier=self.runtime.endpoint.endpoint_name,
                user_pool_id=self.identity.user_pool.user_pool_id,
                client_id=login.client.user_pool_client_id,
                cognito_domain=login.login_domain_url,
            ),
            web_dist=web_dist,
            stack_name=stack_name(config.stage, WEB_CONTENT),
            description=f"Files and config.json of the {config.stage} web chat",
        )
        content.add_stack_dependency(hosting, "imports the bucket and distribution by export name")
        return content
