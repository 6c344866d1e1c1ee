"""Conversation stores that outlive a session's microVM: an S3 prefix or an AgentCore Memory.

Each store knows the environment variables the agent reads to find it, the values other stacks
consume, how to grant the runtime's role exactly the data-plane access it needs, and the wildcards
that grant holds (acknowledged to cdk-nag with the role's own, stacks/runtime/execution_role.py).

WHY "conversation store": the agent has its own ``SessionStore`` (agent/session_store.py, the session
managers it opens per request); these are the AWS resources behind it. The construct id stays
``SessionStore``: renaming it would change the bucket's logical id and replace the bucket.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from aws_cdk import Acknowledgment, Duration, RemovalPolicy, Validations
from aws_cdk import aws_bedrockagentcore as agentcore
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from constructs import Construct

from stacks.config import StageConfig
from stacks.iam_wildcards import RequiredWildcard
from stacks.output_keys import MEMORY_ID, SESSION_BUCKET_NAME

# What the agent's code path calls (checked in .venv, strands-agents 1.62 / bedrock-agentcore 1.25):
# - strands/session/s3_session_manager.py: get_object (_read_s3_object), put_object (_write_s3_object),
#   head_object (create_session; HeadObject is authorized by s3:GetObject), list_objects_v2 (list_messages);
#   its delete_session (DeleteObjects) is never called by the agent or by RepositorySessionManager.
# - agent/session_owners.py S3OwnerRecords: get_object and a conditional put_object, no delete.
S3_OBJECT_ACTIONS = ("s3:GetObject", "s3:PutObject")
S3_LIST_ACTIONS = ("s3:ListBucket",)
# - bedrock_agentcore/memory/integrations/strands/session_manager.py: create_event, list_events, get_event,
#   delete_event (replacing an updated message); retrieve_memories only with a retrieval_config, which the
#   agent never sets. agent/session_owners.py AgentCoreMemoryOwnerRecords: create_event, list_events.
#   No ListActors / ListSessions anywhere on that path (they are in the L2's grant_read_short_term_memory).
MEMORY_EVENT_ACTIONS = (
    "bedrock-agentcore:CreateEvent",
    "bedrock-agentcore:GetEvent",
    "bedrock-agentcore:ListEvents",
    "bedrock-agentcore:DeleteEvent",
)
# Forget-me (stage setting ``forget_me``), granted only when it is on. agent/erasure_stores.py: S3StoreEraser
# lists the caller's keys (ListBucket, already granted) and calls delete_object on each (DeleteObject);
# agent/session_owners.py S3OwnerRecords.release reads (GetObject) and deletes (DeleteObject) the owner record.
# MemoryStoreEraser calls list_sessions (ListSessions), list_events and delete_event (already granted above);
# AgentCoreMemoryOwnerRecords.release lists and deletes owner events (the same). Action names: the service
# authorization reference ("Actions defined by Amazon S3": DeleteObject on the object resource; "Amazon Bedrock
# AgentCore": ListSessions on the memory resource) and botocore's bedrock-agentcore model, whose ListSessions
# documentation names the bedrock-agentcore:ListSessions permission.
S3_ERASE_ACTIONS = ("s3:DeleteObject",)
MEMORY_ERASE_ACTIONS = ("bedrock-agentcore:ListSessions",)
# The object grant of S3ConversationStore.grant_sessions, as cdk-nag renders it (construct id SessionStore).
S3_OBJECT_RESOURCE = r"<SessionStoreBucket[0-9A-F]{8}\.Arn>/[a-z0-9][a-z0-9/_-]*/\*"
S3_OBJECT_REASON = (
    "Strands' S3 session manager writes one object per session, agent and message with generated keys; access is "
    "confined to the store's prefix of this one bucket."
)
S3_OBJECT_WILDCARD = RequiredWildcard(resource=S3_OBJECT_RESOURCE, actions=S3_OBJECT_ACTIONS, reason=S3_OBJECT_REASON)
# With forget-me on, the same prefix may also be deleted (CDK merges the grants into one statement).
S3_ERASE_WILDCARD = RequiredWildcard(
    resource=S3_OBJECT_RESOURCE,
    actions=(*S3_OBJECT_ACTIONS, *S3_ERASE_ACTIONS),
    reason=S3_OBJECT_REASON + " Forget-me deletes a caller's objects by those generated keys under the same "
    "prefix; the role is shared by every user, so the agent (not IAM) confines a deletion to its caller.",
)
CONSTRUCT_ID = "SessionStore"


@dataclass(frozen=True, kw_only=True)
class StoreOutput:
    """One value a store publishes: output key, value, description."""

    key: str
    value: str
    description: str


class ConversationStore(Protocol):
    """What the runtime stack needs from either store."""

    kind: str
    required_wildcards: tuple[RequiredWildcard, ...]

    @property
    def environment(self) -> dict[str, str]: ...

    @property
    def outputs(self) -> list[StoreOutput]: ...

    def grant_sessions(self, grantee: iam.IGrantable) -> None: ...


class S3ConversationStore(Construct):
    """A private, encrypted, TLS-only bucket; the runtime may touch objects under its prefix only."""

    kind = "s3"
    # Every wildcard a configuration may need (the IAM audit's list); an instance narrows it to its own below.
    required_wildcards: tuple[RequiredWildcard, ...] = (S3_OBJECT_WILDCARD, S3_ERASE_WILDCARD)

    def __init__(self, scope: Construct, construct_id: str, *, config: StageConfig) -> None:
        super().__init__(scope, construct_id)
        self.forget_me = config.forget_me
        self.required_wildcards = (S3_ERASE_WILDCARD,) if config.forget_me else (S3_OBJECT_WILDCARD,)
        self.prefix = config.session_prefix
        self.bucket = s3.Bucket(
            self,
            "Bucket",
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            minimum_tls_version=1.2,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            versioned=False,
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="ExpireConversations",
                    prefix=self.prefix,
                    expiration=Duration.days(config.session_expiry_days),
                    abort_incomplete_multipart_upload_after=Duration.days(1),
                )
            ],
            removal_policy=RemovalPolicy.RETAIN if config.retain else RemovalPolicy.DESTROY,
        )
        Validations.of(self.bucket).acknowledge(
            Acknowledgment(
                id="AwsSolutions::AwsSolutions-S1",
                reason="Only the runtime's role can reach this bucket (no public access, TLS only); "
                "object-level auditing belongs to CloudTrail data events, which accounts enable centrally.",
            )
        )

    @property
    def environment(self) -> dict[str, str]:
        return {"SESSION_STORE": "s3", "SESSION_BUCKET": self.bucket.bucket_name, "SESSION_PREFIX": self.prefix}

    @property
    def outputs(self) -> list[StoreOutput]:
        return [
            StoreOutput(
                key=SESSION_BUCKET_NAME, value=self.bucket.bucket_name, description="S3 bucket holding conversations"
            )
        ]

    def grant_sessions(self, grantee: iam.IGrantable) -> None:
        """Object reads and writes under the prefix; listing of the bucket, which holds nothing else.

        WHY ListBucket without an ``s3:prefix`` condition: S3 answers a GetObject/HeadObject of a missing
        key with 404 only to a caller allowed s3:ListBucket on the bucket, else with 403 (S3 API reference,
        GetObject "Permissions"; the same text is in botocore/data/s3/2006-03-01/service-2.json). A new
        session hinges on that 404 (Strands' create_session checks the HeadObject error code for "404"; the
        owner records catch NoSuchKey), and whether a ListBucket grant conditioned on s3:prefix counts for a
        GetObject request (which carries no s3:prefix) is not documented. The bucket is this store's alone,
        so listing it reveals nothing the role cannot read.
        """
        iam.Grant.add_to_principal(
            grantee=grantee,
            actions=list(S3_OBJECT_ACTIONS),
            resource_arns=[self.bucket.arn_for_objects(f"{self.prefix}*")],
        )
        iam.Grant.add_to_principal(
            grantee=grantee, actions=list(S3_LIST_ACTIONS), resource_arns=[self.bucket.bucket_arn]
        )
        if self.forget_me:
            iam.Grant.add_to_principal(
                grantee=grantee,
                actions=list(S3_ERASE_ACTIONS),
                resource_arns=[self.bucket.arn_for_objects(f"{self.prefix}*")],
            )


class MemoryConversationStore(Construct):
    """An AgentCore Memory with short-term events only; the runtime gets the event data-plane actions.

    WHY the L1 and not the L2 ``Memory``: the L2 always creates a service role (aws-cdk-lib 2.275,
    aws-bedrockagentcore/lib/memory/memory.js: ``props.executionRole ?? this._createMemoryRole()``) and sets
    ``MemoryExecutionRoleArn``, which AgentCore uses only to invoke models for self-managed or custom
    strategies (the L2's README: "memories that do not use custom strategies do not require a service role").
    This memory has no strategy at all, so the role would be an unused principal. The ``CfnMemory`` keeps the
    L2's construct path (``SessionStore/Memory/Memory``, memory.js: ``new CfnMemory(this, "Memory", …)``),
    hence its logical id.
    """

    kind = "agentcore-memory"
    required_wildcards: tuple[RequiredWildcard, ...] = ()  # the grant names this memory's ARN

    def __init__(self, scope: Construct, construct_id: str, *, config: StageConfig) -> None:
        super().__init__(scope, construct_id)
        self.forget_me = config.forget_me
        self.memory = agentcore.CfnMemory(
            Construct(self, "Memory"),
            "Memory",
            name=config.memory_name or f"{config.runtime_name[:40]}_memory",
            description=f"Conversations of {config.runtime_name} (short-term events only)",
            event_expiry_duration=config.memory_event_expiry_days,
        )
        self.memory.apply_removal_policy(RemovalPolicy.RETAIN if config.retain else RemovalPolicy.DESTROY)

    @property
    def environment(self) -> dict[str, str]:
        return {"SESSION_STORE": "agentcore-memory", "MEMORY_ID": self.memory.attr_memory_id}

    @property
    def outputs(self) -> list[StoreOutput]:
        return [
            StoreOutput(
                key=MEMORY_ID, value=self.memory.attr_memory_id, description="AgentCore Memory holding conversations"
            )
        ]

    def grant_sessions(self, grantee: iam.IGrantable) -> None:
        """The short-term event actions the agent calls, on this memory only (see MEMORY_EVENT_ACTIONS), and
        ListSessions only with forget-me on; not the L2's grant_read_short_term_memory, which adds ListActors."""
        actions = [*MEMORY_EVENT_ACTIONS, *(MEMORY_ERASE_ACTIONS if self.forget_me else ())]
        iam.Grant.add_to_principal(grantee=grantee, actions=actions, resource_arns=[self.memory.attr_memory_arn])


def create_conversation_store(scope: Construct, *, config: StageConfig) -> ConversationStore:
    """The store the stage config asks for, under the construct id ``SessionStore`` (never renamed)."""
    if config.session_store == "agentcore-memory":
        return MemoryConversationStore(scope, CONSTRUCT_ID, config=config)
    return S3ConversationStore(scope, CONSTRUCT_ID, config=config)
