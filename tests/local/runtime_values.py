"""The runtime the front door tests stand in front of: its ARN, endpoint and region."""

from __future__ import annotations

from local.sigv4_authorizer import LocalKeyPair

REGION = "us-east-1"
RUNTIME_ARN = "arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/agentcore_session_dev-Ab12Cd34Ef"
ENDPOINT = "live"
# The key pair the SigV4 front door fixtures accept.
KEY_PAIR = LocalKeyPair(
    access_key_id="AKIALOCALTESTKEY0001", secret_access_key="local-test-secret-of-forty-characters-00"
)
