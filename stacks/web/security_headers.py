"""The response headers CloudFront adds to every answer of the web app: CSP, HSTS, framing, sniffing, referrer."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_cloudfront as cloudfront
from constructs import Construct

HSTS_SECONDS = 63072000  # two years, the preload list's minimum is one


def connect_sources(*, region: str, login_domain_url: str) -> tuple[str, ...]:
    """Exactly what the app talks to: its own origin (config.json is fetched), the runtime's WebSocket, the
    managed login domain (token endpoint) and Cognito's issuer URL (discovery document and keys). The hosts are
    the ones the AgentCore and Cognito guides name (``bedrock-agentcore.<region>.amazonaws.com``,
    ``cognito-idp.<region>.amazonaws.com``), written out so the policy is one literal string per Region."""
    return (
        "'self'",
        f"wss://bedrock-agentcore.{region}.amazonaws.com",
        login_domain_url,
        f"https://cognito-idp.{region}.amazonaws.com",
    )


def content_security_policy(connect: tuple[str, ...]) -> str:
    """Same-origin scripts and styles only (Vite emits no inline script); no framing, no plugins, no base tag."""
    return "; ".join(
        (
            "default-src 'none'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' data:",
            "font-src 'self'",
            f"connect-src {' '.join(connect)}",
            "manifest-src 'self'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
            "object-src 'none'",
        )
    )


def security_headers_policy(scope: Construct, construct_id: str, *, csp: str) -> cloudfront.ResponseHeadersPolicy:
    """Headers that override whatever the origin sends."""
    return cloudfront.ResponseHeadersPolicy(
        scope,
        construct_id,
        comment="Web chat: CSP, HSTS, no framing",
        security_headers_behavior=cloudfront.ResponseSecurityHeadersBehavior(
            content_security_policy=cloudfront.ResponseHeadersContentSecurityPolicy(
                content_security_policy=csp, override=True
            ),
            strict_transport_security=cloudfront.ResponseHeadersStrictTransportSecurity(
                access_control_max_age=Duration.seconds(HSTS_SECONDS),
                include_subdomains=True,
                preload=True,
                override=True,
            ),
            frame_options=cloudfront.ResponseHeadersFrameOptions(
                frame_option=cloudfront.HeadersFrameOption.DENY, override=True
            ),
            content_type_options=cloudfront.ResponseHeadersContentTypeOptions(override=True),
            referrer_policy=cloudfront.ResponseHeadersReferrerPolicy(
                referrer_policy=cloudfront.HeadersReferrerPolicy.NO_REFERRER, override=True
            ),
        ),
    )
