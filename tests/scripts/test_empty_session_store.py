"""`make destroy`'s first step: the stage's session bucket is emptied (every version, every delete marker)
unless the deployed stack retains it; against CloudFormation and S3 in moto (server mode)."""

from __future__ import annotations

import json
from typing import Any

from scripts import empty_session_store as script
from scripts.stage_stacks import runtime_stack_name
from tests.scripts.script_runs import recipe_steps, run_module

STACK = "AgentCoreSession-dev-Runtime"


def deploy_store(aws: dict[str, Any], template: dict[str, Any], stack_name: str = STACK) -> str:
    """Create a stack holding the synthesized session bucket (resource and DeletionPolicy as synthesized)
    and the SessionBucketName output; return the bucket's name."""
    ((logical_id, bucket),) = [(k, r) for k, r in template["Resources"].items() if r["Type"] == "AWS::S3::Bucket"]
    body = {"Resources": {logical_id: bucket}, "Outputs": {"SessionBucketName": {"Value": {"Ref": logical_id}}}}
    aws["cloudformation"].create_stack(StackName=stack_name, TemplateBody=json.dumps(body))
    outputs = aws["cloudformation"].describe_stacks(StackName=stack_name)["Stacks"][0]["Outputs"]
    return next(o["OutputValue"] for o in outputs if o["OutputKey"] == "SessionBucketName")


def put_conversation(s3: Any, bucket: str, count: int) -> None:
    for index in range(count):
        s3.put_object(Bucket=bucket, Key=f"sessions/actors/a/session_{index}/session.json", Body=b"{}")


def versions(s3: Any, bucket: str) -> list[tuple[str, str]]:
    listing = s3.list_object_versions(Bucket=bucket)
    return [(e["Key"], e["VersionId"]) for e in (*listing.get("Versions", []), *listing.get("DeleteMarkers", []))]


def test_runtime_stack_name_is_the_stage_runtime_stack(stages):
    assert (runtime_stack_name("dev"), runtime_stack_name("prod")) == (
        stages["dev"].runtime.stack_name,
        stages["prod"].runtime.stack_name,
    )


def test_dev_bucket_is_emptied_before_destroy(aws, own_emulator, runtime_templates):
    bucket = deploy_store(aws, runtime_templates["dev"])
    put_conversation(aws["s3"], bucket, 3)
    result = run_module("empty_session_store", ["--stage", "dev"], own_emulator)
    assert (result.returncode, result.stdout, result.stderr) == (
        0,
        f"emptied bucket {bucket}: deleted 3 object versions and delete markers\n",
        "",
    )
    assert versions(aws["s3"], bucket) == []


def test_versioned_bucket_loses_every_version_and_delete_marker(aws, own_emulator, runtime_templates):
    bucket = deploy_store(aws, runtime_templates["dev"])
    aws["s3"].put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    put_conversation(aws["s3"], bucket, 2)
    put_conversation(aws["s3"], bucket, 1)  # a second version of session_0
    aws["s3"].delete_object(Bucket=bucket, Key="sessions/actors/a/session_1/session.json")  # a delete marker
    assert len(versions(aws["s3"], bucket)) == 4
    result = run_module("empty_session_store", ["--stage", "dev"], own_emulator)
    assert result.stdout == f"emptied bucket {bucket}: deleted 4 object versions and delete markers\n", result.stderr
    assert versions(aws["s3"], bucket) == []


def test_retained_prod_bucket_is_never_touched(aws, own_emulator, runtime_templates):
    assert (
        runtime_templates["prod"]["Resources"][
            next(k for k in runtime_templates["prod"]["Resources"] if k.startswith("SessionStoreBucket"))
        ]["DeletionPolicy"]
        == "Retain"
    )
    bucket = deploy_store(aws, runtime_templates["prod"], stack_name="AgentCoreSession-prod-Runtime")
    put_conversation(aws["s3"], bucket, 2)
    result = run_module("empty_session_store", ["--stage", "prod"], own_emulator)
    assert (result.returncode, result.stdout) == (
        0,
        f"bucket {bucket} is retained (DeletionPolicy Retain): not touched\n",
    )
    assert len(versions(aws["s3"], bucket)) == 2


def test_missing_stack_means_nothing_to_empty(aws, own_emulator):
    result = run_module("empty_session_store", ["--stage", "dev"], own_emulator)
    assert (result.returncode, result.stdout) == (0, f"stack {STACK} does not exist: nothing to empty\n")


def test_memory_store_stack_has_nothing_to_empty(aws, own_emulator):
    body = {
        "Resources": {
            "MemoryIdParameter": {
                "Type": "AWS::SSM::Parameter",
                "Properties": {"Type": "String", "Value": "mem-1", "Name": "/agentcore-session/dev/memory-id"},
            }
        },
        "Outputs": {"MemoryId": {"Value": "mem-1"}},
    }
    aws["cloudformation"].create_stack(StackName=STACK, TemplateBody=json.dumps(body))
    result = run_module("empty_session_store", ["--stage", "dev"], own_emulator)
    assert (result.returncode, result.stdout) == (
        0,
        f"stack {STACK} has no SessionBucketName output (no S3 session store): nothing to empty\n",
    )


def test_a_bucket_outside_the_stack_is_refused(aws, own_emulator, runtime_templates):
    """The output names another bucket: emptying it could destroy someone else's data."""
    aws["s3"].create_bucket(Bucket="someone-elses-bucket")
    put_conversation(aws["s3"], "someone-elses-bucket", 1)
    template = runtime_templates["dev"]
    ((logical_id, bucket),) = [(k, r) for k, r in template["Resources"].items() if r["Type"] == "AWS::S3::Bucket"]
    body = {"Resources": {logical_id: bucket}, "Outputs": {"SessionBucketName": {"Value": "someone-elses-bucket"}}}
    aws["cloudformation"].create_stack(StackName=STACK, TemplateBody=json.dumps(body))
    result = run_module("empty_session_store", ["--stage", "dev"], own_emulator)
    assert result.returncode == 1
    assert result.stderr == (
        "emptying the session store failed: bucket someone-elses-bucket is not a resource of stack "
        f"{STACK}: refusing to empty it\n"
    )
    assert len(versions(aws["s3"], "someone-elses-bucket")) == 1


def test_large_stores_are_deleted_in_batches(aws, runtime_templates, monkeypatch):
    bucket = deploy_store(aws, runtime_templates["dev"])
    put_conversation(aws["s3"], bucket, 5)
    calls: list[int] = []
    delete_objects = aws["s3"].delete_objects
    monkeypatch.setattr(script, "DELETE_BATCH", 2)
    monkeypatch.setattr(
        aws["s3"],
        "delete_objects",
        lambda **kwargs: calls.append(len(kwargs["Delete"]["Objects"])) or delete_objects(**kwargs),
    )
    assert (
        script.empty_session_store(aws["cloudformation"], aws["s3"], stage="dev")
        == f"emptied bucket {bucket}: deleted 5 object versions and delete markers"
    )
    assert calls == [2, 2, 1]
    assert versions(aws["s3"], bucket) == []


def test_unreadable_cloudformation_fails_before_destroy():
    """No region: the message says so, exit 1, and `make destroy` stops before `cdk destroy`."""
    result = run_module("empty_session_store", ["--stage", "dev"], None, AWS_DEFAULT_REGION=None)
    assert result.returncode == 1
    assert result.stderr == "emptying the session store failed: You must specify a region.\n"


def test_make_destroy_empties_the_store_before_cdk_destroy():
    recipe, steps = recipe_steps("destroy", "empty_session_store", r"\bcdk .* destroy --all --force$")
    assert len(steps) == 2 and "empty_session_store" in recipe[steps[0]], recipe
