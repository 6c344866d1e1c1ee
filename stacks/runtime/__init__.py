"""The runtime stack: the AgentCore Runtime, its execution role and its conversation store, with their
acknowledgments."""
