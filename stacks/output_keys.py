"""What a deployed stage publishes: its stack names and output keys, the one list every consumer derives from.

The stacks add their outputs under these keys, the pipeline's smoke step forwards the ones a client needs,
and the `make deploy` / pipeline scripts read them back. Pure Python (no CDK import), so
scripts/pipeline_smoke.py can import it where only the client is installed (the pipeline's smoke step).
client/ and local/ may not import stacks/: for them the contract is the outputs file `make deploy` writes,
and tests/stacks/test_output_keys.py checks what they read and write against the synthesized outputs.
"""

from __future__ import annotations

STACK_NAME_PREFIX = "AgentCoreSession"
# The stacks of a stage; each is also that stack's construct id in the stage (never renamed: see stage.py).
IDENTITY = "Identity"
RUNTIME = "Runtime"
MONITORING = "Monitoring"
# The web stacks (JWT stages only: a browser cannot sign SigV4), in their deploy order.
WEB_HOSTING = "WebHosting"
WEB_LOGIN = "WebLogin"
WEB_CONTENT = "WebContent"

# Identity stack.
USER_POOL_ID = "UserPoolId"
USER_POOL_CLIENT_ID = "UserPoolClientId"
OIDC_DISCOVERY_URL = "OidcDiscoveryUrl"
# Runtime stack.
RUNTIME_ARN = "RuntimeArn"
RUNTIME_ID = "RuntimeId"
ENDPOINT_NAME = "EndpointName"
EXECUTION_ROLE_ARN = "ExecutionRoleArn"
IMAGE_URI = "ImageUri"
SESSION_STORE = "SessionStore"
SESSION_BUCKET_NAME = "SessionBucketName"
MEMORY_ID = "MemoryId"
LONG_TERM_MEMORY_NAMESPACES = "LongTermMemoryNamespaces"
AUTHORIZER_TYPE = "AuthorizerType"
REGION = "Region"
# Web stacks.
WEB_URL = "WebUrl"
WEB_BUCKET_NAME = "WebBucketName"
WEB_DISTRIBUTION_ID = "WebDistributionId"
WEB_CLIENT_ID = "WebClientId"
LOGIN_DOMAIN_URL = "LoginDomainUrl"
# Monitoring stack (plain outputs: no export, no SSM parameter).
DASHBOARD_NAME = "DashboardName"
ALARM_TOPIC_ARN = "AlarmTopicArn"

# Exported or not: CloudFormation refuses to change or delete an export while another stack imports it
# ("Export ... cannot be updated as it is in use by ..."; AWS CloudFormation user guide, "Exporting stack output
# values"), so an export whose value changes with a setting, or that only some settings publish, would block that
# setting's change for good once anything imported it. What changes with configuration or code is published as
# a plain output and an SSM parameter only (consumers read it at deploy time, see docs/delivery.md); what is
# stable for the life of the stage is exported too. tests/stacks/test_deploy_rehearsal.py checks that no export
# disappears or changes value when the authorizer or the session store changes.
EXPORTED_OUTPUTS = frozenset(
    {
        USER_POOL_ID,  # the pool lives as long as the stage (retained in prod) and is kept in IAM mode too
        USER_POOL_CLIENT_ID,
        OIDC_DISCOVERY_URL,
        EXECUTION_ROLE_ARN,  # a generated role name, no setting replaces it
        REGION,
    }
)
# SSM and a plain output only, and why: what changes with configuration or code.
SSM_ONLY_OUTPUTS: dict[str, str] = {
    RUNTIME_ARN: "runtime_name is create-only: renaming replaces the runtime, so its ARN changes",
    RUNTIME_ID: "runtime_name is create-only: renaming replaces the runtime, so its id changes",
    ENDPOINT_NAME: "changes with endpoint_name",
    IMAGE_URI: "changes with every change of the agent's code",
    SESSION_STORE: "changes with session_store",
    SESSION_BUCKET_NAME: "published only with the s3 store",
    MEMORY_ID: "published only with the agentcore-memory store",
    LONG_TERM_MEMORY_NAMESPACES: "published only with long_term_memory on",
    AUTHORIZER_TYPE: "changes with authorizer",
}

# The store's own outputs, by StageConfig.session_store.
STORE_OUTPUTS: dict[str, tuple[str, ...]] = {"s3": (SESSION_BUCKET_NAME,), "agentcore-memory": (MEMORY_ID,)}
# What a client needs to reach the runtime (client/targets.py reads these from the outputs file), plus the
# runtime id the pipeline's readiness check polls: what the smoke step forwards and writes for the client.
CLIENT_OUTPUTS: dict[str, tuple[str, ...]] = {
    RUNTIME: (RUNTIME_ARN, RUNTIME_ID, ENDPOINT_NAME, AUTHORIZER_TYPE, REGION),
    IDENTITY: (USER_POOL_ID, USER_POOL_CLIENT_ID),
}


def stack_prefix(stage: str) -> str:
    """``dev`` → ``AgentCoreSession-dev``: the one naming rule for a stage's stacks."""
    return f"{STACK_NAME_PREFIX}-{stage}"


def stack_name(stage: str, stack: str) -> str:
    """``("dev", RUNTIME)`` → ``AgentCoreSession-dev-Runtime``."""
    return f"{stack_prefix(stage)}-{stack}"


def published_outputs(
    session_store: str, *, authorizer: str = "jwt", long_term_memory: bool = False
) -> dict[str, tuple[str, ...]]:
    """Every output key each stack of a stage publishes, for the stage's ``session_store``, ``authorizer`` and
    ``long_term_memory``.

    Raises:
        KeyError: ``session_store`` is not a store the stacks know.
    """
    web = (
        {WEB_HOSTING: (WEB_URL, WEB_BUCKET_NAME, WEB_DISTRIBUTION_ID), WEB_LOGIN: (WEB_CLIENT_ID, LOGIN_DOMAIN_URL)}
        if authorizer == "jwt"
        else {}
    )
    return {
        **web,
        IDENTITY: (USER_POOL_ID, USER_POOL_CLIENT_ID, OIDC_DISCOVERY_URL),
        RUNTIME: (
            RUNTIME_ARN,
            RUNTIME_ID,
            ENDPOINT_NAME,
            EXECUTION_ROLE_ARN,
            IMAGE_URI,
            SESSION_STORE,
            *STORE_OUTPUTS[session_store],
            *((LONG_TERM_MEMORY_NAMESPACES,) if long_term_memory else ()),
            AUTHORIZER_TYPE,
            REGION,
        ),
        MONITORING: (DASHBOARD_NAME, ALARM_TOPIC_ARN),
        **({WEB_CONTENT: ()} if web else {}),
    }
