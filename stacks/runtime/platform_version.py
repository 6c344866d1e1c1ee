"""Which AgentCore Runtime platform version a stage's runtime is pinned to, per Region.

WHY pinned: since 2026-11-12 AgentCore creates new runtimes on platform V2 (restore from a snapshot taken after
startup) by default in some Regions and on V1 elsewhere, so an unpinned runtime lands on whatever the service
defaults to where it is deployed. ``platform_version`` in cdk.json (default ``V2``) makes the choice explicit.

Sources:
- AWS What's New, 2026-11-12, "The new AgentCore Runtime is now the default"
  (aws.amazon.com/about-aws/whats-new/2026/11/new-agentcore-runtime-default/): the Regions listed below, where V2
  is the default for new runtimes; elsewhere ``platformVersion`` V2 is to be set explicitly where offered, and an
  existing runtime stays on its version until it is updated with another ``platformVersion``.
- cfn-lint 1.58's bundled schema of AWS::BedrockAgentCore::Runtime: ``PlatformVersion`` is a string and not in
  ``createOnlyProperties`` (only ``AgentRuntimeName`` is), so a change is an in-place update, which makes a new
  runtime version (devguide, agent-runtime-versioning: every update creates a new version).
- aws-cdk-lib 2.275 ``RuntimeProps.platformVersion`` (aws-bedrockagentcore/lib/runtime/runtime.d.ts): omitted, the
  property is not rendered and the service applies its default.

A V2 Region is only one the primary source lists: a Region missing here may offer V2 too, but the stack then
leaves the choice to the service and says so at synth rather than risk a create the service refuses.
"""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import Annotations, CfnResource, Token
from aws_cdk import aws_bedrockagentcore as agentcore

# What's New 2026-11-12, in its order: N. Virginia, Ohio, Oregon, Canada (Central), São Paulo, Frankfurt, Ireland,
# London, Milan, Paris, Spain, Stockholm, Malaysia, Mumbai, Seoul, Singapore, Sydney, Thailand, Tokyo.
V2_REGIONS = frozenset(
    {
        "us-east-1",
        "us-east-2",
        "us-west-2",
        "ca-central-1",
        "sa-east-1",
        "eu-central-1",
        "eu-west-1",
        "eu-west-2",
        "eu-south-1",
        "eu-west-3",
        "eu-south-2",
        "eu-north-1",
        "ap-southeast-5",
        "ap-south-1",
        "ap-northeast-2",
        "ap-southeast-1",
        "ap-southeast-2",
        "ap-southeast-7",
        "ap-northeast-1",
    }
)
# Stated on a Runtime whose PlatformVersion is left to the service, so every runtime states its choice.
CHOICE_METADATA_KEY = "PlatformVersionChoice"
SOURCE = "AWS What's New 2026-11-12"


@dataclass(frozen=True)
class PlatformChoice:
    """The version to render (None: the service default), and what synth should say about it.

    Attributes:
        version: ``V1``, ``V2`` or None (property not rendered).
        warning: a reason the configured version was not rendered, for a synth warning.
        info: a fact worth saying at synth that changes nothing (the Region is unknown).
    """

    version: str | None
    warning: str | None = None
    info: str | None = None


def choose_platform(configured: str | None, region: str) -> PlatformChoice:
    """``configured`` (cdk.json's ``platform_version``) for a runtime in ``region`` (possibly a token).

    V2 is rendered where the source lists it; in an environment-agnostic synth the Region is unknown, so the
    check is skipped and V2 rendered as configured; elsewhere the choice is left to the service, with a warning.
    """
    if configured != "V2":
        return PlatformChoice(configured)
    if Token.is_unresolved(region):
        return PlatformChoice(
            "V2",
            info=f"platform_version V2 not checked against the Regions offering it ({SOURCE}): Region unknown at synth",
        )
    if region in V2_REGIONS:
        return PlatformChoice("V2")
    return PlatformChoice(
        None,
        warning=f"platform_version V2 is not offered in {region} per {SOURCE}; left to the service default there",
    )


def platform_version(choice: PlatformChoice) -> agentcore.PlatformVersion | None:
    """The L2's value for ``choice`` (None: not rendered)."""
    return agentcore.PlatformVersion.of(choice.version) if choice.version else None


def apply_platform_choice(runtime: agentcore.Runtime, choice: PlatformChoice) -> None:
    """Say at synth what ``choice`` says, and state on an unpinned runtime why it is unpinned."""
    if choice.warning:
        Annotations.of(runtime).add_warning_v2("agentcore-session:platformVersion", choice.warning)
    if choice.info:
        Annotations.of(runtime).add_info(choice.info)
    if choice.version is None:
        resource = runtime.node.default_child
        if not isinstance(resource, CfnResource):
            raise TypeError(f"expected the runtime's CfnRuntime, found {type(resource).__name__}")
        resource.add_metadata(CHOICE_METADATA_KEY, f"service default: {choice.warning or 'platform_version unset'}")
