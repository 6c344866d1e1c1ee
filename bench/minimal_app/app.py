#!/usr/bin/env python3
"""The synth-time yardstick: a one-stack CDK app (one S3 bucket), what `cdk init app` grows into first.

The benchmark synthesizes it with the same CDK CLI and flags as the project's app, in the same run.
"""

import aws_cdk as cdk
from aws_cdk import aws_s3 as s3


class MinimalStack(cdk.Stack):
    """One bucket: the smallest stack that still synthesizes a resource."""

    def __init__(self, scope: cdk.App, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        s3.Bucket(self, "Bucket")


app = cdk.App()
MinimalStack(app, "BenchMinimal")
app.synth()
