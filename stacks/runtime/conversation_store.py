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

from aws_cdk import Acknowledgment, Duration, RemovalPolicies, RemovalPolicy, Validations
from aws_cdk import aws_bedrockagentcore as agentcore
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from constructs import Construct

from stacks.config import StageConfig
from stacks.iam_wildcards import RequiredWildcard
from stacks.output_keys import LONG_TERM_MEMORY_NAMESPACES, MEMORY_ID, SESSION_BUCKET_NAME

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
# With long-term memory, agent/erasure_records.py RecordsEraser also calls list_memory_extraction_jobs (waits for
# the caller's pending extraction), list_memory_records (namespacePath = the caller's namespaces) and
# batch_delete_memory_records; each needs the permission of its own name (botocore's bedrock-agentcore model
# documentation of each operation; the service authorization reference's "Actions defined by Amazon Bedrock
# AgentCore", memory resource). Not DeleteMemoryRecord (one call a record) nor GetMemoryRecord: never called.
MEMORY_RECORD_ERASE_ACTIONS = (
    "bedrock-agentcore:ListMemoryExtractionJobs",
    "bedrock-agentcore:ListMemoryRecords",
    "bedrock-agentcore:BatchDeleteMemoryRecords",
)
# Long-term memory (stage setting long_term_memory): bedrock_agentcore 1.25 memory/integrations/strands/
# session_manager.py retrieve_customer_context → MemoryClient.retrieve_memories → retrieve_memory_records, once per
# user turn and configured namespace. Nothing else of the long-term API is on the agent's turn path.
MEMORY_RECALL_ACTIONS = ("bedrock-agentcore:RetrieveMemoryRecords",)
# The built-in strategies a chat assistant needs, each with the one namespace its records go to (by strategy name).
# Every namespace ends with a delimiter after the actor id: retrieval by namespacePath is a prefix match, and
# "/facts/bob" would also match bob-x's "/facts/bob-x/" (AgentCore devguide, memory-organization: "use
# /actors/alice/ rather than /actors/alice"). No {memoryStrategyId} in them: the service assigns strategy ids at
# create and CloudFormation exposes none (cfn-lint's AWS::BedrockAgentCore::Memory schema lists StrategyId as
# read-only, and CfnMemory has no attribute for it), so the agent could fill one in only by calling GetMemory;
# a fixed segment per strategy keeps each namespace fully known at synth (the agent gets them in
# LONG_TERM_MEMORY_NAMESPACES).
LONG_TERM_NAMESPACES = {"facts": "/facts/{actorId}/", "preferences": "/preferences/{actorId}/"}
# The object grant of S3ConversationStore.grant_sessions, as cdk-nag renders it (construct id SessionStore).
S3_OBJECT_RESOURCE = r"<SessionStoreBucket[0-9A-F]{8}\.Arn>/[a-z0-9][a-z0-9/_-]*/\*"
S3_OBJECT_REASON = (
    "Strands' S3 session manager writes one object per session, agent and message with generated keys; access is "
    "confined to the store's prefix of this one bucket."
)
S3_OBJECT_WILDCARD = RequiredWildcard(resource=S3_OBJECT_RESOURCE, actions=S3_OBJECT_ACTIONS, reason=S3_OBJECT_REASON)
# With forget-me on, the same prefix may also be deleted: a statement of its own on the same resource, which this
# entry explains with the object statement (a statement matches when its actions are a subset of the entry's).
S3_ERASE_WILDCARD = RequiredWildcard(
    resource=S3_OBJECT_RESOURCE,
    actions=(*S3_OBJECT_ACTIONS, *S3_ERASE_ACTIONS),
    reason=S3_OBJECT_REASON + " Forget-me deletes a caller's objects by those generated keys under the same "
    "prefix; the role is shared by every user, so the agent (not IAM) confines a deletion to its caller.",
)
CONSTRUCT_ID = "SessionStore"


def memory_name(config: StageConfig) -> str:
    """The stage's ``memory_name``, else ``<runtime_name>_memory`` (the runtime name cut to 40 characters, so the
    result fits the 48 characters the name pattern allows), for either Memory store."""
    return config.memory_name or f"{config.runtime_name[:40]}_memory"


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


class LongTermMemoryStore(Construct):
    """An AgentCore Memory with long-term strategies (stage setting ``long_term_memory``): user preferences and
    semantic facts, extracted from the conversation's events into per-actor namespaces (``LONG_TERM_NAMESPACES``).

    WHY the L2 here: strategies are what the L2 ``Memory`` is for (``MemoryStrategy.using_user_preference`` /
    ``using_semantic`` render the built-in ``userPreferenceMemoryStrategy`` / ``semanticMemoryStrategy`` with our
    namespaces: aws-cdk-lib 2.275 managed-strategy.js ``render()``), and its ``grant`` scopes actions to this memory.
    It also creates a service role (memory.js ``_createMemoryRole``) that built-in strategies never assume (they
    get no policy; only overrides and self-managed strategies do). The ``CfnMemory`` sits at the same path
    (``SessionStore/Memory/Memory``) as the short-term store's, so turning the setting on updates that memory in
    place (``Name`` is its only create-only property besides the key, cfn-lint's schema).
    """

    kind = "agentcore-memory"
    required_wildcards: tuple[RequiredWildcard, ...] = ()  # the grant names this memory's ARN

    def __init__(self, scope: Construct, construct_id: str, *, config: StageConfig) -> None:
        super().__init__(scope, construct_id)
        self.forget_me = config.forget_me
        self.memory = agentcore.Memory(
            self,
            "Memory",
            memory_name=memory_name(config),
            description=f"Conversations and long-term memory of {config.runtime_name}",
            expiration_duration=Duration.days(config.memory_event_expiry_days),
            memory_strategies=[
                agentcore.MemoryStrategy.using_semantic(
                    strategy_name="facts", namespaces=[LONG_TERM_NAMESPACES["facts"]]
                ),
                agentcore.MemoryStrategy.using_user_preference(
                    strategy_name="preferences", namespaces=[LONG_TERM_NAMESPACES["preferences"]]
                ),
            ],
        )
        # The stage's removal policy on the memory only (a retained stage keeps its conversations). The L2 takes no
        # removal policy and names its CfnMemory "Memory", not "Resource", so it has no ``node.default_child`` and its
        # ``apply_removal_policy`` raises; ``RemovalPolicies`` (aws-cdk-lib core, removal-policies.d.ts) applies the
        # policy by CloudFormation type, at synthesis, to the CfnMemory alone: the L2's service role keeps none.
        RemovalPolicies.of(self.memory).apply(
            RemovalPolicy.RETAIN if config.retain else RemovalPolicy.DESTROY,
            apply_to_resource_types=[agentcore.CfnMemory.CFN_RESOURCE_TYPE_NAME],
        )

    @property
    def namespaces(self) -> str:
        """The namespace templates, comma-separated, as the agent reads them (LONG_TERM_MEMORY_NAMESPACES)."""
        return ",".join(LONG_TERM_NAMESPACES.values())

    @property
    def environment(self) -> dict[str, str]:
        return {
            "SESSION_STORE": "agentcore-memory",
            "MEMORY_ID": self.memory.memory_id,
            "LONG_TERM_MEMORY_NAMESPACES": self.namespaces,
        }

    @property
    def outputs(self) -> list[StoreOutput]:
        return [
            StoreOutput(
                key=MEMORY_ID, value=self.memory.memory_id, description="AgentCore Memory holding conversations"
            ),
            StoreOutput(
                key=LONG_TERM_MEMORY_NAMESPACES,
                value=self.namespaces,
                description="Long-term memory namespaces ({actorId}: the caller)",
            ),
        ]

    def grant_sessions(self, grantee: iam.IGrantable) -> None:
        """The short-term event actions and long-term recall, on this memory only (the L2's ``grant`` over the
        named actions; its grant_read_long_term_memory would add ListMemoryRecords, GetMemoryRecord, ListActors
        and ListSessions, none of which the agent calls)."""
        erase = (*MEMORY_ERASE_ACTIONS, *MEMORY_RECORD_ERASE_ACTIONS) if self.forget_me else ()
        self.memory.grant(grantee, *MEMORY_EVENT_ACTIONS, *MEMORY_RECALL_ACTIONS, *erase)


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
            name=memory_name(config),
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
    if config.session_store == "agentcore-memory" and config.long_term_memory:
        return LongTermMemoryStore(scope, CONSTRUCT_ID, config=config)
    if config.session_store == "agentcore-memory":
        return MemoryConversationStore(scope, CONSTRUCT_ID, config=config)
    return S3ConversationStore(scope, CONSTRUCT_ID, config=config)
