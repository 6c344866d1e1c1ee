"""Constructs several stacks share: published outputs and the required-wildcard rule behind cdk-nag acknowledgments."""
