"""Each part spells AgentCore's names as AWS spells them: botocore's service models and bedrock_agentcore.

agent/, client/ and local/ may not import each other, so each holds the names once (``<part>/agentcore_headers.py``;
the agent takes them from bedrock_agentcore). The web app's session parameter and subprotocol are checked on
the wire (tests/web/test_transport.py), the Runtime stack's allowlist in tests/stacks/runtime/test_runtime_stack.py.
"""

from __future__ import annotations

from types import ModuleType

import botocore.session
import pytest
from bedrock_agentcore.runtime import models

import agent.agentcore_headers
import client.agentcore_headers
import local.agentcore_headers
from tests.support import agentcore_headers as expected

PARTS = [agent.agentcore_headers, client.agentcore_headers, local.agentcore_headers]
NAMES = ("SESSION_HEADER", "REQUEST_ID_HEADER", "END_USER_HEADER", "BEARER_SUBPROTOCOL")


def test_the_session_header_is_where_botocore_sends_the_session_id():
    model = botocore.session.get_session().get_service_model("bedrock-agentcore")
    invoke = model.operation_model("InvokeAgentRuntime").input_shape.members["runtimeSessionId"]
    assert invoke.serialization["name"] == models.SESSION_HEADER == expected.SESSION_HEADER


@pytest.mark.parametrize("part", PARTS, ids=lambda module: module.__name__)
def test_each_part_spells_the_names_as_the_sdk(part: ModuleType):
    held = {name: getattr(part, name) for name in NAMES if hasattr(part, name)}
    assert {"SESSION_HEADER", "END_USER_HEADER"} <= held.keys()
    assert held == {name: getattr(expected, name) for name in held}
