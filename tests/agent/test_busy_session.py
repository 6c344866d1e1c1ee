"""A crowd on one busy session waits without threads: /ping and other sessions keep working, the crowd is bounded.

The held turn stays inside the scripted model (its gate) until the test releases it, and the test releases
it only after ``/ping`` and another session's whole turn answered while 100 requests were parked on the
held session. No timing is asserted: the order of events is the proof.
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor, as_completed

import httpx

from tests.agent.helpers import FAILURE_BOUND_SECONDS
from tests.support.agent_http import ask, invoke, new_session_id
from tests.support.stored_conversation import file_messages, roles

WAITERS = 100
REFUSED = 20


def test_100_waiters_hold_no_thread_and_the_101st_is_refused_at_once(agent_starter, model_gate, tmp_path):
    server = agent_starter({**model_gate.env, "SESSION_MAX_WAITERS": str(WAITERS), "SESSION_WAIT_SECONDS": "3600"})
    busy, other = new_session_id(), new_session_id()
    ask(server.base_url, busy, "My name is Crowded.")

    with ThreadPoolExecutor(max_workers=WAITERS + REFUSED + 1) as pool:
        holder = pool.submit(invoke, server.base_url, busy, "hold busy", timeout=FAILURE_BOUND_SECONDS)
        held = model_gate.wait_entered()  # the holder's turn is inside the model: the session is busy
        crowd: list[Future[httpx.Response]] = [
            pool.submit(
                invoke, server.base_url, busy, f"Message {i}.", stream=i % 2 == 1, timeout=FAILURE_BOUND_SECONDS
            )
            for i in range(WAITERS + REFUSED)
        ]
        # Parked requests cannot finish while the holder is held, so the first answers are the refusals; once
        # all REFUSED have arrived, every other request of the crowd is parked on the session.
        completed = as_completed(crowd, timeout=FAILURE_BOUND_SECONDS)
        refusals = [next(completed).result() for _ in range(REFUSED)]

        ping = httpx.get(f"{server.base_url}/ping", timeout=FAILURE_BOUND_SECONDS)
        other_answer = invoke(server.base_url, other, "Hello from elsewhere.", timeout=FAILURE_BOUND_SECONDS)
        parked_still = sum(not future.done() for future in crowd)
        held.release()
        served = [future.result() for future in crowd if future.result() not in refusals]
        held_answer = holder.result()

    assert [r.status_code for r in refusals] == [429] * REFUSED
    assert {r.headers["Retry-After"] for r in refusals} == {"1"}
    assert (
        refusals[0].json()["error"] == f"session already has {WAITERS} requests waiting for it, the limit; retry later"
    )
    assert refusals[0].json()["code"] == "session_queue_full"
    assert ping.status_code == 200 and ping.json()["status"] in ("Healthy", "HealthyBusy")
    assert other_answer.status_code == 200 and other_answer.json()["response"] == "You said: Hello from elsewhere."
    assert parked_still == WAITERS
    assert held_answer.status_code == 200 and held_answer.json()["response"] == "You said: hold busy"
    assert [r.status_code for r in served] == [200] * WAITERS
    assert roles(file_messages(tmp_path / "sessions", "anonymous", busy)) == ["user", "assistant"] * (WAITERS + 2)
