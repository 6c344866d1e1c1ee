"""Which Bedrock ARNs a model id needs, so the execution role can invoke exactly that model.

A plain foundation-model id needs only its own ARN in the stack's region. An inference profile
(``us.``, ``eu.``, ``global.`` ...) needs the profile ARN and the foundation-model ARNs it routes
to; those are granted only *through* the profile (``bedrock:InferenceProfileArn`` condition), so the
role cannot call the model directly in another region. Destination regions follow the Bedrock user
guide's cross-Region inference tables; a geography can be overridden per stage if AWS adds regions.
"""

from __future__ import annotations

from dataclasses import dataclass

# bedrock:InvokeModel covers Converse; the stream action covers ConverseStream (what Strands calls).
INVOKE_MODEL_ACTIONS = ("bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream")

# Destination regions of geographic cross-Region inference profiles (Bedrock user guide,
# "Supported Regions and models for inference profiles"). Used only for "<geo>." profile ids.
GEOGRAPHY_DESTINATION_REGIONS: dict[str, tuple[str, ...]] = {
    "us": ("us-east-1", "us-east-2", "us-west-1", "us-west-2"),
    "us-gov": ("us-gov-east-1", "us-gov-west-1"),
    "eu": (
        "eu-central-1",
        "eu-central-2",
        "eu-north-1",
        "eu-south-1",
        "eu-south-2",
        "eu-west-1",
        "eu-west-2",
        "eu-west-3",
    ),
    "apac": (
        "ap-northeast-1",
        "ap-northeast-2",
        "ap-northeast-3",
        "ap-south-1",
        "ap-south-2",
        "ap-southeast-1",
        "ap-southeast-2",
        "ap-southeast-4",
    ),
    "jp": ("ap-northeast-1", "ap-northeast-3"),
    "au": ("ap-southeast-2", "ap-southeast-4"),
    "ca": ("ca-central-1", "ca-west-1"),
}
GLOBAL_PREFIX = "global"


@dataclass(frozen=True, kw_only=True)
class ModelAccess:
    """The resources of one model id: what may be invoked directly, and what only via the profile."""

    direct_arns: tuple[str, ...]
    via_profile_arns: tuple[str, ...]
    profile_arn: str | None


def split_model_id(model_id: str) -> tuple[str | None, str]:
    """``"us.anthropic.x"`` → ``("us", "anthropic.x")``; ``"anthropic.x"`` → ``(None, "anthropic.x")``."""
    head, _, rest = model_id.partition(".")
    if head == GLOBAL_PREFIX or head in GEOGRAPHY_DESTINATION_REGIONS:
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
        routed = tuple(
            f"arn:{partition}:bedrock:{destination}::foundation-model/{foundation_model}"
            for destination in GEOGRAPHY_DESTINATION_REGIONS[prefix]
        )
    return ModelAccess(direct_arns=(profile_arn,), via_profile_arns=routed, profile_arn=profile_arn)
