"""AgentCore Memory's long-term half, offline: memory records, a deterministic extraction, retrieval and deletion.

WHY: moto 5.2.5 stores Memory events (bedrock-agentcore) and memories with their strategies
(bedrock-agentcore-control) but has no memory records at all. This module adds, to the same moto server and on
moto's own stored events and memories, the data-plane calls long-term memory and its erasure make. Shapes,
required parameters, pagination (``maxResults``/``nextToken``) and error codes follow botocore's
``bedrock-agentcore`` model (botocore 1.44.8, ``data/bedrock-agentcore/2024-02-28/service-2.json``):

- RetrieveMemoryRecords, ListMemoryRecords: exactly one of ``namespace`` (exact) or ``namespacePath`` (hierarchical
  prefix, "all memory records where namespace falls under the same parent hierarchy"), else ValidationException;
  RetrieveMemoryRecords ranks by a deterministic score and keeps ``searchCriteria.topK`` (default 10, 1..100).
- GetMemoryRecord, DeleteMemoryRecord: an unknown record (or one outside the given ``namespace``) is
  ResourceNotFoundException; BatchDeleteMemoryRecords reports each record as SUCCEEDED or FAILED (errorCode 404).
- ListSessions (``filter.eventFilter`` HAS_EVENTS), ListActors: from moto's stored events.
- ListMemoryExtractionJobs: see below.
- A memory id that moto's control plane does not know is ResourceNotFoundException, as AWS answers it.

Extraction (deterministic, asynchronous like the service's): each CreateEvent whose payload holds a USER
conversational message queues one job per SEMANTIC or USER_PREFERENCE strategy of the memory; a worker thread turns
"my name is X" into the semantic fact ``The user's name is X.`` and "I prefer/like/love X" into the preference
``The user prefers X.``, saved under every namespace of the strategy with ``{actorId}``, ``{sessionId}`` and
``{memoryStrategyId}`` filled in. Like the service's consolidation, a newer name replaces the older record and an
identical preference is not stored twice. Other strategy types extract nothing here. A job keeps the event's text,
so deleting the event after CreateEvent does not stop its extraction (an erasure must re-check records afterwards).

Divergence, on purpose: AWS documents ListMemoryExtractionJobs as listing the jobs "eligible to be started" (failed
ones, status FAILED). The stand-in never fails a job, and lists its queued jobs without a status instead, so a test
can see extraction pending; code meant for AWS must not rely on seeing in-flight jobs there.

Test API, for an emulator in the test's own process (``start_emulator``): :func:`wait_for_extraction` (blocks
until no job is queued, up to a deadline) and :func:`extraction_held` (jobs stay queued while it is open). Against
an emulator process, poll ListMemoryRecords or ListMemoryExtractionJobs with a deadline, as on AWS.
"""

from __future__ import annotations

import itertools
import json
import re
import threading
import uuid
from collections import deque
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from moto.bedrockagentcore.exceptions import ResourceNotFoundException, ValidationException
from moto.bedrockagentcore.models import BedrockAgentCoreBackend
from moto.bedrockagentcore.responses import BedrockAgentCoreResponse
from moto.bedrockagentcorecontrol.models import bedrockagentcorecontrol_backends
from moto.core.responses import ActionResult

# Limits from botocore's model: SearchCriteria.topK and MaxResults are 1..100; BatchDelete takes at most 100 records;
# ListMemoryExtractionJobs' maxResults is 1..50. Defaults: the service pages by 20 (as local/aws_emulator.py's
# ListEvents), topK 10 (bedrock_agentcore's RetrievalConfig default).
DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
MAX_JOB_PAGE_SIZE = 50
DEFAULT_TOP_K = 10
MAX_BATCH_DELETE = 100
EXTRACTED_STRATEGY_TYPES = ("SEMANTIC", "USER_PREFERENCE")
NAME_RULE = re.compile(r"\bmy name is ([^.!?\n<]+)", re.IGNORECASE)
PREFERENCE_RULE = re.compile(r"\bI (?:prefer|like|love) ([^.!?\n<]+)", re.IGNORECASE)
# Words that carry no meaning for the score (a query "What is my name?" is about "name").
STOP_WORDS = frozenset({"a", "an", "do", "i", "is", "me", "my", "the", "what", "who", "you", "your"})
WORD = re.compile(r"[a-z0-9]+")


class InvalidRequest(ValidationException):
    """ValidationException with the ``reason`` botocore's model requires (FieldValidationFailed)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.reason = "FieldValidationFailed"


@dataclass(frozen=True)
class MemoryRecord:
    """One long-term record; ``topic`` is what consolidation compares (a newer fact on a topic replaces it)."""

    record_id: str
    memory_id: str
    strategy_id: str
    namespace: str
    text: str
    topic: str
    created_at: datetime

    def summary(self, score: float | None = None) -> dict[str, Any]:
        """The MemoryRecordSummary (or MemoryRecord) shape."""
        shape: dict[str, Any] = {
            "memoryRecordId": self.record_id,
            "content": {"text": self.text},
            "memoryStrategyId": self.strategy_id,
            "namespaces": [self.namespace],
            "createdAt": self.created_at,
        }
        if score is not None:
            shape["score"] = score
        return shape


@dataclass(frozen=True)
class ExtractionJob:
    """One event's USER text, to be extracted by one strategy into its (resolved) namespaces."""

    job_id: str
    memory_id: str
    actor_id: str
    session_id: str
    event_id: str
    strategy_id: str
    strategy_type: str
    namespaces: tuple[str, ...]
    texts: tuple[str, ...]

    def metadata(self) -> dict[str, Any]:
        """The ExtractionJobMetadata shape (no status: queued, not failed; see the module docstring)."""
        return {
            "jobID": self.job_id,
            "messages": {"messagesList": [{"eventId": self.event_id, "messageIndex": 0}]},
            "strategyId": self.strategy_id,
            "sessionId": self.session_id,
            "actorId": self.actor_id,
        }


class LongTermMemory:
    """Every record and queued job of this process, keyed by (account, region, memory id), and the worker."""

    def __init__(self) -> None:
        self._records: dict[tuple[str, str, str], dict[str, MemoryRecord]] = {}
        self._jobs: deque[tuple[tuple[str, str], ExtractionJob]] = deque()
        self._condition = threading.Condition()
        self._holds = 0
        self._busy = False
        self._worker: threading.Thread | None = None

    # Extraction: queue, worker, test controls.

    def enqueue(self, scope: tuple[str, str], jobs: Iterable[ExtractionJob]) -> None:
        """Queue jobs; the worker extracts them in order."""
        with self._condition:
            self._jobs.extend((scope, job) for job in jobs)
            if self._worker is None:
                self._worker = threading.Thread(target=self._run, name="memory-extraction", daemon=True)
                self._worker.start()
            self._condition.notify_all()

    def pending(self, scope: tuple[str, str], memory_id: str) -> list[ExtractionJob]:
        """The jobs of ``memory_id`` not extracted yet (the one being extracted included)."""
        with self._condition:
            return [job for job_scope, job in self._jobs if job_scope == scope and job.memory_id == memory_id]

    def wait_idle(self, timeout: float) -> bool:
        """True once no job is queued or running; False if that does not happen within ``timeout`` seconds."""
        with self._condition:
            return self._condition.wait_for(lambda: not self._jobs and not self._busy, timeout=timeout)

    @contextmanager
    def held(self) -> Iterator[None]:
        """While open, queued jobs stay queued (a test's window between CreateEvent and extraction)."""
        with self._condition:
            self._holds += 1
        try:
            yield
        finally:
            with self._condition:
                self._holds -= 1
                self._condition.notify_all()

    def _run(self) -> None:
        while True:
            with self._condition:
                self._condition.wait_for(lambda: bool(self._jobs) and self._holds == 0)
                scope, job = self._jobs[0]
                self._busy = True
            try:
                self._extract(scope, job)
            finally:
                with self._condition:
                    self._jobs.popleft()
                    self._busy = False
                    self._condition.notify_all()

    def _extract(self, scope: tuple[str, str], job: ExtractionJob) -> None:
        for topic, text in extracted_facts(job.strategy_type, job.texts):
            for namespace in job.namespaces:
                self._consolidate(scope, job, namespace, topic, text)

    def _consolidate(self, scope: tuple[str, str], job: ExtractionJob, namespace: str, topic: str, text: str) -> None:
        """Store ``text`` under ``namespace``, replacing the record on the same topic (as consolidation updates)."""
        with self._condition:
            records = self._records.setdefault((*scope, job.memory_id), {})
            same = [
                r
                for r in records.values()
                if (r.strategy_id, r.namespace, r.topic) == (job.strategy_id, namespace, topic)
            ]
            if same and same[0].text == text:
                return
            for record in same:
                del records[record.record_id]
            record = MemoryRecord(
                record_id=new_record_id(),
                memory_id=job.memory_id,
                strategy_id=job.strategy_id,
                namespace=namespace,
                text=text,
                topic=topic,
                created_at=datetime.now(UTC),
            )
            records[record.record_id] = record

    # Records: what the request handlers read and delete.

    def records(self, scope: tuple[str, str], memory_id: str) -> list[MemoryRecord]:
        """The memory's records, newest first (ties by id, so the order is deterministic)."""
        with self._condition:
            stored = list(self._records.get((*scope, memory_id), {}).values())
        return sorted(stored, key=lambda r: (-r.created_at.timestamp(), r.record_id))

    def delete(self, scope: tuple[str, str], memory_id: str, record_id: str, namespace: str | None) -> bool:
        """Delete one record (only within ``namespace`` when given); False when there is no such record."""
        with self._condition:
            records = self._records.get((*scope, memory_id), {})
            record = records.get(record_id)
            if record is None or (namespace is not None and record.namespace != namespace):
                return False
            del records[record_id]
            return True


STATE = LongTermMemory()
_job_numbers = itertools.count(1)


def wait_for_extraction(timeout: float = 10.0) -> bool:
    """True once every queued extraction of this process's emulator is done (False after ``timeout`` seconds)."""
    return STATE.wait_idle(timeout)


@contextmanager
def extraction_held() -> Iterator[None]:
    """Keep extraction pending while the block runs (jobs queue up; they run when it exits)."""
    with STATE.held():
        yield


def new_record_id() -> str:
    """``mem-`` and 36 characters: MemoryRecordId is 40..50 characters matching ``mem-[a-zA-Z0-9-_]*``."""
    return f"mem-{uuid.uuid4()}"


def user_texts(payload: list[dict[str, Any]]) -> tuple[str, ...]:
    """The USER conversational texts of an event; Strands' integration stores each message as JSON text."""
    texts: list[str] = []
    for item in payload:
        conversational = item.get("conversational") if isinstance(item, dict) else None
        if not isinstance(conversational, dict) or conversational.get("role") != "USER":
            continue
        text = str((conversational.get("content") or {}).get("text", ""))
        texts.extend(_message_texts(text))
    return tuple(texts)


def _message_texts(text: str) -> list[str]:
    """The text blocks of a Strands session message stored as JSON, or the text itself."""
    try:
        stored = json.loads(text)
    except ValueError:
        return [text]
    message = stored.get("message") if isinstance(stored, dict) else None
    if not isinstance(message, dict):
        return [text]
    return [block["text"] for block in message.get("content", []) if isinstance(block, dict) and "text" in block]


def extracted_facts(strategy_type: str, texts: Iterable[str]) -> list[tuple[str, str]]:
    """(topic, record text) pairs a strategy of ``strategy_type`` extracts from the user's texts."""
    facts: list[tuple[str, str]] = []
    for text in texts:
        if strategy_type == "SEMANTIC":
            facts += [("name", f"The user's name is {m.group(1).strip()}.") for m in NAME_RULE.finditer(text)]
        elif strategy_type == "USER_PREFERENCE":
            for match in PREFERENCE_RULE.finditer(text):
                preference = match.group(1).strip()
                facts.append((preference.lower(), f"The user prefers {preference}."))
    return facts


def score(query: str, text: str) -> float:
    """Share of the query's meaningful words found in the record (0..1, rounded): deterministic relevance."""
    wanted = {w for w in WORD.findall(query.lower()) if w not in STOP_WORDS}
    if not wanted:
        return 0.0
    found = set(WORD.findall(text.lower()))
    return round(len(wanted & found) / len(wanted), 4)


def resolve_namespace(template: str, *, actor_id: str, session_id: str, strategy_id: str) -> str:
    """A strategy's namespace template with the service's variables filled in."""
    return (
        template.replace("{actorId}", actor_id)
        .replace("{sessionId}", session_id)
        .replace("{memoryStrategyId}", strategy_id)
        .replace("{strategyId}", strategy_id)
    )


# Request handlers, installed on moto's BedrockAgentCoreResponse.


def _scope(handler: BedrockAgentCoreResponse) -> tuple[str, str]:
    return handler.current_account, handler.region


def _stored_memory(handler: BedrockAgentCoreResponse, memory_id: str) -> Any | None:
    """moto's control-plane memory, None when it does not know it (MemoryId accepts the memory's ARN too)."""
    backend = bedrockagentcorecontrol_backends[handler.current_account][handler.region]
    return backend.memories.get(memory_id.rsplit("memory/", 1)[-1])


def _memory(handler: BedrockAgentCoreResponse, memory_id: str) -> Any:
    """moto's control-plane memory (raises ResourceNotFoundException as AWS does for an unknown memory)."""
    memory = _stored_memory(handler, memory_id)
    if memory is None:
        raise ResourceNotFoundException(f"Memory {memory_id.rsplit('memory/', 1)[-1]} not found")
    return memory


def _page_size(params: dict[str, Any], maximum: int = MAX_PAGE_SIZE) -> int:
    size = params.get("maxResults", DEFAULT_PAGE_SIZE)
    if not isinstance(size, int) or not 1 <= size <= maximum:
        raise InvalidRequest(f"maxResults is {size} but must be between 1 and {maximum}")
    return size


def _page(items: list[Any], params: dict[str, Any], size: int) -> tuple[list[Any], dict[str, str]]:
    """One page from ``nextToken`` (an offset this stand-in issued), and the next token when more remain."""
    token = params.get("nextToken") or "0"
    if not token.isdigit():
        raise InvalidRequest(f"nextToken is {token!r}, which this memory did not issue")
    start = int(token)
    more = {"nextToken": str(start + size)} if start + size < len(items) else {}
    return items[start : start + size], more


def _in_namespace(record: MemoryRecord, params: dict[str, Any]) -> bool:
    """namespace: exactly that one; namespacePath: every namespace under that prefix (checked: one is given)."""
    namespace, path = params.get("namespace"), params.get("namespacePath")
    return record.namespace == namespace if namespace is not None else record.namespace.startswith(str(path))


def _selected(handler: BedrockAgentCoreResponse, params: dict[str, Any]) -> list[MemoryRecord]:
    memory_id = _memory(handler, params["memoryId"]).memory_id
    if (params.get("namespace") is None) == (params.get("namespacePath") is None):
        raise InvalidRequest("Either namespace or namespacePath is required, and not both")
    strategy_id = params.get("memoryStrategyId") or (params.get("searchCriteria") or {}).get("memoryStrategyId")
    return [
        r
        for r in STATE.records(_scope(handler), memory_id)
        if _in_namespace(r, params) and (strategy_id is None or r.strategy_id == strategy_id)
    ]


def retrieve_memory_records(self: BedrockAgentCoreResponse) -> ActionResult:
    """Records of the namespace ranked by :func:`score` (then newest first), at most topK, paged."""
    params = self._get_params()
    criteria = params["searchCriteria"]
    query, top_k = criteria.get("searchQuery") or "", criteria.get("topK", DEFAULT_TOP_K)
    if not query:
        raise InvalidRequest("searchCriteria.searchQuery must be at least 1 character long")
    if not isinstance(top_k, int) or not 1 <= top_k <= MAX_PAGE_SIZE:
        raise InvalidRequest(f"searchCriteria.topK is {top_k} but must be between 1 and {MAX_PAGE_SIZE}")
    size = _page_size(params)
    ranked = sorted(
        ((score(query, r.text), r) for r in _selected(self, params)),
        key=lambda scored: (-scored[0], -scored[1].created_at.timestamp(), scored[1].record_id),
    )[:top_k]
    page, more = _page(ranked, params, size)
    return ActionResult({"memoryRecordSummaries": [r.summary(s) for s, r in page], **more})


def list_memory_records(self: BedrockAgentCoreResponse) -> ActionResult:
    """Records of the namespace (or under the path), newest first, paged."""
    params = self._get_params()
    page, more = _page(_selected(self, params), params, _page_size(params))
    return ActionResult({"memoryRecordSummaries": [r.summary() for r in page], **more})


def get_memory_record(self: BedrockAgentCoreResponse) -> ActionResult:
    params = self._get_params()
    memory_id = _memory(self, params["memoryId"]).memory_id
    record_id, namespace = params["memoryRecordId"], params.get("namespace")
    found = [r for r in STATE.records(_scope(self), memory_id) if r.record_id == record_id]
    if not found or (namespace is not None and found[0].namespace != namespace):
        raise ResourceNotFoundException(f"Memory record {record_id} not found")
    return ActionResult({"memoryRecord": found[0].summary()})


def delete_memory_record(self: BedrockAgentCoreResponse) -> ActionResult:
    params = self._get_params()
    memory_id = _memory(self, params["memoryId"]).memory_id
    record_id = params["memoryRecordId"]
    if not STATE.delete(_scope(self), memory_id, record_id, params.get("namespace")):
        raise ResourceNotFoundException(f"Memory record {record_id} not found")
    return ActionResult({"memoryRecordId": record_id})


def batch_delete_memory_records(self: BedrockAgentCoreResponse) -> ActionResult:
    """Each record deleted or reported FAILED with errorCode 404 (the call itself succeeds)."""
    params = self._get_params()
    memory_id = _memory(self, params["memoryId"]).memory_id
    requested = params.get("records") or []
    if len(requested) > MAX_BATCH_DELETE:
        raise InvalidRequest(f"records has {len(requested)} entries but must have at most {MAX_BATCH_DELETE}")
    succeeded, failed = [], []
    for entry in requested:
        record_id = entry["memoryRecordId"]
        if STATE.delete(_scope(self), memory_id, record_id, entry.get("namespace")):
            succeeded.append({"memoryRecordId": record_id, "status": "SUCCEEDED"})
        else:
            failed.append(
                {"memoryRecordId": record_id, "status": "FAILED", "errorCode": 404, "errorMessage": "Not found"}
            )
    return ActionResult({"successfulRecords": succeeded, "failedRecords": failed})


def list_memory_extraction_jobs(self: BedrockAgentCoreResponse) -> ActionResult:
    """The memory's queued jobs, filtered by strategy, session or actor; a FAILED filter finds none."""
    params = self._get_params()
    memory_id = _memory(self, params["memoryId"]).memory_id
    wanted = params.get("filter") or {}
    jobs = [
        job.metadata()
        for job in STATE.pending(_scope(self), memory_id)
        if wanted.get("status") is None
        and all(wanted.get(key) in (None, value) for key, value in _job_keys(job).items())
    ]
    page, more = _page(jobs, params, _page_size(params, MAX_JOB_PAGE_SIZE))
    return ActionResult({"jobs": page, **more})


def _job_keys(job: ExtractionJob) -> dict[str, str]:
    return {"strategyId": job.strategy_id, "sessionId": job.session_id, "actorId": job.actor_id}


def _event_sessions(self: BedrockAgentCoreResponse, memory_id: str) -> dict[tuple[str, str], list[Any]]:
    """(actor, session) → that session's stored events, from moto's event store."""
    backend: BedrockAgentCoreBackend = self.backend
    return {
        (actor, session): list(events.values())
        for (memory, actor, session), events in backend.events.items()
        if memory == memory_id
    }


def list_sessions(self: BedrockAgentCoreResponse) -> ActionResult:
    """The actor's sessions (with ``HAS_EVENTS``: only those still holding events), newest first."""
    params = self._get_params()
    memory_id = _memory(self, params["memoryId"]).memory_id
    only_with_events = ((params.get("filter") or {}).get("eventFilter")) == "HAS_EVENTS"
    sessions = sorted(
        (
            (_created(events), session, actor)
            for (actor, session), events in _event_sessions(self, memory_id).items()
            if actor == params["actorId"] and (events or not only_with_events)
        ),
        key=lambda s: (-s[0].timestamp(), s[1]),
    )
    summaries = [{"sessionId": session, "actorId": actor, "createdAt": created} for created, session, actor in sessions]
    page, more = _page(summaries, params, _page_size(params))
    return ActionResult({"sessionSummaries": page, **more})


def list_actors(self: BedrockAgentCoreResponse) -> ActionResult:
    """Every actor with a session in the memory, in id order."""
    params = self._get_params()
    memory_id = _memory(self, params["memoryId"]).memory_id
    actors = sorted({actor for actor, _ in _event_sessions(self, memory_id)})
    page, more = _page([{"actorId": actor} for actor in actors], params, _page_size(params))
    return ActionResult({"actorSummaries": page, **more})


def _created(events: list[Any]) -> datetime:
    stamps = [e.event_timestamp for e in events if isinstance(e.event_timestamp, datetime)]
    return min(stamps) if stamps else datetime.now(UTC)


_moto_create_event = BedrockAgentCoreResponse.create_event


def create_event_with_extraction(self: BedrockAgentCoreResponse) -> ActionResult:
    """moto's CreateEvent, then one extraction job per extracting strategy of the memory (if it has any)."""
    result = _moto_create_event(self)
    params = self._get_params()
    memory = _stored_memory(self, str(params["memoryId"]))
    texts = user_texts(params.get("payload") or [])
    if memory is None or not texts:
        return result
    event = result.result["event"]  # type: ignore[index]
    jobs = [
        _job(memory.memory_id, event, strategy, texts)
        for strategy in memory.strategies
        if strategy.get("type") in EXTRACTED_STRATEGY_TYPES
    ]
    STATE.enqueue(_scope(self), jobs)
    return result


def _job(memory_id: str, event: dict[str, Any], strategy: dict[str, Any], texts: tuple[str, ...]) -> ExtractionJob:
    strategy_id = strategy["strategyId"]
    templates = strategy.get("namespaces") or strategy.get("namespaceTemplates") or []
    namespaces = tuple(
        resolve_namespace(t, actor_id=event["actorId"], session_id=event["sessionId"], strategy_id=strategy_id)
        for t in templates
    )
    return ExtractionJob(
        job_id=f"job-{next(_job_numbers):08d}",
        memory_id=memory_id,
        actor_id=event["actorId"],
        session_id=event["sessionId"],
        event_id=event["eventId"],
        strategy_id=strategy_id,
        strategy_type=strategy["type"],
        namespaces=namespaces,
        texts=texts,
    )


HANDLERS = {
    "create_event": create_event_with_extraction,
    "retrieve_memory_records": retrieve_memory_records,
    "list_memory_records": list_memory_records,
    "get_memory_record": get_memory_record,
    "delete_memory_record": delete_memory_record,
    "batch_delete_memory_records": batch_delete_memory_records,
    "list_memory_extraction_jobs": list_memory_extraction_jobs,
    "list_sessions": list_sessions,
    "list_actors": list_actors,
}


def install() -> None:
    """Add the handlers to moto's bedrock-agentcore responses (idempotent)."""
    for name, handler in HANDLERS.items():
        setattr(BedrockAgentCoreResponse, name, handler)
