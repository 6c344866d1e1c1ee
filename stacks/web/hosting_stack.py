"""Web hosting stack: a private bucket served only through CloudFront (Origin Access Control), HTTPS only,
security headers, SPA routing. First of the web stacks: the login client needs the distribution's URL."""

from __future__ import annotations

from typing import Any

from aws_cdk import Acknowledgment, Duration, RemovalPolicy, Stack, Validations
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_cloudfront_origins as origins
from aws_cdk import aws_s3 as s3
from constructs import Construct

from stacks.config import StageConfig
from stacks.constructs.stack_outputs import StackOutputs
from stacks.output_keys import WEB_BUCKET_NAME, WEB_DISTRIBUTION_ID, WEB_URL
from stacks.web.login_domain import domain_prefix, login_domain_url
from stacks.web.security_headers import connect_sources, content_security_policy, security_headers_policy

INDEX = "index.html"
CONFIG_FILE = "config.json"
# SPA routing: a path with no object (S3 answers 403 to OAC for a missing key) serves the app, which routes itself.
SPA_ERROR_STATUSES = (403, 404)

ACCEPTED_DISTRIBUTION_FINDINGS: dict[str, str] = {
    "AwsSolutions-CFR1": "The chat is for the pool's admin-created users wherever they are; sign-in, not geography, "
    "restricts it.",
    "AwsSolutions-CFR2": "Static files only behind the distribution; the runtime and Cognito have their own "
    "throttling. Attach a WAF web ACL per account if required (it is billed per rule and request).",
    "AwsSolutions-CFR3": "Access logs need a second, ACL-enabled log bucket; the distribution serves public static "
    "files and CloudFront's standard metrics cover it. Enable logging per account if required.",
    "AwsSolutions-CFR4": "The distribution uses CloudFront's default *.cloudfront.net certificate, for which "
    "CloudFront fixes the minimum viewer protocol; a custom domain with its own certificate lifts it to TLSv1.2_2021.",
}
ACCEPTED_BUCKET_FINDINGS: dict[str, str] = {
    "AwsSolutions-S1": "The web bucket holds the public static build only and is read solely by CloudFront through "
    "Origin Access Control; its writes come from the content stack's deployment, recorded by CloudTrail.",
}


def stage_login_domain_url(stack: Stack, config: StageConfig) -> str:
    """The managed login URL of this stage in ``stack``'s account and region (also used for the CSP)."""
    return login_domain_url(
        domain_prefix(app_name=config.app_name, stage=config.stage, account=stack.account), stack.region
    )


class WebHostingStack(Stack):
    """Bucket and distribution of the web app.

    Attributes:
        bucket: the private bucket holding the built app and its config.json.
        distribution: the CloudFront distribution serving it.
        web_url: ``https://<distribution domain>``, the app's origin (Cognito's callback and sign-out URL).
        stack_outputs: the published outputs (stacks/output_keys.py).
    """

    def __init__(self, scope: Construct, construct_id: str, *, config: StageConfig, **kwargs: Any) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.bucket = s3.Bucket(
            self,
            "Bucket",
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            # Emptied by the content stack's deployment when that stack is deleted (retain_on_delete=False).
            removal_policy=RemovalPolicy.RETAIN if config.retain else RemovalPolicy.DESTROY,
        )
        csp = content_security_policy(
            connect_sources(region=self.region, login_domain_url=stage_login_domain_url(self, config))
        )
        self.distribution = self._distribution(security_headers_policy(self, "SecurityHeaders", csp=csp))
        self.web_url = f"https://{self.distribution.distribution_domain_name}"
        self._acknowledge_findings()
        self.stack_outputs = StackOutputs(self, "Outputs", config=config)
        self.stack_outputs.add(WEB_URL, self.web_url, "The web chat's URL")
        self.stack_outputs.add(WEB_BUCKET_NAME, self.bucket.bucket_name, "Bucket holding the web app's files")
        self.stack_outputs.add(WEB_DISTRIBUTION_ID, self.distribution.distribution_id, "CloudFront distribution id")

    def _distribution(self, headers: cloudfront.IResponseHeadersPolicy) -> cloudfront.Distribution:
        origin = origins.S3BucketOrigin.with_origin_access_control(self.bucket)
        return cloudfront.Distribution(
            self,
            "Distribution",
            comment="Web chat of the AgentCore runtime",
            default_root_object=INDEX,
            http_version=cloudfront.HttpVersion.HTTP2_AND_3,
            price_class=cloudfront.PriceClass.PRICE_CLASS_100,
            default_behavior=cloudfront.BehaviorOptions(
                origin=origin,
                viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
                cache_policy=cloudfront.CachePolicy.CACHING_OPTIMIZED,
                response_headers_policy=headers,
                allowed_methods=cloudfront.AllowedMethods.ALLOW_GET_HEAD,
            ),
            additional_behaviors={
                # The runtime config changes with every deploy of the stacks it names: never cached.
                f"/{CONFIG_FILE}": cloudfront.BehaviorOptions(
                    origin=origin,
                    viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
                    cache_policy=cloudfront.CachePolicy.CACHING_DISABLED,
                    response_headers_policy=headers,
                    allowed_methods=cloudfront.AllowedMethods.ALLOW_GET_HEAD,
                )
            },
            error_responses=[
                cloudfront.ErrorResponse(
                    http_status=status,
                    response_http_status=200,
                    response_page_path=f"/{INDEX}",
                    ttl=Duration.seconds(0),
                )
                for status in SPA_ERROR_STATUSES
            ],
        )

    def _acknowledge_findings(self) -> None:
        """Deliberate choices, each on the one construct it concerns."""
        for rule, reason in ACCEPTED_DISTRIBUTION_FINDINGS.items():
            Validations.of(self.distribution).acknowledge(Acknowledgment(id=f"AwsSolutions::{rule}", reason=reason))
        for rule, reason in ACCEPTED_BUCKET_FINDINGS.items():
            Validations.of(self.bucket).acknowledge(Acknowledgment(id=f"AwsSolutions::{rule}", reason=reason))
