"""Web content stack: the built app and its config.json copied into the hosting bucket, then an invalidation.

Last in the deploy order: config.json names the runtime (ARN, endpoint) and the web client, so it is written
after both exist, by CDK's BucketDeployment (its Lambda copies the files; ``Source.json_data`` resolves the
other stacks' values at deploy time). No hand edits, and nothing secret: ids and public URLs only.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aws_cdk import Fn, Stack
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_deployment as s3_deployment
from constructs import Construct

from stacks.config import StageConfig
from stacks.constructs.stack_outputs import export_name
from stacks.output_keys import WEB_BUCKET_NAME, WEB_DISTRIBUTION_ID, WEB_URL
from stacks.web.content_findings import acknowledge_deployment_findings
from stacks.web.hosting_stack import CONFIG_FILE, INDEX

WEB_DIST = Path(__file__).resolve().parents[2] / "web" / "dist"


class WebContentStack(Stack):
    """Deploys ``web_dist`` and config.json to the hosting stack's bucket and invalidates its distribution.

    WHY by export name rather than by reference: the bucket then appears in the deployment's policy as the
    import of a name this app chooses (``<app>-<stage>-WebBucketName``), so the IAM5 acknowledgments computed
    here name the very resource cdk-nag reports; the stage adds the dependency on the hosting stack explicitly.

    Attributes:
        deployment: the BucketDeployment (its handler's role is acknowledged narrowly, content_findings.py).
        app_config: config.json's content (tokens of the other stacks until deploy time).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StageConfig,
        app_config: dict[str, str],
        web_dist: Path = WEB_DIST,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        if not (web_dist / INDEX).is_file():
            raise FileNotFoundError(f"{web_dist / INDEX} is missing: build the web app first (make web)")
        self.app_config = app_config
        bucket = s3.Bucket.from_bucket_name(self, "Bucket", Fn.import_value(export_name(config, WEB_BUCKET_NAME)))
        distribution = cloudfront.Distribution.from_distribution_attributes(
            self,
            "Distribution",
            distribution_id=Fn.import_value(export_name(config, WEB_DISTRIBUTION_ID)),
            domain_name=Fn.select(2, Fn.split("/", Fn.import_value(export_name(config, WEB_URL)))),
        )
        self.deployment = s3_deployment.BucketDeployment(
            self,
            "Files",
            sources=[
                s3_deployment.Source.asset(str(web_dist), exclude=[CONFIG_FILE]),
                s3_deployment.Source.json_data(CONFIG_FILE, app_config),
            ],
            destination_bucket=bucket,
            distribution=distribution,
            distribution_paths=["/*"],
            prune=True,
            retain_on_delete=False,
            memory_limit=256,
        )
        acknowledge_deployment_findings(self)


def app_config(
    *, region: str, runtime_arn: str, qualifier: str, user_pool_id: str, client_id: str, cognito_domain: str
) -> dict[str, str]:
    """config.json as web/src/config.js reads it (the twin's is written by local/web_app.py)."""
    return {
        "region": region,
        "runtimeArn": runtime_arn,
        "qualifier": qualifier,
        "userPoolId": user_pool_id,
        "clientId": client_id,
        "cognitoDomain": cognito_domain,
    }
