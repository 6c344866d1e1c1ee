"""Command-line client for a deployed or local AgentCore runtime: users, login, invoke, chat, demo, sessions."""
