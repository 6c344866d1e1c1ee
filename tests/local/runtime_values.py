"""The runtime the front door tests stand in front of: its ARN, endpoint and region."""

from __future__ import annotations

REGION = "us-east-1"
RUNTIME_ARN = "arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/agentcore_session_dev-Ab12Cd34Ef"
ENDPOINT = "live"
