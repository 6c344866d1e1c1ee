"""The reference design the benchmark compares against: ONE module-level Strands ``Agent``.

This is what the public AgentCore starter samples do (an ``Agent`` created at import, an entrypoint that
calls it, ``app.run()``), with the two things the comparison must hold equal: the same weather tool
(imported from ``agent.tools`` so it cannot drift) and the same model client pointed at the same
model stand-in. Nothing here is fixed on purpose: every session shares one conversation, and a second
concurrent call hits the agent's own concurrency error. It lives in ``bench/`` and is never deployed.

The model path is chosen like ours (``MODEL_PROVIDER``): ``openai`` (default) builds ``OpenAIModel`` against
``OPENAI_BASE_URL``; ``bedrock`` builds ``BedrockModel(model_id=MODEL_ID)`` as the samples do, its endpoint,
region and credentials coming from botocore's environment variables (the bench's Bedrock stand-in).

Run: ``OPENAI_BASE_URL=http://127.0.0.1:N/v1 PORT=M python -m bench.baseline_agent``.
"""

import os
from typing import Any

from bedrock_agentcore.runtime import BedrockAgentCoreApp
from strands import Agent
from strands.models.model import Model

from agent.tools import get_weather

app = BedrockAgentCoreApp()


def _model() -> Model:
    if os.environ.get("MODEL_PROVIDER", "openai") == "bedrock":
        from strands.models.bedrock import BedrockModel

        return BedrockModel(model_id=os.environ["MODEL_ID"])
    from strands.models.openai import OpenAIModel

    return OpenAIModel(
        client_args={
            "base_url": os.environ["OPENAI_BASE_URL"],
            "api_key": os.environ.get("OPENAI_API_KEY", "not-needed"),
        },
        model_id=os.environ.get("MODEL_ID", "bench-stub"),
    )


model = _model()
# Same system prompt text as agent/app.py so both agents send the stub requests of the same size.
agent = Agent(
    model=model,
    tools=[get_weather],
    system_prompt=(
        "You are a helpful assistant. Answer briefly. Use the get_weather tool for questions about the weather."
    ),
)


@app.entrypoint
def invoke(payload: dict[str, Any]) -> dict[str, Any]:
    """Answer the prompt with the shared agent, as the samples do."""
    user_message = payload.get("prompt", "Hello")
    result = agent(user_message)
    return {"result": result.message}


if __name__ == "__main__":
    app.run(port=int(os.environ.get("PORT", "8080")))
