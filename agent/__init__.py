"""Session-isolated Strands agent served through Bedrock AgentCore Runtime's HTTP contract."""
