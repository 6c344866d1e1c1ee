"""Offline stand-in for AgentCore's front door, Cognito and the AWS APIs the agent uses."""
