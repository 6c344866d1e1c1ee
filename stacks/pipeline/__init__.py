"""The opt-in delivery pipeline: its stack, settings, smoke steps and the acknowledgments of what CDK Pipelines generates."""
