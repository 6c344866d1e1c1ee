"""Conversation stores that outlive a session's microVM: an S3 prefix or an AgentCore Memory.

Each store knows the environment variables the agent reads to find it, the values other stacks
consume, and how to grant the runtime's role exactly the data-plane access it needs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from aws_cdk import Duration, RemovalPolicy, Validations, Acknowledgment
from aws_cdk import aws_bedrockagentcore as agentcore, aws_iam as iam, aws_s3 as s3
from constructs import Construct

from stacks.config import StageConfig

# Strands' S3SessionManager reads, writes and deletes JSON objects and lists them by prefix.
S3_OBJECT_ACTIONS = ("s3:GetObject", "s3:PutObject", "s3:DeleteObject")
S3_LIST_ACTIONS = ("s3:ListBucket",)


@dataclass(frozen=True, kw_only=True)
class StoreOutput:
    """One value a store publishes: output key, value, description."""

    key: str
    value: str
    description: str


class SessionStore(Protocol):
    """What the runtime stack needs from either store."""

    kind: str

    @property
    def environment(self) -> dict[str, str]: ...

    @property
    def outputs(self) -> list[StoreOutput]: ...

    def grant_sessions(self, grantee: iam.IGrantable) -> None: ...


class S3SessionStore(Construct):
    """A private, encrypted, TLS-only bucket; the runtime may touch objects under its prefix only."""

    kind = "s3"

    def __init__(self, scope: Construct, construct_id: str, *, config: StageConfig) -> None:
        super().__init__(scope, construct_id)
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
        return [StoreOutput(key="SessionBucketName", value=self.bucket.bucket_name, description="S3 bucket holding conversations")]

    def grant_sessions(self, grantee: iam.IGrantable) -> None:
        """Object access under the prefix, and listing restricted to keys under the prefix."""
        iam.Grant.add_to_principal(
            grantee=grantee,
            actions=list(S3_OBJECT_ACTIONS),
            resource_arns=[self.bucket.arn_for_objects(f"{self.prefix}*")],
        )
        grantee.grant_principal.add_to_principal_policy(
            iam.PolicyStatement(
                actions=list(S3_LIST_ACTIONS),
                resources=[self.bucket.bucket_arn],
                conditions={"StringLike": {"s3:prefix": [f"{self.prefix}*"]}},
            )
        )


class MemorySessionStore(Construct):
    """An AgentCore Memory with short-term events only; the runtime gets the event data-plane actions."""

    kind = "agentcore-memory"

    def __init__(self, scope: Construct, construct_id: str, *, config: StageConfig) -> None:
        super().__init__(scope, construct_id)
        self.memory = agentcore.Memory(
            self,
            "Memory",
            memory_name=f"{config.runtime_name[:40]}_memory",
            description=f"Conversations of {config.runtime_name} (short-term events only)",
            expiration_duration=Duration.days(config.memory_event_expiry_days),
        )
        # The L2 has no removal_policy prop and its default child is not the CfnMemory.
        for child in self.memory.node.children:
            if isinstance(child, agentcore.CfnMemory):
                child.apply_removal_policy(RemovalPolicy.RETAIN if config.retain else RemovalPolicy.DESTROY)

    @property
    def environment(self) -> dict[str, str]:
        return {"SESSION_STORE": "agentcore-memory", "MEMORY_ID": self.memory.memory_id}

    @property
    def outputs(self) -> list[StoreOutput]:
        return [StoreOutput(key="MemoryId", value=self.memory.memory_id, description="AgentCore Memory holding conversations")]

    def grant_sessions(self, grantee: iam.IGrantable) -> None:
        """Short-term event actions on this memory only: CreateEvent; GetEvent, ListEvents, ListActors,
        ListSessions; and DeleteEvent, which the Strands integration uses to replace an updated message."""
        self.memory.grant_write(grantee)
        self.memory.grant_read_short_term_memory(grantee)
        self.memory.grant_delete_short_term_memory(grantee)


def create_session_store(scope: Construct, construct_id: str, *, config: StageConfig) -> SessionStore:
    """The store the stage config asks for."""
    if config.session_store == "agentcore-memory":
        return MemorySessionStore(scope, construct_id, config=config)
    return S3SessionStore(scope, construct_id, config=config)
