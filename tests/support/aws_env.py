"""Environment for processes that talk to the AWS emulator: fake credentials and a fixed region."""

from __future__ import annotations

REGION = "us-east-1"
CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}


def emulator_env(endpoint_url: str) -> dict[str, str]:
    """Env vars pointing every boto3 client of a subprocess at the emulator."""
    return {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_ENDPOINT_URL": endpoint_url,
    }
