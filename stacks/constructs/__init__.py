"""Reusable constructs the stacks are built from."""
