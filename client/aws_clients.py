"""boto3 clients for a target, with retries and the local endpoint override in one place.

WHY: throttling is retried by botocore's standard retry mode with exponential backoff; `--local` points
every AWS call at moto with throwaway credentials so no real account is ever touched.
"""

from __future__ import annotations

from typing import Any

import boto3
from botocore.config import Config

from client.targets import Target

# 6 attempts in all: the first call and up to 5 retries. `total_max_attempts` counts the first call; the older
# `max_attempts` key counts retries only, so `max_attempts: 5` means the same (botocore/config.py, args.py).
_RETRIES = Config(retries={"mode": "standard", "total_max_attempts": 6}, connect_timeout=5, read_timeout=300)
_LOCAL_CREDENTIALS = {"aws_access_key_id": "local", "aws_secret_access_key": "local"}


def aws_client(service: str, target: Target) -> Any:
    """A boto3 client for `service` in the target's region (moto for a local target)."""
    if target.is_local:
        return boto3.client(
            service,
            region_name=target.region,
            endpoint_url=target.aws_endpoint_url,
            config=_RETRIES,
            **_LOCAL_CREDENTIALS,
        )
    return boto3.client(service, region_name=target.region, config=_RETRIES)
