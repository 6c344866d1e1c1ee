"""The local agent's environment: the deployed configuration's offline twin.

WHY: the stack runs the agent with ``MODEL_PROVIDER=bedrock`` and ``SESSION_STORE=s3``; ``make local`` runs
the same (``make local LONG_TERM_MEMORY=1``: the Memory store with long-term strategies, as ``long_term_memory``
deploys it): conversations go to an S3 bucket on the emulator (moto, already running for Cognito) through
``AWS_ENDPOINT_URL_S3``, and the model is Bedrock. When no model is configured (no ``MODEL_PROVIDER`` and
no AWS credentials botocore can find), a fresh clone would answer ``model_error (NoCredentialsError)``;
then the unchanged Bedrock provider is pointed at the Bedrock Runtime stand-in through
``AWS_ENDPOINT_URL_BEDROCK_RUNTIME`` (botocore's service-specific endpoint variable), and the banner says
that answers come from the stand-in and how to use a real model.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import boto3
import botocore.credentials
import botocore.session
from botocore.exceptions import BotoCoreError

from local.identity_pool import LOCAL_CREDENTIALS
from local.reply_script import EXAMPLE_PROMPTS

if TYPE_CHECKING:
    from mypy_boto3_bedrock_agentcore_control.type_defs import MemoryStrategyInputTypeDef

logger = logging.getLogger(__name__)

SESSION_BUCKET = "agentcore-session-local"
MEMORY_NAME = "agentcore_session_local_memory"
# The stack's long-term strategies and namespaces (stacks/runtime/conversation_store.py LONG_TERM_NAMESPACES; local/
# may not import stacks/, tests/stacks/test_output_keys.py holds the two equal).
LONG_TERM_NAMESPACES = {"facts": "/facts/{actorId}/", "preferences": "/preferences/{actorId}/"}
SESSION_PREFIX = "sessions/"  # the stack's default prefix (cdk.json defaults.session_prefix)
# botocore's instance-metadata provider (EC2's 169.254.169.254): the one link of the chain that asks the network
# unasked (one or two 1-second timeouts off EC2); every other link reads files and variables, or is configured.
INSTANCE_METADATA_PROVIDER = "iam-role"


def stand_in_help(command: str) -> str:
    """What the banner says when answers come from the stand-in: the phrases it understands (the reply script's
    own examples) and how to start `command` (`make local`, `make dev`) with a real model instead."""
    return (
        "answers come from this stand-in (the project's reply script), not from a model.\n"
        f"              It understands only these phrases (anything else is echoed): {' | '.join(EXAMPLE_PROMPTS)}\n"
        "              For a real model, stop this and start it again with AWS credentials that may invoke Bedrock\n"
        f"              (AWS_PROFILE=... {command}; MODEL_ID picks the model), or with an OpenAI-compatible server:\n"
        f"              MODEL_PROVIDER=openai OPENAI_BASE_URL=http://localhost:11434/v1 MODEL_ID=llama3.1 {command}"
    )


def stand_in_environment(bedrock_stand_in_url: str) -> dict[str, str]:
    """What points the unchanged Bedrock provider at the stand-in (which, like moto, accepts any signature)."""
    return {"MODEL_PROVIDER": "bedrock", "AWS_ENDPOINT_URL_BEDROCK_RUNTIME": bedrock_stand_in_url}


def placeholder_credentials() -> dict[str, str]:
    """Credentials for botocore to sign with where nothing checks them (moto, the stand-in)."""
    return {
        "AWS_ACCESS_KEY_ID": LOCAL_CREDENTIALS["aws_access_key_id"],
        "AWS_SECRET_ACCESS_KEY": LOCAL_CREDENTIALS["aws_secret_access_key"],
    }


def aws_credentials_found() -> bool:
    """True when botocore's default credential chain, without its instance-metadata link, finds credentials.

    WHY without it: deciding whether to start the stand-in must not wait on the network. Environment variables,
    shared files, profiles (assume-role, SSO and `credential_process` included) and a container's credentials
    variables are all still consulted. On EC2 with nothing but an instance role, name the provider
    (`MODEL_PROVIDER=bedrock`) or use a profile with `credential_source = Ec2InstanceMetadata`. A chain that is
    configured but broken (say, a key id without its secret) counts as found: the agent's model error then says
    what to set, instead of the stand-in hiding the mistake.
    """
    resolver = botocore.credentials.create_credential_resolver(botocore.session.Session())
    resolver.remove(INSTANCE_METADATA_PROVIDER)
    try:
        return resolver.load_credentials() is not None
    except BotoCoreError:
        return True


def model_is_configured(env: Mapping[str, str], *, credentials_found: bool) -> bool:
    """A model is configured when ``MODEL_PROVIDER`` is set or AWS credentials are available for Bedrock."""
    return bool(env.get("MODEL_PROVIDER", "").strip()) or credentials_found


@dataclass(frozen=True)
class TwinEnvironment:
    """What the local agent gets on top of the environment it inherits, and what the banner says about it."""

    env: dict[str, str]
    model_line: str
    store_line: str


def create_session_bucket(*, endpoint_url: str, region: str) -> str:
    """Create the session bucket on the emulator (idempotent within one emulator)."""
    s3 = boto3.client("s3", region_name=region, endpoint_url=endpoint_url, **LOCAL_CREDENTIALS)
    s3.create_bucket(Bucket=SESSION_BUCKET)
    return SESSION_BUCKET


def create_long_term_memory(*, endpoint_url: str, region: str) -> str:
    """Create the Memory with the stack's long-term strategies on the emulator; its id."""
    control = boto3.client(
        "bedrock-agentcore-control", region_name=region, endpoint_url=endpoint_url, **LOCAL_CREDENTIALS
    )
    strategies: list[MemoryStrategyInputTypeDef] = [
        {"semanticMemoryStrategy": {"name": "facts", "namespaces": [LONG_TERM_NAMESPACES["facts"]]}},
        {"userPreferenceMemoryStrategy": {"name": "preferences", "namespaces": [LONG_TERM_NAMESPACES["preferences"]]}},
    ]
    memory = control.create_memory(name=MEMORY_NAME, eventExpiryDuration=30, memoryStrategies=strategies)
    return str(memory["memory"]["id"])


def long_term_namespaces() -> str:
    """LONG_TERM_MEMORY_NAMESPACES as the stack sets it: every strategy's namespaces, comma-separated."""
    return ",".join(LONG_TERM_NAMESPACES.values())


def _store_environment(*, emulator_url: str, region: str, long_term_memory: bool) -> tuple[dict[str, str], str]:
    """The store's variables and the banner's line: S3 as deployed, or the Memory with long-term strategies."""
    if long_term_memory:
        memory_id = create_long_term_memory(endpoint_url=emulator_url, region=region)
        env = {
            "SESSION_STORE": "agentcore-memory",
            "MEMORY_ID": memory_id,
            "LONG_TERM_MEMORY_NAMESPACES": long_term_namespaces(),
            "AWS_ENDPOINT_URL_BEDROCK_AGENTCORE": emulator_url,
        }
        line = (
            f"AgentCore Memory {memory_id} on the emulator with long-term memory ({long_term_namespaces()}; "
            "records extracted by its stand-in, local/memory_records.py)"
        )
        return env, line
    bucket = create_session_bucket(endpoint_url=emulator_url, region=region)
    env = {
        "SESSION_STORE": "s3",
        "SESSION_BUCKET": bucket,
        "SESSION_PREFIX": SESSION_PREFIX,
        "AWS_ENDPOINT_URL_S3": emulator_url,
    }
    return env, f"s3://{bucket}/{SESSION_PREFIX} on the emulator, as deployed (kept until this runtime stops)"


def twin_environment(
    *,
    emulator_url: str,
    region: str,
    bedrock_stand_in_url: str | None,
    credentials_found: bool,
    long_term_memory: bool = False,
) -> TwinEnvironment:
    """The agent environment: S3 store on the emulator (with ``long_term_memory``: the Memory store with the stack's
    long-term strategies, as ``long_term_memory: true`` deploys it) and, with a stand-in URL, Bedrock on the stand-in.

    Dummy credentials are added only when botocore finds none (moto and the stand-in accept any signature);
    real credentials are left alone so a configured Bedrock model keeps working.
    """
    env, store_line = _store_environment(emulator_url=emulator_url, region=region, long_term_memory=long_term_memory)
    if not (os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")):
        env["AWS_REGION"] = region
    if not credentials_found:
        env.update(placeholder_credentials())
    if bedrock_stand_in_url is not None:
        env.update(stand_in_environment(bedrock_stand_in_url))
        model_line = f"Bedrock Runtime stand-in at {bedrock_stand_in_url}: {stand_in_help('make local')}"
    else:
        provider = os.environ.get("MODEL_PROVIDER", "").strip() or "bedrock"
        model_line = f"{provider} (from your environment: MODEL_PROVIDER, MODEL_ID, credentials)"
    logger.info("store=<%s>, stand_in=<%s> | local agent environment ready", env["SESSION_STORE"], bedrock_stand_in_url)
    return TwinEnvironment(env=env, model_line=model_line, store_line=store_line)
