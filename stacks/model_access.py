"""Which Bedrock ARNs a model id needs, so the execution role can invoke exactly that model.

A plain foundation-model id needs only its own ARN in the stack's region. An inference profile
(``us.``, ``eu.``, ``global.`` ...) needs the profile ARN and the foundation-model ARNs it routes
to; those are granted only *through* the profile (``bedrock:InferenceProfileArn`` condition), so the
role cannot call the model directly in any region.

WHY a region wildcard for geographic profiles: a geographic profile routes to the destination Regions
AWS lists for it today, and AWS adds Regions to a geography without notice; a hard-coded list then
gives intermittent AccessDenied whenever a request lands in the new Region. The Bedrock user guide's
documented pattern ("Prerequisites for inference profiles", inference-profiles-prereq.html: invoke the
foundation model only through an inference profile, ``arn:aws:bedrock:*::foundation-model/*`` with
the ``bedrock:InferenceProfileArn`` condition; "Geographic cross-Region inference", IAM policy
requirements) is what this module grants, narrowed to the one foundation model and the one profile.
"""

from __future__ import annotations

from dataclasses import dataclass

# bedrock:InvokeModel covers Converse; the stream action covers ConverseStream (what Strands calls).
INVOKE_MODEL_ACTIONS = ("bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream")
# Geography prefixes of system-defined cross-Region inference profiles (Bedrock user guide,
# "Supported Regions and models for inference profiles"); their destination Regions are not listed here.
GEOGRAPHY_PREFIXES = ("us", "us-gov", "eu", "apac", "jp", "au", "ca")
GLOBAL_PREFIX = "global"
INFERENCE_PROFILE_CONDITION = "bedrock:InferenceProfileArn"


@dataclass(frozen=True, kw_only=True)
class ModelAccess:
    """The resources of one model id: what may be invoked directly, and what only via the profile."""

    direct_arns: tuple[str, ...]
    via_profile_arns: tuple[str, ...]
    profile_arn: str | None


def split_model_id(model_id: str) -> tuple[str | None, str]:
    """``"us.anthropic.x"`` → ``("us", "anthropic.x")``; ``"anthropic.x"`` → ``(None, "anthropic.x")``."""
    head, _, rest = model_id.partition(".")
    if head == GLOBAL_PREFIX or head in GEOGRAPHY_PREFIXES:
        return head, rest
    return None, model_id


def model_access(model_id: str, *, partition: str, region: str, account: str) -> ModelAccess:
    """ARNs the execution role needs for model_id in the given (possibly token) environment."""
    prefix, foundation_model = split_model_id(model_id)
    if prefix is None:
        return ModelAccess(
            direct_arns=(f"arn:{partition}:bedrock:{region}::foundation-model/{foundation_model}",),
            via_profile_arns=(),
            profile_arn=None,
        )
    profile_arn = f"arn:{partition}:bedrock:{region}:{account}:inference-profile/{model_id}"
    if prefix == GLOBAL_PREFIX:
        # A global profile routes to any commercial region; IAM sees the source region's ARN and
        # the region-less foundation-model ARN.
        routed: tuple[str, ...] = (
            f"arn:{partition}:bedrock:{region}::foundation-model/{foundation_model}",
            f"arn:{partition}:bedrock:::foundation-model/{foundation_model}",
        )
    else:
        routed = (f"arn:{partition}:bedrock:*::foundation-model/{foundation_model}",)
    return ModelAccess(direct_arns=(profile_arn,), via_profile_arns=routed, profile_arn=profile_arn)
