"""Command-line client for a deployed or local AgentCore runtime."""
