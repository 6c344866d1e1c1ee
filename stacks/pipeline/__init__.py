"""The opt-in delivery pipeline: its stack, settings and smoke steps, and the acknowledgments of what CDK
Pipelines generates."""
