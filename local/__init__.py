"""Offline stand-ins for AgentCore's front door, Cognito, the AWS APIs and the models, and the process helper.

bench/ and tests/ use these too: the Bedrock Runtime stand-in, the OpenAI stub, moto, starting and stopping servers.
"""
