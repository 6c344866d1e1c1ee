"""Call the runtime: build the invocation URL, send the prompt, stream the answer back.

WHY two invokers: a JWT runtime must be called over HTTPS with `Authorization: Bearer` (the AWS SDK
cannot do that), an IAM runtime through boto3's SigV4-signed `invoke_agent_runtime`, naming the end user in
the header the runtime allowlists. Both read the same agent answers: JSON `{"response": ...}` or the SSE
events `delta`/`done`/`error`.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx
from botocore.exceptions import ClientError

from client.aws_errors import aws_call, error_code, error_message
from client.errors import CliError, RuntimeHttpError
from client.targets import Target

SESSION_HEADER = "X-Amzn-Bedrock-AgentCore-Runtime-Session-Id"
# The end user a SigV4 caller speaks for; an IAM runtime allowlists it (stacks/runtime_stack.py, docs/agent.md).
END_USER_HEADER = "X-Amzn-Bedrock-AgentCore-Runtime-Custom-User-Id"
RETRYABLE_STATUSES = frozenset({429, 503})
TextSink = Callable[[str], None]


@dataclass(frozen=True)
class Answer:
    """The agent's full reply and the session it belongs to."""

    text: str
    session_id: str


def invocation_url(base_url: str, runtime_arn: str, endpoint_name: str, *, action: str = "invocations") -> str:
    """`<base>/runtimes/<ARN with every reserved character encoded>/<action>?qualifier=<endpoint>`.

    WHY `safe=''`: the ARN holds `:` and `/`; an unencoded `/` would split the path and AgentCore
    would not find the runtime.
    """
    return (
        f"{base_url.rstrip('/')}/runtimes/{quote(runtime_arn, safe='')}/{action}"
        f"?qualifier={quote(endpoint_name, safe='')}"
    )


class BearerInvoker:
    """HTTPS calls with a Cognito access token, as a JWT-authorized runtime requires."""

    def __init__(
        self,
        *,
        target: Target,
        http: httpx.Client,
        max_attempts: int = 4,
        backoff_seconds: float = 0.5,
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        """Args: target: the runtime; http: a client (timeouts set by the caller); max_attempts and
        backoff_seconds: retry policy for throttling (429) and 503; sleep: waits between attempts
        (default `time.sleep`)."""
        self._target = target
        self._http = http
        self._max_attempts = max_attempts
        self._backoff = backoff_seconds
        self._sleep = sleep or time.sleep

    def invoke(self, *, prompt: str, session_id: str, access_token: str, stream: bool, on_text: TextSink) -> Answer:
        """Send one prompt; streamed text goes to `on_text` as it arrives.

        Raises:
            CliError: network failure, throttling after retries, or the runtime/agent refused the call.
        """
        url = invocation_url(self._target.invocation_base_url, self._target.runtime_arn, self._target.endpoint_name)
        headers = {
            "Authorization": f"Bearer {access_token}",
            SESSION_HEADER: session_id,
            "Content-Type": "application/json",
            "Accept": "text/event-stream" if stream else "application/json",
        }
        body = json.dumps({"prompt": prompt, "stream": stream})
        for attempt in range(1, self._max_attempts + 1):
            with self._network_errors():
                with self._http.stream("POST", url, headers=headers, content=body) as response:
                    if response.status_code in RETRYABLE_STATUSES and attempt < self._max_attempts:
                        self._sleep(self._backoff * 2 ** (attempt - 1))
                        continue
                    if response.status_code != 200:
                        response.read()
                        raise _http_error(response, self._target, attempts=attempt)
                    return Answer(text=_read_answer(response, on_text), session_id=session_id)
        raise AssertionError("unreachable: the loop returns or raises")

    def stop_session(self, *, session_id: str, access_token: str) -> None:
        """StopRuntimeSession over HTTPS with the bearer token (SigV4 would be refused)."""
        url = invocation_url(
            self._target.invocation_base_url, self._target.runtime_arn, self._target.endpoint_name,
            action="stopruntimesession",
        )
        headers = {"Authorization": f"Bearer {access_token}", SESSION_HEADER: session_id, "Content-Type": "application/json"}
        with self._network_errors():
            response = self._http.post(url, headers=headers, content="{}")
        if response.status_code != 200:
            raise _http_error(response, self._target, attempts=1)

    @contextlib.contextmanager
    def _network_errors(self) -> Iterator[None]:
        """Turn connection failures, timeouts and broken streams into one-line `CliError`s."""
        base = self._target.invocation_base_url
        try:
            yield
        except httpx.TimeoutException as e:
            raise CliError(f"network failure: {base} did not answer in time") from e
        except (httpx.ConnectError, httpx.UnsupportedProtocol) as e:
            raise CliError(f"network failure: cannot reach {base} ({e})") from e
        except httpx.HTTPError as e:
            raise CliError(f"network failure: the answer from {base} broke off ({e})") from e


class SigV4Invoker:
    """boto3 `invoke_agent_runtime` (SigV4) for a runtime configured for IAM authorization."""

    def __init__(self, *, target: Target, agentcore: Any, end_user: str | None = None) -> None:
        """Args: target: the runtime; agentcore: a boto3 `bedrock-agentcore` client (this invoker's own);
        end_user: the end user to name in the end-user header, or None to call as the shared anonymous caller."""
        self._target = target
        self._agentcore = agentcore
        if end_user is not None:
            # boto3 has no parameter for a custom header: add it before signing, so it is signed too
            # (the pattern of AWS's header-allowlist guide).
            agentcore.meta.events.register_first(
                "before-sign.bedrock-agentcore.InvokeAgentRuntime", _header_adder(END_USER_HEADER, end_user)
            )

    def invoke(self, *, prompt: str, session_id: str, stream: bool, on_text: TextSink) -> Answer:
        """Send one prompt with SigV4; same answer handling as the bearer path."""
        try:
            response = aws_call(
                "invoke",
                self._agentcore.invoke_agent_runtime,
                agentRuntimeArn=self._target.runtime_arn,
                qualifier=self._target.endpoint_name,
                runtimeSessionId=session_id,
                contentType="application/json",
                accept="text/event-stream" if stream else "application/json",
                payload=json.dumps({"prompt": prompt, "stream": stream}).encode(),
            )
        except ClientError as e:
            raise CliError(f"runtime refused the call ({error_code(e)}): {error_message(e)}") from e
        body = response["response"]
        if "text/event-stream" in response.get("contentType", ""):
            lines = (line.decode("utf-8") for line in body.iter_lines())
            return Answer(text=_read_events(lines, on_text), session_id=session_id)
        return Answer(text=_json_answer(body.read(), on_text), session_id=session_id)

    def stop_session(self, *, session_id: str) -> None:
        """StopRuntimeSession with SigV4."""
        try:
            aws_call(
                "sessions stop", self._agentcore.stop_runtime_session,
                agentRuntimeArn=self._target.runtime_arn, qualifier=self._target.endpoint_name,
                runtimeSessionId=session_id,
            )
        except ClientError as e:
            raise CliError(f"sessions stop failed ({error_code(e)}): {error_message(e)}") from e


def _header_adder(name: str, value: str) -> Callable[..., None]:
    """A botocore `before-sign` handler that sets one request header."""

    def add(request: Any, **_: Any) -> None:
        request.headers[name] = value

    return add


def _read_answer(response: httpx.Response, on_text: TextSink) -> str:
    if response.headers.get("content-type", "").startswith("text/event-stream"):
        return _read_events(response.iter_lines(), on_text)
    return _json_answer(response.read(), on_text)


def _json_answer(raw: bytes, on_text: TextSink) -> str:
    try:
        text = str(json.loads(raw)["response"])
    except (ValueError, KeyError, TypeError) as e:
        raise CliError(f"runtime answered with something that is not an agent reply: {raw[:200]!r}") from e
    on_text(text)
    return text


def _read_events(lines: Iterable[str], on_text: TextSink) -> str:
    """Consume `data: {...}` lines; deltas are passed on as they arrive."""
    parts: list[str] = []
    for line in lines:
        if not line.startswith("data:"):
            continue
        try:
            event = json.loads(line[5:].strip())
        except ValueError:
            continue
        kind = event.get("type") if isinstance(event, dict) else None
        if kind == "delta":
            parts.append(str(event.get("text", "")))
            on_text(str(event.get("text", "")))
        elif kind == "done":
            return str(event.get("response", "".join(parts)))
        elif kind == "error":
            raise CliError(f"agent failed: {event.get('error', 'unknown error')} ({event.get('code', 'no code')})")
    return "".join(parts)


def _http_error(response: httpx.Response, target: Target, *, attempts: int) -> RuntimeHttpError:
    """One line describing a non-200 answer from the runtime (or front door)."""
    message, code = _error_fields(response)
    status = response.status_code
    if status == 429:
        text = f"throttled by the runtime ({attempts} attempts with backoff): {message}; try again later"
    elif status == 401:
        text = f"runtime rejected the access token ({code}): {message}"
    elif status == 404:
        text = (
            f"runtime {target.runtime_arn} (endpoint {target.endpoint_name}) not found: {message} "
            f"— is stage {target.name} deployed and READY?"
        )
    else:
        text = f"runtime answered HTTP {status} ({code}): {message}"
    return RuntimeHttpError(text, status=status)


def _error_fields(response: httpx.Response) -> tuple[str, str]:
    try:
        body = response.json()
    except ValueError:
        body = {}
    if not isinstance(body, dict):
        body = {}
    message = body.get("error") or body.get("message") or body.get("Message") or response.text[:200] or "no details"
    code = body.get("code") or response.headers.get("x-amzn-errortype", "").split(":")[0] or "no code"
    return str(message), str(code)
