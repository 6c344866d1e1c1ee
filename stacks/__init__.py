"""CDK stacks, constructs and configuration for the AgentCore Session Stack."""
