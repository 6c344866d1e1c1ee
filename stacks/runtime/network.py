"""The runtime's network: public, or the stage's private subnets and security groups in a VPC.

WHY the security groups are required in VPC mode (no group created here): the AgentCore L2 would create one
whose ``GroupDescription`` (create-only) is its construct path, which differs between `make deploy` and the
pipeline's stage, so the documented hand-over replaces the group; the runtime's ENIs stay up to 8 hours after
the runtime is deleted (AgentCore developer guide, "Configure Amazon Bedrock AgentCore Runtime and tools for
VPC"), and they then block the old group's deletion. A retained group with a fixed description would outlive
every `make destroy` as an orphan in someone else's VPC. The VPC's owner creates the group beside the VPC
endpoints it must reach (docs/delivery.md, "VPC mode"), and its lifecycle stays theirs.

Subnets must be in the Availability Zones AgentCore supports (same guide, "Supported Availability Zones");
given ``availability_zone_ids``, synth checks them for the stack's Region.
"""

from __future__ import annotations

from aws_cdk import Stack, Token
from aws_cdk import aws_bedrockagentcore as agentcore
from aws_cdk import aws_ec2 as ec2
from constructs import Construct

from stacks.config import StageConfig
from stacks.validation import ConfigError, Problem

# AZ ids AgentCore Runtime places ENIs in, per Region (AgentCore developer guide, agentcore-vpc.html,
# "Supported Availability Zones"). A Region not listed is not checked.
SUPPORTED_AZ_IDS: dict[str, tuple[str, ...]] = {
    "us-east-1": ("use1-az1", "use1-az2", "use1-az4"),
    "us-east-2": ("use2-az1", "use2-az2", "use2-az3"),
    "us-west-2": ("usw2-az1", "usw2-az2", "usw2-az3"),
    "ca-central-1": ("cac1-az1", "cac1-az2", "cac1-az4"),
    "sa-east-1": ("sae1-az1", "sae1-az2", "sae1-az3"),
    "eu-west-1": ("euw1-az1", "euw1-az2", "euw1-az3"),
    "eu-west-2": ("euw2-az1", "euw2-az2", "euw2-az3"),
    "eu-west-3": ("euw3-az1", "euw3-az2", "euw3-az3"),
    "eu-central-1": ("euc1-az1", "euc1-az2", "euc1-az3"),
    "eu-north-1": ("eun1-az1", "eun1-az2", "eun1-az3"),
    "eu-south-1": ("eus1-az1", "eus1-az2", "eus1-az3"),
    "eu-south-2": ("eus2-az1", "eus2-az2", "eus2-az3"),
    "ap-south-1": ("aps1-az1", "aps1-az2", "aps1-az3"),
    "ap-northeast-1": ("apne1-az1", "apne1-az2", "apne1-az4"),
    "ap-northeast-2": ("apne2-az1", "apne2-az2", "apne2-az3"),
    "ap-southeast-1": ("apse1-az1", "apse1-az2", "apse1-az3"),
    "ap-southeast-2": ("apse2-az1", "apse2-az2", "apse2-az3"),
    "ap-southeast-5": ("apse5-az1", "apse5-az2", "apse5-az3"),
    "ap-southeast-7": ("apse7-az1", "apse7-az2", "apse7-az3"),
    "us-gov-west-1": ("usgw1-az1", "usgw1-az2", "usgw1-az3"),
}


def unsupported_zones(zone_ids: tuple[str, ...], region: str) -> list[Problem]:
    """One problem per AZ id AgentCore does not support in ``region`` (none for an unresolved or unlisted Region)."""
    if Token.is_unresolved(region) or region not in SUPPORTED_AZ_IDS:
        return []
    supported = SUPPORTED_AZ_IDS[region]
    return [
        Problem(
            f"availability_zone_ids[{index}]",
            zone,
            f"an AZ id AgentCore Runtime supports in {region}: {', '.join(supported)}",
        )
        for index, zone in enumerate(zone_ids)
        if zone not in supported
    ]


def runtime_network(scope: Construct, config: StageConfig) -> agentcore.RuntimeNetworkConfiguration:
    """Public by default; in VPC mode the given private subnets and security groups (validated in stacks/config.py).

    Raises:
        ConfigError: an AZ id AgentCore does not support in the stack's Region.
    """
    if config.network_mode == "public":
        return agentcore.RuntimeNetworkConfiguration.using_public_network()
    if config.vpc_id is None or not config.security_group_ids:
        raise ValueError("network_mode 'vpc' needs vpc_id and security_group_ids (stacks/config.py reports them)")
    problems = unsupported_zones(config.availability_zone_ids, Stack.of(scope).region)
    if problems:
        raise ConfigError(problems)
    vpc = ec2.Vpc.from_vpc_attributes(
        scope,
        "Vpc",
        vpc_id=config.vpc_id,
        availability_zones=[f"az{index}" for index, _ in enumerate(config.subnet_ids)],
        private_subnet_ids=list(config.subnet_ids),
    )
    return agentcore.RuntimeNetworkConfiguration.using_vpc(
        scope,
        vpc=vpc,
        vpc_subnets=ec2.SubnetSelection(
            subnets=[ec2.Subnet.from_subnet_id(scope, f"Subnet{i}", s) for i, s in enumerate(config.subnet_ids)]
        ),
        security_groups=[
            ec2.SecurityGroup.from_security_group_id(scope, f"SecurityGroup{index}", group_id)
            for index, group_id in enumerate(config.security_group_ids)
        ],
    )
