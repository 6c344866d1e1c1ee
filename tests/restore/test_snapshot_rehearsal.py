"""Platform V2 rehearsed offline: two instances restored from one CRIU checkpoint, one after the other and at once.

The deployed agent is checkpointed after its first healthy ``/ping`` and restored twice (``rehearsal.py``); every
check runs on both pairs: restored one after the other in this machine's namespaces, and restored at the same
time, each in PID and network namespaces of its own.
Everything the process made before the snapshot is shared by both instances; these checks hold the agent to
what must nevertheless differ per instance or be made after restore, through the real HTTP contract and what
the stand-ins, the OTLP sink and the credentials endpoint recorded. Run against the agent as it was before it
was made snapshot-safe (main at ffd5dd0), every check below but the first two failed; the message of the commit
that added this file quotes how.
"""

from __future__ import annotations

import math
import os

from tests.restore.rehearsal import Instance, Rehearsal

XRAY_TIME_HEX = 8  # an X-Ray trace id starts with the epoch seconds (4 bytes); the rest must be random


def _pair(rehearsal: Rehearsal) -> tuple[Instance, Instance]:
    first, second = rehearsal.instances
    return first, second


def test_each_restored_instance_serves_the_contract(rehearsal: Rehearsal) -> None:
    for instance in rehearsal.instances:
        assert [(a.status, a.text) for a in instance.remembered] == [
            (200, "Nice to meet you, John Doe."),
            (200, "Your name is John Doe."),
        ], instance.log[-3000:]
        assert instance.forgot is not None and (instance.forgot.status, instance.forgot.text) == (
            200,
            "I don't know your name.",
        )
        assert instance.foreign is not None
        assert (instance.foreign.status, instance.foreign.body.get("code")) == (403, "session_forbidden")
        assert instance.ping["status"] == "Healthy"


def test_request_ids_differ_between_instances(rehearsal: Rehearsal) -> None:
    first, second = _pair(rehearsal)

    assert len(first.request_ids) == len(second.request_ids) == 4
    assert first.request_ids.isdisjoint(second.request_ids)


def test_span_ids_differ_between_instances(rehearsal: Rehearsal) -> None:
    first, second = _pair(rehearsal)
    assert first.spans and second.spans, "no spans reached the OTLP sink"

    shared = {s.span_id for s in first.spans} & {s.span_id for s in second.spans}

    assert sorted(shared) == []


def test_trace_ids_differ_between_instances_beyond_their_time_prefix(rehearsal: Rehearsal) -> None:
    first, second = _pair(rehearsal)
    assert first.spans and second.spans, "no spans reached the OTLP sink"

    shared = {s.trace_id[XRAY_TIME_HEX:] for s in first.spans} & {s.trace_id[XRAY_TIME_HEX:] for s in second.spans}

    assert sorted(shared) == []


def _spans_by_instance_id(instance: Instance) -> dict[str | None, list[str]]:
    named: dict[str | None, set[str]] = {}
    for span in instance.spans:
        named.setdefault(span.instance_id, set()).add(span.name)
    return {instance_id: sorted(names) for instance_id, names in named.items()}


def test_spans_carry_an_instance_id_of_their_own_instance(rehearsal: Rehearsal) -> None:
    first, second = (_spans_by_instance_id(i) for i in _pair(rehearsal))

    assert len(first) == len(second) == 1 and None not in first.keys() | second.keys(), (first, second)
    assert first.keys() != second.keys()


def test_random_draws_differ_between_instances(rehearsal: Rehearsal) -> None:
    first, second = _pair(rehearsal)

    assert first.random_draws and second.random_draws  # at least the draw SIGUSR1 asked for

    assert sorted(set(first.random_draws) & set(second.random_draws)) == []


def test_ping_reports_the_restore_not_the_snapshot(rehearsal: Rehearsal) -> None:
    for instance in rehearsal.instances:
        stamp, pinged = instance.ping["time_of_last_update"], instance.pinged_at_wall
        restored = math.floor(instance.restore_started_wall)
        snapshot_stamp = rehearsal.snapshot_ping["time_of_last_update"]

        assert restored <= stamp <= pinged, f"stamp {stamp}, restored {restored}, snapshot's stamp {snapshot_stamp}"


def test_no_connection_crosses_the_snapshot(rehearsal: Rehearsal) -> None:
    at_checkpoint = rehearsal.named(rehearsal.connections_at_checkpoint)
    after_restore = [rehearsal.named(i.connections_after_restore) for i in rehearsal.instances]

    exported = sorted({s.name for s in rehearsal.spans_before_checkpoint})

    assert at_checkpoint == [], f"{'; '.join(at_checkpoint)}; spans exported before the checkpoint: {exported}"
    assert after_restore == [[], []], after_restore


def test_aws_calls_are_signed_with_keys_fetched_after_restore(rehearsal: Rehearsal) -> None:
    fetched_before = {k.access_key_id for k in rehearsal.issued_before_checkpoint}
    for instance in rehearsal.instances:
        signing, fetched_by_instance = instance.signing_keys, {k.access_key_id for k in instance.issued_keys}

        assert signing, "no signed AWS call recorded"
        assert sorted(signing & fetched_before) == [], f"fetched before the checkpoint: {sorted(fetched_before)}"
        assert signing <= fetched_by_instance, f"signed with {sorted(signing)}, fetched {sorted(fetched_by_instance)}"


def test_no_access_key_signs_for_both_instances(rehearsal: Rehearsal) -> None:
    first, second = _pair(rehearsal)
    assert first.signing_keys and second.signing_keys, "no signed AWS call recorded"

    assert sorted(first.signing_keys & second.signing_keys) == []


def test_concurrent_instances_run_at_once_with_one_pid_in_namespaces_of_their_own(concurrent: Rehearsal) -> None:
    first, second = _pair(concurrent)
    here = (os.readlink("/proc/self/ns/net"), os.readlink("/proc/self/ns/pid"))

    assert concurrent.pings_when_all_served == [200, 200]  # the first still answers after the second served
    assert len({*first.namespaces, *second.namespaces, *here}) == 6, (first.namespaces, second.namespaces, here)
    assert first.pid_inside == second.pid_inside  # the PID the snapshot had, held twice at once
