"""The AWS error names the front door sets are the bedrock-agentcore model's own shapes, with matching statuses."""

from __future__ import annotations

import botocore.session
import pytest

from local.aws_errors import ERROR_TYPES_BY_STATUS, aws_error_type

MODEL = botocore.session.get_session().get_service_model("bedrock-agentcore")
INVOKE_ERRORS = {
    shape.name: shape.metadata["error"]["httpStatusCode"]
    for shape in MODEL.operation_model("InvokeAgentRuntime").error_shapes
}


@pytest.mark.parametrize(("status", "name"), sorted(ERROR_TYPES_BY_STATUS.items()))
def test_each_name_is_a_service_error_shape_with_that_status(status, name):
    assert MODEL.shape_for(name).metadata["error"]["httpStatusCode"] == status


def test_names_are_invoke_agent_runtime_errors_except_the_401():
    """UnauthorizedException is the service's 401 shape (StopRuntimeSession lists it; InvokeAgentRuntime lists none)."""
    assert {name for name in ERROR_TYPES_BY_STATUS.values() if name not in INVOKE_ERRORS} == {"UnauthorizedException"}
    assert "UnauthorizedException" in {s.name for s in MODEL.operation_model("StopRuntimeSession").error_shapes}


@pytest.mark.parametrize(
    ("status", "name"),
    [
        (500, "RuntimeClientError"),
        (502, "RuntimeClientError"),
        (504, "RuntimeClientError"),
        (405, "ValidationException"),
        (413, "ValidationException"),
    ],
)
def test_statuses_without_a_shape_of_their_own(status, name):
    assert aws_error_type(status) == name
    assert name in INVOKE_ERRORS
