"""The local agent's environment: the deployed configuration's offline twin.

WHY: the stack runs the agent with ``MODEL_PROVIDER=bedrock`` and ``SESSION_STORE=s3``; ``make local`` runs
the same: conversations go to an S3 bucket on the emulator (moto, already running for Cognito) through
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

import boto3
import botocore.session

from local.identity_pool import LOCAL_CREDENTIALS

logger = logging.getLogger(__name__)

SESSION_BUCKET = "agentcore-session-local"
SESSION_PREFIX = "sessions/"  # the stack's default prefix (cdk.json defaults.session_prefix)
STAND_IN_HELP = (
    "answers come from this stand-in (the project's reply script), not from a model.\n"
    "              For a real model, stop this and start it again with AWS credentials that may invoke Bedrock\n"
    "              (AWS_PROFILE=... make local; MODEL_ID picks the model), or with an OpenAI-compatible server:\n"
    "              MODEL_PROVIDER=openai OPENAI_BASE_URL=http://localhost:11434/v1 MODEL_ID=llama3.1 make local"
)


def aws_credentials_found() -> bool:
    """True when botocore's default credential chain finds credentials in this process's environment."""
    return botocore.session.Session().get_credentials() is not None


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


def twin_environment(
    *, emulator_url: str, region: str, bedrock_stand_in_url: str | None, credentials_found: bool
) -> TwinEnvironment:
    """The agent environment: S3 store on the emulator and, with a stand-in URL, Bedrock on the stand-in.

    Dummy credentials are added only when botocore finds none (moto and the stand-in accept any signature);
    real credentials are left alone so a configured Bedrock model keeps working.
    """
    bucket = create_session_bucket(endpoint_url=emulator_url, region=region)
    env = {
        "SESSION_STORE": "s3",
        "SESSION_BUCKET": bucket,
        "SESSION_PREFIX": SESSION_PREFIX,
        "AWS_ENDPOINT_URL_S3": emulator_url,
    }
    if not (os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")):
        env["AWS_REGION"] = region
    if not credentials_found:
        env.update(
            {
                "AWS_ACCESS_KEY_ID": LOCAL_CREDENTIALS["aws_access_key_id"],
                "AWS_SECRET_ACCESS_KEY": LOCAL_CREDENTIALS["aws_secret_access_key"],
            }
        )
    if bedrock_stand_in_url is not None:
        env.update({"MODEL_PROVIDER": "bedrock", "AWS_ENDPOINT_URL_BEDROCK_RUNTIME": bedrock_stand_in_url})
        model_line = f"Bedrock Runtime stand-in at {bedrock_stand_in_url}: {STAND_IN_HELP}"
    else:
        provider = os.environ.get("MODEL_PROVIDER", "").strip() or "bedrock"
        model_line = f"{provider} (from your environment: MODEL_PROVIDER, MODEL_ID, credentials)"
    store_line = f"s3://{bucket}/{SESSION_PREFIX} on the emulator, as deployed (kept until this runtime stops)"
    logger.info("bucket=<%s>, stand_in=<%s> | local agent environment ready", bucket, bedrock_stand_in_url)
    return TwinEnvironment(env=env, model_line=model_line, store_line=store_line)
