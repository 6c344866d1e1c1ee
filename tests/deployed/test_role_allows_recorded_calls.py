"""Every AWS call the deployed agent makes is allowed by the synthesized execution role, and nothing more.

The agent runs the whole deployed scenario (remember, forget, another user's 403, the weather tool,
streaming, a restart, forget-me) with the dev template's environment; the calls it made are recorded at the servers
(``tests/support/aws_calls.py``), the role's policies and the session bucket's policy are rendered from
the synthesized template with the test's values, and each call is evaluated by an established IAM
evaluator (``tests/support/iam_simulator.py``). Granted actions the agent never called must each be in
:data:`NOT_CALLED_BY_THE_AGENT` with the reason they are granted anyway.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from typing import Any

import pytest

from tests.deployed.deployed_agents import agent_starter
from tests.support.agent_http import ask, forget_me, invoke, new_session_id
from tests.support.aws_calls import AwsCall, bedrock_calls, recorded_moto_calls
from tests.support.deployment import AGENT_ACCESS_KEY_ID, Deployment
from tests.support.iam_simulator import Decision, evaluate, granted_actions
from tests.support.polling import poll_until

# Granted by the synthesized role but never called by the agent process, each with the reason it is granted.
RUNTIME_WRITES_LOGS = "AgentCore Runtime writes the container's logs with the role (L2 default), not the agent"
NOT_CALLED_BY_THE_AGENT = {
    "bedrock:InvokeModel": "Converse (non-streaming); Strands' BedrockModel streams by default, the grant keeps "
    "`streaming=False` working and is scoped to the same model",
    "logs:CreateLogGroup": RUNTIME_WRITES_LOGS,
    "logs:CreateLogStream": RUNTIME_WRITES_LOGS,
    "logs:PutLogEvents": RUNTIME_WRITES_LOGS,
    "logs:DescribeLogStreams": RUNTIME_WRITES_LOGS,
    "logs:DescribeLogGroups": RUNTIME_WRITES_LOGS,
    "xray:PutTraceSegments": "trace export of the OpenTelemetry distro; exporters are off offline (no X-Ray here)",
    "xray:PutTelemetryRecords": "trace export of the OpenTelemetry distro; exporters are off offline (no X-Ray here)",
    "xray:GetSamplingRules": "trace sampling of the OpenTelemetry distro; exporters are off offline (no X-Ray here)",
    "xray:GetSamplingTargets": "trace sampling of the OpenTelemetry distro; exporters are off offline (no X-Ray here)",
    "cloudwatch:PutMetricData": "metrics of the OpenTelemetry distro (namespace bedrock-agentcore); off offline",
    "bedrock-agentcore:GetWorkloadAccessToken": "AgentCore obtains the workload token for the runtime; the agent "
    "uses no outbound credential provider",
    "bedrock-agentcore:GetWorkloadAccessTokenForJWT": "AgentCore exchanges the caller's JWT for a workload token; "
    "the agent uses no outbound credential provider",
    "bedrock-agentcore:GetWorkloadAccessTokenForUserId": "L2 default; AWS says to deny it with inbound JWTs "
    "(issue 9 denies it)",
    "ecr:BatchCheckLayerAvailability": "AgentCore pulls the image with the role, not the agent",
    "ecr:GetDownloadUrlForLayer": "AgentCore pulls the image with the role, not the agent",
    "ecr:BatchGetImage": "AgentCore pulls the image with the role, not the agent",
    "ecr:GetAuthorizationToken": "AgentCore pulls the image with the role, not the agent",
}
# The evaluator's IAM data knows foundation-model ARNs only with a region; the region-less ARN that a global
# profile is also authorized on (Bedrock user guide, global cross-Region inference) is refused as a request it
# cannot type. Those calls are checked against the role's statements by name instead (see the first test).
REGIONLESS_MODEL_ARN = re.compile(r"^arn:[^:]+:bedrock:::foundation-model/")
DEPLOYED_CODE_PATH = {
    "s3:GetObject",
    "s3:PutObject",
    "s3:ListBucket",
    "s3:DeleteObject",  # forget-me (stage setting forget_me, on in the dev stage)
    "bedrock:InvokeModelWithResponseStream",
}
ALICE, BOB = "alice-sub", "bob-sub"
SESSION_PREFIX = "sessions/"  # the dev stage's (cdk.json defaults.session_prefix)


@dataclass(frozen=True)
class Recorded:
    """The calls of one deployed scenario and the policies to judge them by."""

    calls: list[AwsCall]
    principal_arn: str
    account: str
    identity_policies: list[dict[str, Any]]
    resource_policies: dict[str, dict[str, Any]]

    def decide(
        self, calls: list[AwsCall] | None = None, identity_policies: list[dict[str, Any]] | None = None
    ) -> list[Decision]:
        """Evaluate ``calls`` (default: the recorded ones) against the role (or other identity policies)."""
        return evaluate(
            calls if calls is not None else self.calls,
            principal_arn=self.principal_arn,
            account=self.account,
            identity_policies=identity_policies if identity_policies is not None else self.identity_policies,
            resource_policies=self.resource_policies,
        )


def _run_deployed_scenario(deployment: Deployment) -> None:
    start, started = agent_starter(deployment)
    try:
        agent, session = start(), new_session_id()
        assert ask(agent.base_url, session, "My name is John Doe.", subject=ALICE) == "Nice to meet you, John Doe."
        assert ask(agent.base_url, session, "Do you remember my name?", subject=ALICE) == "Your name is John Doe."
        assert (
            ask(agent.base_url, new_session_id(), "Do you remember my name?", subject=ALICE)
            == "I don't know your name."
        )
        assert invoke(agent.base_url, session, "Do you remember my name?", subject=BOB).status_code == 403
        assert ask(agent.base_url, new_session_id(), "What is the weather in Paris?", subject=ALICE).startswith(
            "The weather"
        )
        assert invoke(agent.base_url, new_session_id(), "My name is Jane.", subject=BOB, stream=True).status_code == 200
        agent.stop()
        restarted = start()
        assert ask(restarted.base_url, session, "Do you remember my name?", subject=ALICE) == "Your name is John Doe."
        forgotten = forget_me(restarted.base_url, subject=ALICE)
        assert forgotten.status_code == 200, forgotten.text
        assert forgotten.json()["receipt"]["deleted"] == {"sessions": 3, "owner_records": 3, "conversation_objects": 18}
        assert ask(restarted.base_url, session, "Do you remember my name?", subject=ALICE) == "I don't know your name."
    finally:
        for server in started:
            server.stop()


def _recorded(deployment: Deployment, resource_policies: dict[str, dict[str, Any]]) -> Recorded:
    """What the deployment's agents called (moto's recording and the Bedrock stand-in's), and the role to judge
    it by. Memory calls are mapped only when the deployment has a memory; in any other, one fails the recording."""
    stack = deployment.stack
    calls = recorded_moto_calls(
        deployment.emulator.recording,
        access_key_id=AGENT_ACCESS_KEY_ID,
        partition=stack.partition,
        account=stack.account if deployment.memory_id is not None else None,
    )
    calls += bedrock_calls(
        deployment.bedrock.calls, partition=stack.partition, region=stack.region, account=stack.account
    )
    role_id = stack.only("AWS::BedrockAgentCore::Runtime")[1]["Properties"]["RoleArn"]["Fn::GetAtt"][0]
    return Recorded(
        calls=calls,
        principal_arn=f"arn:{stack.partition}:iam::{stack.account}:role/{role_id}",
        account=stack.account,
        identity_policies=stack.execution_role_policies(deployment.physical_ids),
        resource_policies=resource_policies,
    )


@pytest.fixture(scope="module")
def recorded(deployment: Deployment) -> Recorded:
    _run_deployed_scenario(deployment)
    bucket_policy = deployment.stack.bucket_policy(deployment.physical_ids, deployment.bucket_logical_id)
    bucket_arn = f"arn:{deployment.stack.partition}:s3:::{deployment.bucket}"
    return _recorded(deployment, {bucket_arn: bucket_policy} if bucket_policy else {})


def _without(policies: list[dict[str, Any]], action: str) -> list[dict[str, Any]]:
    """The policies with ``action`` removed from every statement (statements left with no action dropped)."""
    stripped = []
    for policy in policies:
        statements = []
        for statement in policy["Statement"]:
            if "Action" not in statement:
                statements.append(statement)
                continue
            kept = [a for a in _listed(statement["Action"]) if a != action]
            if kept:
                statements.append({**statement, "Action": kept})
        stripped.append({**policy, "Statement": statements})
    return stripped


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [] if value is None else [value]


def _statement_names(policies: list[dict[str, Any]], call: AwsCall) -> bool:
    """An Allow statement names the call's action and exact resource, with conditions the call's context meets."""
    for policy in policies:
        for statement in policy["Statement"]:
            actions, resources = _listed(statement.get("Action")), _listed(statement.get("Resource"))
            conditions = statement.get("Condition", {})
            if statement["Effect"] != "Allow" or call.action not in actions or call.resource not in resources:
                continue
            if set(conditions) <= {"StringEquals"} and all(
                call.context.get(key) == value for key, value in conditions.get("StringEquals", {}).items()
            ):
                return True
    return False


def violations(recorded: Recorded, identity_policies: list[dict[str, Any]] | None = None) -> list[str]:
    """Every recorded call the role (or ``identity_policies``) would not allow, or allow only through ignored keys."""
    policies = identity_policies if identity_policies is not None else recorded.identity_policies
    problems = []
    for decision in recorded.decide(identity_policies=policies):
        call = decision.call
        if REGIONLESS_MODEL_ARN.match(call.resource):
            assert (decision.result, decision.errors["message"]) == ("error", "no.resource.types"), decision
            if not _statement_names(policies, call):
                problems.append(f"no statement allows {call.action} on {call.resource} {call.context} ({call.request})")
        elif not decision.allowed or decision.ignored_context_keys:
            problems.append(
                f"{decision.result} (ignored keys {list(decision.ignored_context_keys)}): {call.action} on "
                f"{call.resource} {call.context} ({call.request})"
            )
    return problems


def test_every_call_the_agent_made_is_allowed_by_the_synthesized_role(recorded: Recorded) -> None:
    assert violations(recorded) == []


def test_the_recording_covers_the_deployed_code_path(recorded: Recorded) -> None:
    called = {call.action for call in recorded.calls}
    listings = [call for call in recorded.calls if call.action == "s3:ListBucket"]
    routed = [call for call in recorded.calls if "bedrock:InferenceProfileArn" in call.context]

    assert called >= DEPLOYED_CODE_PATH
    assert listings and all(call.context.get("s3:prefix", "").startswith(SESSION_PREFIX) for call in listings)
    assert {call.resource.split(":")[3] for call in routed} == {"us-east-1", ""}  # global profile: source + region-less


def test_granted_actions_the_agent_never_called_each_have_a_reason(recorded: Recorded) -> None:
    never_called = sorted(granted_actions(recorded.identity_policies) - {call.action for call in recorded.calls})
    print(
        "granted but never called by the agent:\n"
        + "\n".join(f"  {a}: {NOT_CALLED_BY_THE_AGENT.get(a, '?')}" for a in never_called)
    )

    assert [action for action in never_called if action not in NOT_CALLED_BY_THE_AGENT] == []


@pytest.mark.parametrize("action", sorted(DEPLOYED_CODE_PATH))
def test_removing_an_action_the_agent_uses_fails_the_check(recorded: Recorded, action: str) -> None:
    problems = violations(recorded, _without(recorded.identity_policies, action))

    assert problems and all(f": {action} on " in p or f"allows {action} on " in p for p in problems), problems
    assert len(problems) == sum(call.action == action for call in recorded.calls)


def _listings(recorded: Recorded) -> list[AwsCall]:
    """The agent's first ListBucket, the same outside the session prefix, and the same without a prefix."""
    listing = next(call for call in recorded.calls if call.action == "s3:ListBucket")
    outside = dataclasses.replace(listing, context={**listing.context, "s3:prefix": "other/"})
    unprefixed = dataclasses.replace(listing, context={k: v for k, v in listing.context.items() if k != "s3:prefix"})
    return [listing, outside, unprefixed]


def _listing_conditioned_on(policies: list[dict[str, Any]], prefix: str) -> list[dict[str, Any]]:
    """The policies with every statement that grants s3:ListBucket limited to keys under ``prefix``."""
    condition = {"StringLike": {"s3:prefix": f"{prefix}*"}}
    return [
        {
            **policy,
            "Statement": [
                {**s, "Condition": condition} if "s3:ListBucket" in _listed(s.get("Action")) else s
                for s in policy["Statement"]
            ],
        }
        for policy in policies
    ]


def test_listing_is_granted_bucket_wide_as_the_store_decides(recorded: Recorded) -> None:
    """stacks/constructs/session_store.py grants ListBucket without s3:prefix (a missing key must be 404)."""
    granting = [
        statement
        for policy in recorded.identity_policies
        for statement in policy["Statement"]
        if "s3:ListBucket" in _listed(statement.get("Action"))
    ]

    assert granting and all("Condition" not in statement for statement in granting), granting
    assert [d.result for d in recorded.decide(_listings(recorded))] == ["Allowed"] * 3


def test_a_prefix_condition_on_listing_would_refuse_listing_elsewhere(recorded: Recorded) -> None:
    """Control for the test above: the evaluator tells the three listings apart when the role does."""
    conditioned = _listing_conditioned_on(recorded.identity_policies, SESSION_PREFIX)

    assert [d.result for d in recorded.decide(_listings(recorded), identity_policies=conditioned)] == [
        "Allowed",
        "ImplicitlyDenied",
        "ImplicitlyDenied",
    ]


def test_the_foundation_model_is_denied_outside_the_profile(recorded: Recorded) -> None:
    routed = next(call for call in recorded.calls if "bedrock:InferenceProfileArn" in call.context)
    direct = dataclasses.replace(routed, context={"aws:SecureTransport": "true"})

    assert [d.result for d in recorded.decide([routed, direct])] == ["Allowed", "ImplicitlyDenied"]


def test_the_bucket_policy_denies_the_same_call_without_tls(recorded: Recorded) -> None:
    read = next(call for call in recorded.calls if call.action == "s3:GetObject")
    plain_http = dataclasses.replace(read, context={**read.context, "aws:SecureTransport": "false"})

    assert [d.result for d in recorded.decide([read, plain_http])] == ["Allowed", "ExplicitlyDenied"]


# --- long-term memory: the role of the long_term_memory configuration, against what its agent calls ----------

# Granted to the long-term configuration's role (the Memory store's event actions) but not called in its scenario.
MEMORY_NOT_CALLED = {
    "bedrock-agentcore:GetEvent": "Strands' AgentCore integration reads one event back only in read_message, which "
    "the agent's restore path (list_messages) does not use",
}
LONG_TERM_CODE_PATH = {
    "bedrock-agentcore:CreateEvent",
    "bedrock-agentcore:ListEvents",
    "bedrock-agentcore:RetrieveMemoryRecords",
    "bedrock:InvokeModelWithResponseStream",
    # forget-me (stage setting forget_me, on by default): agent/erasure_stores.py and agent/erasure_records.py
    "bedrock-agentcore:ListSessions",
    "bedrock-agentcore:DeleteEvent",
    "bedrock-agentcore:ListMemoryExtractionJobs",
    "bedrock-agentcore:ListMemoryRecords",
    "bedrock-agentcore:BatchDeleteMemoryRecords",
}


def _run_long_term_scenario(deployment: Deployment) -> None:
    """alice's name is extracted, recalled in her new session and not in bob's (the stand-in extracts it); then
    alice forgets, and a new session of hers recalls nothing."""
    start, started = agent_starter(deployment)
    try:
        base_url = start().base_url
        assert ask(base_url, new_session_id(), "My name is John Doe.", subject=ALICE) == "Nice to meet you, John Doe."
        records = deployment.memory_data_plane()
        poll_until(
            lambda: records.list_memory_records(memoryId=deployment.memory_id, namespace=f"/facts/{ALICE}/")[
                "memoryRecordSummaries"
            ],
            lambda found: len(found) == 1,
        )
        assert ask(base_url, new_session_id(), "Do you remember my name?", subject=ALICE) == "Your name is John Doe."
        assert ask(base_url, new_session_id(), "Do you remember my name?", subject=BOB) == "I don't know your name."
        forgotten = forget_me(base_url, subject=ALICE)
        assert forgotten.status_code == 200, forgotten.text
        receipt = forgotten.json()["receipt"]
        assert (receipt["deleted"]["memory_records"], receipt["deleted"]["sessions"], receipt["complete"]) == (
            1,
            2,
            True,
        )
        assert ask(base_url, new_session_id(), "Do you remember my name?", subject=ALICE) == "I don't know your name."
    finally:
        for server in started:
            server.stop()


@pytest.fixture(scope="module")
def long_term_recorded(long_term_deployment: Deployment) -> Recorded:
    _run_long_term_scenario(long_term_deployment)
    return _recorded(long_term_deployment, {})


def test_every_call_of_the_long_term_agent_is_allowed_by_its_role(long_term_recorded: Recorded) -> None:
    assert violations(long_term_recorded) == []


def test_the_long_term_recording_covers_events_and_recall(long_term_recorded: Recorded) -> None:
    called = {call.action for call in long_term_recorded.calls}
    memory_arns = {call.resource for call in long_term_recorded.calls if call.action.startswith("bedrock-agentcore:")}

    assert called >= LONG_TERM_CODE_PATH
    assert len(memory_arns) == 1  # every Memory call names the stage's one memory


def test_long_term_granted_actions_never_called_each_have_a_reason(long_term_recorded: Recorded) -> None:
    never_called = granted_actions(long_term_recorded.identity_policies) - {c.action for c in long_term_recorded.calls}
    reasons = {**NOT_CALLED_BY_THE_AGENT, **MEMORY_NOT_CALLED}

    assert sorted(action for action in never_called if action not in reasons) == []
    assert not {a for a in never_called if a.startswith("bedrock-agentcore:") and "Memory" in a}  # recall is used


@pytest.mark.parametrize("action", sorted(LONG_TERM_CODE_PATH - {"bedrock:InvokeModelWithResponseStream"}))
def test_removing_a_memory_action_the_agent_uses_fails_the_check(long_term_recorded: Recorded, action: str) -> None:
    problems = violations(long_term_recorded, _without(long_term_recorded.identity_policies, action))

    assert problems and all(f": {action} on " in p for p in problems), problems
    assert len(problems) == sum(call.action == action for call in long_term_recorded.calls)
