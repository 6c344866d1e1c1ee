"""Platform V2 as users feel it: restore from a checkpoint → ``/ping``, → first answer, against a warm process.

V2 starts the agent once, snapshots it after its first healthy ``/ping`` and restores each session's microVM from
that snapshot; a session's first answer is served by a restored process. For each Bedrock target (the deployed
configuration and its baseline) the server is started as a session leader, checkpointed with CRIU once it answered
``/ping`` (``local/snapshot.py``), and restored ``reps`` times from the same images, one after the other:

- restore → ``/ping``: from the start of ``criu restore`` until ``/ping`` answers;
- restore → first answer: a new session's first invocation, timed from the moment the restored process answered
  ``/ping`` (what the process still had to do after the snapshot, not CRIU's own work);
- warm first answer: the same invocation on a new session of a never-snapshotted process that already served a
  warm-up session (its one-time work done).

The S3 store makes its own round trips on a new session's first turn (owner record, session and agent records,
the two messages), which the baseline (no store) never makes. They are recorded by moto (its request recorder,
this measurement's own moto) in the restored instances' first-answer windows, named, and priced at the median
round trip of an S3 request sent straight to moto from a warm client (sent as the agent sends them), as the
stand-in floor prices model calls.

Interleaved, so that the ratios compare samples taken under the same load (the machine may be shared): every
target is checkpointed and its warm process started first; then each rep restores every target (the order rotated
per rep), each restore followed by that target's warm first answer, and ends with a few S3 floor samples.
"""

from __future__ import annotations

import dataclasses
import json
import os
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from agent.aws_clients import SharedClientSession
from bench.bedrock_path import CREDENTIALS, REGION, BedrockPath, new_session_bucket, started_moto
from bench.client import invoke, new_session_id
from bench.scenarios import name_prompt, warm_up
from bench.stats import median
from bench.targets import TargetSpec, start_env, started_target, target_spec
from local.processes import ServerProcess, free_port, python_module
from local.snapshot import (
    Checkpoint,
    checkpoint,
    remove_images,
    restore,
    start_for_snapshot,
    unavailable_reason,
    wait_inbound_closed,
)

RESTORE_NAME = "Restored Session"
EXPECTED_ANSWER = f"Nice to meet you, {RESTORE_NAME}."
STARTUP_SECONDS = 90.0
S3_FLOOR_CALLS_PER_REP = 4
S3_FLOOR_KEY = "bench/warm"


def _one_restore(images: Checkpoint, spec: TargetSpec, log_dir: Path, index: int, recording: Path) -> dict[str, Any]:
    """One restore: seconds to /ping, seconds from /ping to the first answer, and the S3 requests in between.

    Everything the bench itself does is done before the restore, outside the timed window: the recording's
    length, the session id, and a new HTTP client (a new connection, as every warm first answer gets; building
    one parses a CA bundle, tens of milliseconds).
    """
    before = _recorded_lines(recording)
    session = new_session_id("restore")
    with httpx.Client() as client:
        restored = restore(
            images, log_path=log_dir / f"{spec.name}-restored-{index}.log", work_dir=log_dir / f"{spec.name}-{index}"
        )
        try:
            ping_s = restored.wait_healthy()
            pinged = restored.restore_started + ping_s
            call = invoke(client, restored.base_url, session, name_prompt(RESTORE_NAME))
            answer_s = time.perf_counter() - pinged
        finally:
            restored.stop()
    requests = [_request_name(line, session) for line in _recorded_lines(recording)[len(before) :]]
    return {
        "ping_s": ping_s,
        "answer_s": answer_s,
        "ok": call.ok and call.answer == EXPECTED_ANSWER,
        "s3": [r for r in requests if r],
    }


def _recorded_lines(recording: Path) -> list[str]:
    return recording.read_text(encoding="utf-8").splitlines()


def _request_name(line: str, session_id: str) -> str | None:
    """``"<method> <key>"`` of a signed S3 request, the bucket dropped and the session id as ``<session>``."""
    entry = json.loads(line)
    if "Credential=" not in entry["headers"].get("Authorization", ""):
        return None  # moto's own health probes
    _, _, key = urlsplit(entry["url"]).path.lstrip("/").partition("/")
    return f"{entry['method']} {key.replace(session_id, '<session>')}"


def _warm_first_answer(server: ServerProcess) -> tuple[float, bool]:
    """A never-snapshotted, warmed-up process: one first answer on a new session, and if it was right.

    On a new connection, as a restored process's first answer necessarily is: a kept-alive one would spare the
    warm side a TCP handshake the restored side pays.
    """
    with httpx.Client() as client:  # invoke times the request alone, not building the client
        call = invoke(client, server.base_url, new_session_id("warm"), name_prompt(RESTORE_NAME))
    return call.seconds, call.ok and call.answer == EXPECTED_ANSWER


@contextmanager
def _checkpointed(spec: TargetSpec, log_dir: Path) -> Iterator[Checkpoint]:
    """The target started for a snapshot, checkpointed after its first healthy /ping, and stopped; images removed."""
    port = free_port()
    with tempfile.TemporaryDirectory(prefix=f"bench-restore-{spec.name}-") as session_dir:
        # What local.processes.spawn gives every server: this environment, unbuffered output, the target's own.
        env = {**os.environ, "PYTHONUNBUFFERED": "1", **start_env(spec, port, Path(session_dir))}
        server = start_for_snapshot(
            python_module(spec.module), port=port, env=env, log_path=log_dir / f"{spec.name}-snapshotted.log"
        )
        try:
            server.wait_healthy(STARTUP_SECONDS)
            wait_inbound_closed(server)
            images = checkpoint(server, log_dir / f"{spec.name}-images")
        finally:
            server.stop()
        try:
            yield images
        finally:
            remove_images(images)


def _summary(images: Checkpoint, runs: list[dict[str, Any]], warm: list[tuple[float, bool]]) -> dict[str, Any]:
    return {
        "reps": len(runs),
        "dump_s": round(images.dumped_in_seconds, 4),
        "ping_s": [round(r["ping_s"], 4) for r in runs],
        "answer_s": [round(r["answer_s"], 4) for r in runs],
        "warm_answer_s": [round(seconds, 4) for seconds, _ in warm],
        "median_ping_s": round(median([r["ping_s"] for r in runs]), 4),
        "median_answer_s": round(median([r["answer_s"] for r in runs]), 4),
        "median_warm_answer_s": round(median([seconds for seconds, _ in warm]), 4),
        "wrong_answers": sum(not r["ok"] for r in runs) + sum(not ok for _, ok in warm),
        "first_turn_s3_requests": runs[0]["s3"],
    }


def _s3_round_trips(client: Any, bucket: str, calls: int) -> list[float]:
    """Seconds of small PutObject and GetObject calls (alternating) sent straight to moto from a warm client."""
    samples = []
    for index in range(calls):
        started = time.perf_counter()
        if index % 2:
            client.get_object(Bucket=bucket, Key=S3_FLOOR_KEY)["Body"].read()
        else:
            client.put_object(Bucket=bucket, Key=S3_FLOOR_KEY, Body=b"{}")
        samples.append(time.perf_counter() - started)
    return samples


@contextmanager
def _recording_path(bedrock: BedrockPath, log_dir: Path) -> Iterator[tuple[BedrockPath, Path]]:
    """The Bedrock path with a moto of this measurement's own, recording every request, and a new bucket."""
    recording = log_dir / "restore-moto-recording.jsonl"
    recording.touch()
    with started_moto(log_dir=log_dir, recording=recording) as moto:
        yield dataclasses.replace(bedrock, moto_port=moto.port, bucket=new_session_bucket(moto.base_url)), recording


def measure_restore(targets: list[str], bedrock: BedrockPath | None, *, reps: int, log_dir: Path) -> dict[str, Any]:
    """Per Bedrock target: restore → /ping, restore → first answer, warm first answer; the store's round trips."""
    if bedrock is None or not targets:
        return {"measured": False, "reason": "no Bedrock target selected"}
    reason = unavailable_reason()
    if reason is not None:
        return {"measured": False, "reason": reason}
    with _recording_path(bedrock, log_dir) as (path, recording), ExitStack() as stack:
        specs = [target_spec(name, stub_url="", bedrock=path) for name in targets]
        images = {spec.name: stack.enter_context(_checkpointed(spec, log_dir)) for spec in specs}
        warm = {spec.name: stack.enter_context(started_target(spec, log_dir=log_dir)) for spec in specs}
        for server in warm.values():
            warm_up(server.base_url)
        # Priced as the agent sends them: an S3 client built the way the agent builds its own (agent/aws_clients.py).
        s3 = SharedClientSession(region_name=REGION).client(
            "s3",
            endpoint_url=path.moto_url,
            aws_access_key_id=CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        )
        s3.put_object(Bucket=path.bucket, Key=S3_FLOOR_KEY, Body=b"{}")
        for image in images.values():
            image.wait_until_aged()
        runs: dict[str, list[dict[str, Any]]] = {spec.name: [] for spec in specs}
        warm_answers: dict[str, list[tuple[float, bool]]] = {spec.name: [] for spec in specs}
        floor: list[float] = []
        for rep in range(reps):
            for spec in specs[rep % len(specs) :] + specs[: rep % len(specs)]:
                runs[spec.name].append(_one_restore(images[spec.name], spec, log_dir, rep, recording))
                warm_answers[spec.name].append(_warm_first_answer(warm[spec.name]))
            floor += _s3_round_trips(s3, path.bucket, S3_FLOOR_CALLS_PER_REP)
        section: dict[str, Any] = {"measured": True}
        for spec in specs:
            section[spec.name] = _summary(images[spec.name], runs[spec.name], warm_answers[spec.name])
        section["s3_round_trip_ms"] = round(median(floor) * 1000, 3)
    return section
