"""The AWS calls an agent made, as IAM sees them: service, action, resource ARN and condition keys.

WHY recorded at the servers, not in the agent: the agent stays unchanged and every request that reached an
"AWS" endpoint counts, whoever made it (Strands, the owner records, a library we did not expect). S3 and
any other service land in moto, whose request recorder writes each request (method, raw URL, headers) to a
file; Bedrock Runtime calls land in the stand-in, which records them itself. The agent's calls are told
from the test's own by their SigV4 access key id.

Request → IAM action, from the Service Authorization Reference:
- Amazon S3 (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazons3.html):
  GetObject and HeadObject → ``s3:GetObject``; PutObject (conditional writes included) → ``s3:PutObject``;
  DeleteObject and DeleteObjects → ``s3:DeleteObject``; ListObjects(V2) and HeadBucket → ``s3:ListBucket``
  on the bucket, with ``s3:prefix`` when the request has a prefix.
- Amazon Bedrock (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonbedrock.html):
  Converse → ``bedrock:InvokeModel``, ConverseStream → ``bedrock:InvokeModelWithResponseStream``. A call
  through an inference profile is authorized on the profile, and on each foundation model it may route to
  with ``bedrock:InferenceProfileArn`` = the profile (Bedrock user guide, inference profile prerequisites and
  cross-Region inference; a ``global.`` profile: the source region's and the region-less foundation-model ARN).
- Amazon Bedrock AgentCore (https://docs.aws.amazon.com/service-authorization/latest/reference/
  list_amazonbedrockagentcore.html): each Memory data-plane operation is the action of its name
  (``bedrock-agentcore:CreateEvent``, ``…:RetrieveMemoryRecords``) on the memory's ARN; the operation is found
  from the request's method and path in botocore's ``bedrock-agentcore`` model.
Every call also carries ``aws:SecureTransport`` = true and, for S3, ``s3:TlsVersion`` = 1.2: deployed, botocore
speaks HTTPS and urllib3 2 negotiates TLS 1.2 at least (``ssl_minimum_version`` default).
A request this module cannot map raises, naming it, so a new kind of call cannot pass unchecked.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import botocore.session

from local.bedrock_runtime import CONVERSE, CONVERSE_STREAM, ConverseCall
from stacks.model_access import GLOBAL_PREFIX, split_model_id

_CREDENTIAL = re.compile(r"Credential=([^/]+)/\d{8}/([^/]+)/([^/]+)/aws4_request")
_BEDROCK_ACTIONS = {CONVERSE: "bedrock:InvokeModel", CONVERSE_STREAM: "bedrock:InvokeModelWithResponseStream"}
TRANSPORT_CONTEXT = {"aws:SecureTransport": "true"}
# Destination Regions of geographic profiles (Bedrock user guide, "Supported Regions and models for inference
# profiles"), plus one Region AWS might add to each: the role must allow a request routed to any of them.
GEOGRAPHY_DESTINATION_REGIONS: dict[str, tuple[str, ...]] = {
    "us": ("us-east-1", "us-east-2", "us-west-1", "us-west-2", "us-south-9"),
    "us-gov": ("us-gov-east-1", "us-gov-west-1"),
    "eu": ("eu-central-1", "eu-north-1", "eu-south-1", "eu-west-1", "eu-west-3", "eu-east-9"),
    "apac": ("ap-northeast-1", "ap-south-1", "ap-southeast-2", "ap-southeast-9"),
    "jp": ("ap-northeast-1", "ap-northeast-3"),
    "au": ("ap-southeast-2", "ap-southeast-4"),
    "ca": ("ca-central-1", "ca-west-1"),
}


class UnmappedCall(ValueError):
    """A recorded request this module does not know the IAM action of."""


@dataclass(frozen=True)
class AwsCall:
    """One authorization request IAM would evaluate for a call.

    Attributes:
        action: ``service:Action``.
        resource: the resource ARN.
        context: condition keys and their values.
        request: what was sent (for messages).
    """

    action: str
    resource: str
    context: dict[str, str] = field(default_factory=dict)
    request: str = ""


def recorded_moto_calls(
    recording: Path, *, access_key_id: str, partition: str = "aws", account: str | None = None
) -> list[AwsCall]:
    """The calls signed with ``access_key_id`` in a moto recording, oldest first (``account``: the stage's, for
    the ARNs of AgentCore Memory calls)."""
    calls: list[AwsCall] = []
    for line in recording.read_text(encoding="utf-8").splitlines():
        entry = json.loads(line)
        credential = _CREDENTIAL.search(entry["headers"].get("Authorization", ""))
        if credential is None or credential.group(1) != access_key_id:
            continue
        service, region = credential.group(3), credential.group(2)
        if service == "s3":
            calls.append(_s3_call(entry["method"], entry["url"], partition))
        elif service == "bedrock-agentcore" and account is not None:
            calls.append(
                _memory_call(entry["method"], entry["url"], partition=partition, region=region, account=account)
            )
        else:
            raise UnmappedCall(f"call to {service}: {entry['method']} {entry['url']} (no IAM mapping for this service)")
    return calls


@functools.cache
def _memory_operations() -> list[tuple[str, re.Pattern[str], str, int]]:
    """(method, path pattern, operation, literal length) of every bedrock-agentcore operation on a memory."""
    model = botocore.session.get_session().get_service_model("bedrock-agentcore")
    routes = []
    for name in model.operation_names:
        http = model.operation_model(name).http
        path = http["requestUri"].split("?")[0]
        if not path.startswith("/memories/{memoryId}"):
            continue
        pattern = re.sub(r"\\\{(\w+)\+?\\\}", lambda m: f"(?P<{m.group(1)}>[^/]+)", re.escape(path))
        routes.append((http["method"], re.compile(f"^{pattern}/?$"), name, len(re.sub(r"\{[^}]+\}", "", path))))
    return routes


def _memory_call(method: str, url: str, *, partition: str, region: str, account: str) -> AwsCall:
    """An AgentCore Memory data-plane request → its action on the memory's ARN (the most specific route wins)."""
    parts = urlsplit(url)
    path = unquote(parts.path)
    matches = [
        (literal, name, match)
        for route_method, pattern, name, literal in _memory_operations()
        if route_method == method and (match := pattern.match(path))
    ]
    if not matches:
        raise UnmappedCall(f"bedrock-agentcore request {method} {parts.path} matches no Memory operation")
    _, operation, match = max(matches, key=lambda found: found[0])
    memory_id = match.group("memoryId").rsplit("memory/", 1)[-1]
    arn = f"arn:{partition}:bedrock-agentcore:{region}:{account}:memory/{memory_id}"
    return AwsCall(f"bedrock-agentcore:{operation}", arn, dict(TRANSPORT_CONTEXT), f"{method} {parts.path}")


def _s3_call(method: str, url: str, partition: str) -> AwsCall:
    """Path-style S3 request → IAM request (moto is reached by IP address, so botocore uses path style)."""
    parts = urlsplit(url)
    bucket, _, key = parts.path.lstrip("/").partition("/")
    query = parse_qs(parts.query, keep_blank_values=True)
    described = f"{method} {parts.path}{'?' + parts.query if parts.query else ''}"
    context = {**TRANSPORT_CONTEXT, "s3:TlsVersion": "1.2"}
    bucket_arn = f"arn:{partition}:s3:::{unquote(bucket)}"
    if key:
        object_arn = f"{bucket_arn}/{unquote(key)}"
        actions = {"GET": "s3:GetObject", "HEAD": "s3:GetObject", "PUT": "s3:PutObject", "DELETE": "s3:DeleteObject"}
        if method in actions and not {"uploadId", "uploads", "acl", "tagging"} & query.keys():
            return AwsCall(actions[method], object_arn, context, described)
    elif (
        method in ("GET", "HEAD")
        and not {"acl", "policy", "location", "versioning", "tagging", "uploads", "versions"} & query.keys()
    ):
        if "prefix" in query:
            context["s3:prefix"] = query["prefix"][0]
        return AwsCall("s3:ListBucket", bucket_arn, context, described)
    raise UnmappedCall(
        f"S3 request {described} has no IAM mapping here; add it from the Service Authorization Reference"
    )


def _model_arns(model_id: str, *, partition: str, region: str, account: str) -> tuple[list[str], list[str], str | None]:
    """(ARNs checked directly, ARNs checked through the profile, profile ARN) for a model id.

    Written from the Bedrock user guide rather than taken from the stack, so the test does not grade the
    stack against itself.
    """
    prefix, foundation_model = split_model_id(model_id)
    if prefix is None:
        return [f"arn:{partition}:bedrock:{region}::foundation-model/{foundation_model}"], [], None
    profile = f"arn:{partition}:bedrock:{region}:{account}:inference-profile/{model_id}"
    if prefix == GLOBAL_PREFIX:  # routed to any commercial region: the source region's ARN and the region-less one
        routed = [
            f"arn:{partition}:bedrock:{region}::foundation-model/{foundation_model}",
            f"arn:{partition}:bedrock:::foundation-model/{foundation_model}",
        ]
    else:
        routed = [
            f"arn:{partition}:bedrock:{r}::foundation-model/{foundation_model}"
            for r in GEOGRAPHY_DESTINATION_REGIONS[prefix]
        ]
    return [profile], routed, profile


def bedrock_calls(calls: Iterable[ConverseCall], *, partition: str, region: str, account: str) -> list[AwsCall]:
    """The authorization requests of the Converse calls the stand-in recorded."""
    requests: list[AwsCall] = []
    for call in calls:
        if call.signing_service != "bedrock":
            raise UnmappedCall(f"{call.operation} signed for {call.signing_service!r}, not bedrock")
        action, described = _BEDROCK_ACTIONS[call.operation], f"{call.operation} modelId={call.model_id}"
        direct, routed, profile = _model_arns(call.model_id, partition=partition, region=region, account=account)
        requests += [AwsCall(action, arn, dict(TRANSPORT_CONTEXT), described) for arn in direct]
        routed_context = {**TRANSPORT_CONTEXT, "bedrock:InferenceProfileArn": profile or ""}
        requests += [AwsCall(action, arn, dict(routed_context), described) for arn in routed]
    return requests
