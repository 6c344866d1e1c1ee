"""``/ping`` answers while more streamed turns are open than the server has worker threads.

bedrock_agentcore 1.25 serves ``/ping`` as a sync route from the same thread pool that runs turns (its
``runtime/app.py``), and its async-generator entrypoints hold a thread per open stream, so there a crowd of
open streams silenced AgentCore's health check. Here every turn holds one of anyio's worker threads (its default
limiter has 40 tokens) while its model call is held at the scripted model's gate; one stream more waits for a
thread. The order of events is the proof, no timing is asserted.
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import httpx

from tests.agent.helpers import FAILURE_BOUND_SECONDS
from tests.support.agent_http import invoke, new_session_id, sse_events
from tests.support.model_gate import HeldCall, ModelGate

WORKER_THREADS = 40  # anyio.to_thread's default limiter (anyio ``_backends/_asyncio.py``: CapacityLimiter(40))
STREAMS = WORKER_THREADS + 1


def test_ping_answers_while_every_worker_thread_holds_an_open_stream(agent_starter, model_gate):
    server = agent_starter(model_gate.env)

    with ThreadPoolExecutor(max_workers=STREAMS) as pool:
        streams = [
            pool.submit(
                invoke, server.base_url, new_session_id(), f"hold s{i}", stream=True, timeout=FAILURE_BOUND_SECONDS
            )
            for i in range(STREAMS)
        ]
        held = [model_gate.wait_entered() for _ in range(WORKER_THREADS)]  # every worker thread is in a turn
        ping = httpx.get(f"{server.base_url}/ping", timeout=FAILURE_BOUND_SECONDS)
        open_streams = sum(not stream.done() for stream in streams)
        for call in held:
            call.release()
        _wait_for_the_last_stream(model_gate, streams, server.log_path).release()
        answers = [stream.result() for stream in streams]

    assert open_streams == STREAMS
    assert ping.status_code == 200 and ping.json()["status"] == "Healthy"
    assert [answer.status_code for answer in answers] == [200] * STREAMS
    assert [sse_events(answer.text)[-1]["response"] for answer in answers] == [
        f"You said: hold s{i}" for i in range(STREAMS)
    ]


def _wait_for_the_last_stream(model_gate: ModelGate, streams: list[Future[httpx.Response]], log_path: Path) -> HeldCall:
    """The model call of the stream that waited for a thread; if it never comes, a failure that says how the
    finished streams ended and how the agent's log ends (seen once in CI, not reproduced since)."""
    try:
        return model_gate.wait_entered()
    except TimeoutError:
        ended = [
            (index, stream.result().status_code if stream.exception() is None else repr(stream.exception()))
            for index, stream in enumerate(streams)
            if stream.done()
        ]
        log_end = log_path.read_text(errors="replace")[-3000:]
        raise AssertionError(
            f"no model call from the last stream; ended: {ended}; agent log ends:\n{log_end}"
        ) from None
