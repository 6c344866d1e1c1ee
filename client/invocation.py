"""Call the runtime: build the invocation URL, send the prompt, stream the answer back.

WHY two invokers: a JWT runtime must be called over HTTPS with `Authorization: Bearer` (the AWS SDK
cannot do that), an IAM runtime through boto3's SigV4-signed `invoke_agent_runtime`, naming the end user in
the header the runtime allowlists. Both read the same agent answers (`client/agent_answers.py`). The bearer
path retries refusals by `client/retry_policy.py`; boto3 retries the SigV4 path by its own retry mode.
"""

from __future__ import annotations

import contextlib
import json
import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import quote

import httpx
from botocore.exceptions import ClientError

from client.agent_answers import EVENT_STREAM, TextSink, read_answer, read_botocore_answer
from client.agentcore_headers import END_USER_HEADER, SESSION_HEADER
from client.aws_errors import aws_call, error_code, error_message
from client.errors import CliError, RuntimeHttpError
from client.retry_policy import RetryPolicy, retry_after_seconds
from client.targets import Target

if TYPE_CHECKING:
    from mypy_boto3_bedrock_agentcore import BedrockAgentCoreClient
    from mypy_boto3_bedrock_agentcore.type_defs import InvokeAgentRuntimeResponseTypeDef

logger = logging.getLogger(__name__)
T = TypeVar("T")
JSON = "application/json"
_SHOWN_BYTES = 200


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
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        """Args: target: the runtime; http: a client (timeouts set by the caller); retry: when to call again
        after 429, 503 or a busy session's 409 (default `RetryPolicy()`: 4 attempts); sleep: waits between
        attempts."""
        self._target = target
        self._http = http
        self._retry = retry or RetryPolicy()
        self._sleep = sleep

    def invoke(self, *, prompt: str, session_id: str, access_token: str, stream: bool, on_text: TextSink) -> Answer:
        """Send one prompt; streamed text goes to `on_text` as it arrives.

        Raises:
            CliError: network failure, throttling after retries, or the runtime/agent refused the call.
        """
        body = {"prompt": prompt, "stream": stream}
        text = self._post(
            body,
            session_id=session_id,
            access_token=access_token,
            accept=EVENT_STREAM if stream else JSON,
            read=lambda r: read_answer(r, on_text),
        )
        return Answer(text=text, session_id=session_id)

    def call_action(self, action: str, *, session_id: str, access_token: str) -> Any:
        """POST `{"action": action}` (e.g. `forget_me`) and return the parsed JSON answer; retried like a prompt
        (an action the agent offers is idempotent).

        Raises:
            CliError: network failure, throttling after retries, a refusal, or an answer that is not JSON.
        """
        return self._post(
            {"action": action}, session_id=session_id, access_token=access_token, accept=JSON, read=_json_body
        )

    def _post(
        self,
        body: dict[str, Any],
        *,
        session_id: str,
        access_token: str,
        accept: str,
        read: Callable[[httpx.Response], T],
    ) -> T:
        """POST `body` to the invocation URL, retrying refusals by the retry policy; `read` reads a 200 answer."""
        url = invocation_url(self._target.invocation_base_url, self._target.runtime_arn, self._target.endpoint_name)
        headers = {
            "Authorization": f"Bearer {access_token}",
            SESSION_HEADER: session_id,
            "Content-Type": JSON,
            "Accept": accept,
        }
        content = json.dumps(body)
        attempt = 1
        while True:
            with self._network_errors(), self._http.stream("POST", url, headers=headers, content=content) as response:
                if response.status_code == 200:
                    return read(response)
                response.read()
                delay = self._delay_before_retry(response, attempt)
            # Outside the `with`: the refused answer is closed and its connection back in the pool while waiting.
            logger.debug("status=<%s>, attempt=<%d>, delay=<%.3f> | retrying", response.status_code, attempt, delay)
            self._sleep(delay)
            attempt += 1

    def _delay_before_retry(self, response: httpx.Response, attempt: int) -> float:
        """The wait before the next attempt.

        Raises:
            RuntimeHttpError: no retry is due (not retryable, attempts used up, or `Retry-After` too long).
        """
        retry_after = retry_after_seconds(response.headers.get("retry-after"), now=self._retry.clock())
        delay = self._retry.delay_before_retry(
            attempt=attempt, status=response.status_code, code=_error_fields(response)[1], retry_after=retry_after
        )
        if delay is None:
            too_long = retry_after if self._retry.waits_too_long(retry_after) else None
            raise _http_error(response, self._target, attempts=attempt, retry_after_too_long=too_long)
        return delay

    def stop_session(self, *, session_id: str, access_token: str) -> None:
        """StopRuntimeSession over HTTPS with the bearer token (SigV4 would be refused)."""
        url = invocation_url(
            self._target.invocation_base_url,
            self._target.runtime_arn,
            self._target.endpoint_name,
            action="stopruntimesession",
        )
        headers = {
            "Authorization": f"Bearer {access_token}",
            SESSION_HEADER: session_id,
            "Content-Type": JSON,
        }
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

    def __init__(self, *, target: Target, agentcore: BedrockAgentCoreClient, end_user: str | None = None) -> None:
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
        response = self._invoke(
            {"prompt": prompt, "stream": stream}, session_id=session_id, accept=EVENT_STREAM if stream else JSON
        )
        text = read_botocore_answer(response.get("contentType", ""), response["response"], on_text)
        return Answer(text=text, session_id=session_id)

    def call_action(self, action: str, *, session_id: str) -> Any:
        """Send `{"action": action}` with SigV4 and return the parsed JSON answer.

        Raises:
            CliError: a refusal, or an answer that is not JSON.
        """
        response = self._invoke({"action": action}, session_id=session_id, accept=JSON)
        return _parse_json(response["response"].read())

    def _invoke(self, body: dict[str, Any], *, session_id: str, accept: str) -> InvokeAgentRuntimeResponseTypeDef:
        try:
            return aws_call(
                "invoke",
                self._agentcore.invoke_agent_runtime,
                agentRuntimeArn=self._target.runtime_arn,
                qualifier=self._target.endpoint_name,
                runtimeSessionId=session_id,
                contentType=JSON,
                accept=accept,
                payload=json.dumps(body).encode(),
            )
        except ClientError as e:
            raise CliError(f"runtime refused the call ({error_code(e)}): {error_message(e)}") from e

    def stop_session(self, *, session_id: str) -> None:
        """StopRuntimeSession with SigV4."""
        try:
            aws_call(
                "sessions stop",
                self._agentcore.stop_runtime_session,
                agentRuntimeArn=self._target.runtime_arn,
                qualifier=self._target.endpoint_name,
                runtimeSessionId=session_id,
            )
        except ClientError as e:
            raise CliError(f"sessions stop failed ({error_code(e)}): {error_message(e)}") from e


def _json_body(response: httpx.Response) -> Any:
    return _parse_json(response.read())


def _parse_json(raw: bytes) -> Any:
    """The JSON value of an answer body.

    Raises:
        CliError: the body is not JSON.
    """
    try:
        return json.loads(raw)
    except ValueError as e:
        raise CliError(f"runtime answered with something that is not JSON: {raw[:_SHOWN_BYTES]!r}") from e


def _header_adder(name: str, value: str) -> Callable[..., None]:
    """A botocore `before-sign` handler that sets one request header."""

    def add(request: Any, **_: Any) -> None:
        request.headers[name] = value

    return add


def _http_error(
    response: httpx.Response, target: Target, *, attempts: int, retry_after_too_long: float | None = None
) -> RuntimeHttpError:
    """One line describing a non-200 answer from the runtime (or front door), and how often it was tried."""
    message, code = _error_fields(response)
    status = response.status_code
    tried = f"{attempts} attempt{'s' if attempts > 1 else ''}"
    if retry_after_too_long is not None:
        tried += f"; it asks to wait {retry_after_too_long:g} s before the next"
    elif attempts > 1:
        tried += " with backoff"
    if status == 429:
        text = f"throttled by the runtime ({tried}): {message}; try again later"
    elif status == 401:
        text = f"runtime rejected the access token ({code}): {message}"
    elif status == 404:
        text = (
            f"runtime {target.runtime_arn} (endpoint {target.endpoint_name}) not found: {message} "
            f"— is stage {target.name} deployed and READY?"
        )
    else:
        text = f"runtime answered HTTP {status} ({code}): {message}"
        if attempts > 1 or retry_after_too_long is not None:
            text += f" ({tried})"
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
