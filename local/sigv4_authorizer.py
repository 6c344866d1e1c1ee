"""Verify AWS Signature Version 4 the way AgentCore's IAM inbound authorization does, with botocore's signer.

WHY: an IAM-authorized runtime is called with SigV4 (boto3's `invoke_agent_runtime`). To let that code run
unchanged offline, the front door recomputes the signature over the request exactly as received — method,
raw path, query string, the headers named in `SignedHeaders`, the body — with `botocore.auth.SigV4Auth`
(the code that signed it on the client side), for the `bedrock-agentcore` service and the runtime's region,
against a local key pair, and compares in constant time. Nothing is hand-rolled but the parsing of the
`Authorization` header.

The refusals follow AWS's codes, statuses and wording (docs/client.md lists the sources): unknown key →
403 `UnrecognizedClientException`; wrong signature, wrong scope or a date more than 5 minutes off → 403
`InvalidSignatureException`; a header missing its parts → 400 `IncompleteSignatureException`; no
`Authorization` at all → 403 `MissingAuthenticationTokenException` (statuses from AWS's Common Errors pages,
https://docs.aws.amazon.com/IAM/latest/APIReference/CommonErrors.html and
https://docs.aws.amazon.com/cloudsearch/latest/developerguide/CommonErrors.html).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import string
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from urllib.parse import unquote

from botocore.auth import SIGV4_TIMESTAMP, SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from local.inbound_auth import AuthorizationError, AuthorizerType, InboundRequest

logger = logging.getLogger(__name__)

SERVICE = "bedrock-agentcore"  # signingName in botocore's bedrock-agentcore service model
ALGORITHM = "AWS4-HMAC-SHA256"
# "In most cases, a request must reach AWS within five minutes of the time stamp in the request."
# https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv.html
MAX_CLOCK_SKEW = timedelta(minutes=5)
_ACCESS_KEY_ALPHABET = string.ascii_uppercase + "234567"

MISSING_TOKEN = "Missing Authentication Token"
UNRECOGNIZED_CLIENT = "The security token included in the request is invalid."
SIGNATURE_MISMATCH = (
    "The request signature we calculated does not match the signature you provided. Check your AWS Secret "
    "Access Key and signing method. Consult the service documentation for details."
)
_REQUIRED_PARTS = (
    ("Credential", "Authorization header requires 'Credential' parameter."),
    ("Signature", "Authorization header requires 'Signature' parameter."),
    ("SignedHeaders", "Authorization header requires 'SignedHeaders' parameter."),
)
# Query-string authentication (a pre-signed URL, e.g. bedrock_agentcore's `generate_presigned_url` for `/ws`): the
# parameters botocore's `SigV4QueryAuth` adds; the signature covers all but `X-Amz-Signature`. AWS caps
# `X-Amz-Expires` at 7 days (https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-query-string-auth.html).
PRESIGNED_PARAMETERS = ("X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-Expires", "X-Amz-SignedHeaders")
SIGNATURE_PARAMETER = "X-Amz-Signature"
MAX_PRESIGNED_EXPIRES_SECONDS = 604800
REQUEST_EXPIRED = "Request has expired"
_DATE_REQUIRED = "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header."


@dataclass(frozen=True)
class LocalKeyPair:
    """An access key the local front door accepts, shaped like an IAM user's long-term key."""

    access_key_id: str
    secret_access_key: str = field(repr=False)

    @classmethod
    def generate(cls) -> LocalKeyPair:
        """A fresh random pair: `AKIA` + 16 characters, and a 40-character secret."""
        key_id = "AKIA" + "".join(secrets.choice(_ACCESS_KEY_ALPHABET) for _ in range(16))
        return cls(access_key_id=key_id, secret_access_key=secrets.token_urlsafe(30))


@dataclass(frozen=True)
class _SignedAuthorization:
    """The parts of an `Authorization: AWS4-HMAC-SHA256 ...` header."""

    access_key_id: str
    scope_date: str
    region: str
    service: str
    signed_headers: tuple[str, ...]
    signature: str


class SigV4Authorizer:
    """Accepts requests signed with one of its key pairs for `bedrock-agentcore` in one region."""

    def __init__(
        self,
        *,
        region: str,
        key_pairs: Iterable[LocalKeyPair],
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        """Create an authorizer.

        Args:
            region: the region requests must be signed for (the runtime's region).
            key_pairs: the accepted keys.
            clock: the server's current time (UTC, timezone-aware).
        """
        self._region = region
        self._keys = {pair.access_key_id: pair for pair in key_pairs}
        if not self._keys:
            raise ValueError("key_pairs is empty but must hold at least one access key")
        self._clock = clock

    @property
    def authorizer_type(self) -> AuthorizerType:
        """Always `iam`."""
        return "iam"

    def authenticate(self, request: InboundRequest) -> str:
        """Return the access key id that signed `request`, or raise `AuthorizationError` saying what is wrong.

        Signed either in the `Authorization` header or, without one, in the query string (a pre-signed URL).
        """
        authorization = request.header("authorization")
        if not authorization and "X-Amz-Algorithm=" in request.query_string:
            return self._authenticate_query(request)
        if not authorization:
            raise AuthorizationError(
                403, "missing_authentication_token", MISSING_TOKEN, error_type="MissingAuthenticationTokenException"
            )
        amz_date = request.header("x-amz-date")
        parsed = _parse_authorization(authorization, has_date=amz_date is not None)
        key = self._keys.get(parsed.access_key_id)
        if key is None or request.header("x-amz-security-token") is not None:
            raise AuthorizationError(
                403, "unrecognized_client", UNRECOGNIZED_CLIENT, error_type="UnrecognizedClientException"
            )
        signed_at = self._check_scope_and_date(parsed, str(amz_date))
        expected = self._expected_signature(request, parsed, key, str(amz_date))
        if not hmac.compare_digest(expected.encode(), parsed.signature.encode()):  # bytes: any header text compares
            raise _invalid_signature("signature_mismatch", SIGNATURE_MISMATCH)
        logger.debug("access_key_id=<%s>, signed_at=<%s> | sigv4 signature verified", key.access_key_id, signed_at)
        return key.access_key_id

    def _authenticate_query(self, request: InboundRequest) -> str:
        """Verify a pre-signed URL: botocore's `SigV4QueryAuth` signature over the query without the signature.

        The canonical query is the one the client signed: its pairs as sent (still percent-encoded), sorted, minus
        `X-Amz-Signature`; only `host` is signed and the payload is `UNSIGNED-PAYLOAD` (botocore `SigV4QueryAuth`).
        """
        pairs = [pair.partition("=") for pair in request.query_string.split("&") if pair]
        values = {name: unquote(value) for name, _, value in pairs}
        missing = [name for name in (*PRESIGNED_PARAMETERS, SIGNATURE_PARAMETER) if not values.get(name)]
        if missing or values["X-Amz-Algorithm"] != ALGORITHM:
            raise AuthorizationError(
                400,
                "incomplete_signature",
                f"a pre-signed URL needs {', '.join(missing) or 'X-Amz-Algorithm=' + ALGORITHM}",
                error_type="IncompleteSignatureException",
            )
        parsed = _parse_authorization(
            f"{ALGORITHM} Credential={values['X-Amz-Credential']}, SignedHeaders={values['X-Amz-SignedHeaders']}, "
            f"Signature={values[SIGNATURE_PARAMETER]}",
            has_date=True,
        )
        key = self._keys.get(parsed.access_key_id)
        if key is None or "X-Amz-Security-Token" in values:
            raise AuthorizationError(
                403, "unrecognized_client", UNRECOGNIZED_CLIENT, error_type="UnrecognizedClientException"
            )
        expires = values["X-Amz-Expires"]
        if not expires.isdigit() or not 1 <= int(expires) <= MAX_PRESIGNED_EXPIRES_SECONDS:
            raise AuthorizationError(
                400,
                "incomplete_signature",
                f"X-Amz-Expires must be 1 to {MAX_PRESIGNED_EXPIRES_SECONDS} seconds, got {expires!r}",
                error_type="IncompleteSignatureException",
            )
        amz_date = values["X-Amz-Date"]
        signed_at = self._check_scope_and_date(parsed, amz_date, valid_for=timedelta(seconds=int(expires)))
        unsigned = "&".join(f"{name}={value}" for name, _, value in pairs if name != SIGNATURE_PARAMETER)
        aws_request = AWSRequest(
            method=request.method,
            url=f"http://{request.header('host') or 'localhost'}{request.raw_path}?{unsigned}",
            headers={"host": request.header("host") or "localhost"},
        )
        aws_request.context["timestamp"] = amz_date
        signer = SigV4QueryAuth(Credentials(key.access_key_id, key.secret_access_key), SERVICE, self._region)
        if signer.signed_headers(signer.headers_to_sign(aws_request)) != ";".join(parsed.signed_headers):
            raise _invalid_signature("signature_mismatch", SIGNATURE_MISMATCH)
        expected = signer.signature(
            signer.string_to_sign(aws_request, signer.canonical_request(aws_request)), aws_request
        )
        if not hmac.compare_digest(expected.encode(), parsed.signature.encode()):
            raise _invalid_signature("signature_mismatch", SIGNATURE_MISMATCH)
        logger.debug("access_key_id=<%s>, signed_at=<%s> | pre-signed url verified", key.access_key_id, signed_at)
        return key.access_key_id

    def _check_scope_and_date(
        self, parsed: _SignedAuthorization, amz_date: str, *, valid_for: timedelta | None = None
    ) -> datetime:
        """The credential scope names this service and region and the request's day; the date is ±5 min of now.

        A pre-signed URL (`valid_for`: its `X-Amz-Expires`) stays valid that long after its date instead.
        """
        if parsed.service != SERVICE:
            raise _invalid_signature(
                "invalid_credential_scope", f"Credential should be scoped to correct service: '{SERVICE}'. "
            )
        if parsed.region != self._region:
            raise _invalid_signature(
                "invalid_credential_scope", f"Credential should be scoped to a valid region, not '{parsed.region}'. "
            )
        try:
            signed_at = datetime.strptime(amz_date, SIGV4_TIMESTAMP).replace(tzinfo=UTC)
        except ValueError:
            raise AuthorizationError(
                400,
                "incomplete_signature",
                f"Date must be in ISO-8601 'basic format'. Got '{amz_date}'.",
                error_type="IncompleteSignatureException",
            ) from None
        if parsed.scope_date != amz_date[:8]:
            raise _invalid_signature(
                "invalid_credential_scope",
                f"Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: "
                f"'{parsed.scope_date}' != '{amz_date[:8]}', from 'x-amz-date'.",
            )
        now = self._clock()
        if valid_for is not None and signed_at + valid_for < now:
            raise _invalid_signature(
                "request_expired", f"{REQUEST_EXPIRED}: {amz_date} + {int(valid_for.total_seconds())} s"
            )
        if valid_for is None and signed_at < now - MAX_CLOCK_SKEW:
            raise _invalid_signature(
                "signature_expired",
                f"Signature expired: {amz_date} is now earlier than {_stamp(now - MAX_CLOCK_SKEW)} "
                f"({_stamp(now)} - 5 min.)",
            )
        if signed_at > now + MAX_CLOCK_SKEW:
            raise _invalid_signature(
                "signature_not_yet_current",
                f"Signature not yet current: {amz_date} is still later than {_stamp(now + MAX_CLOCK_SKEW)} "
                f"({_stamp(now)} + 5 min.)",
            )
        return signed_at

    def _expected_signature(
        self, request: InboundRequest, parsed: _SignedAuthorization, key: LocalKeyPair, amz_date: str
    ) -> str:
        """botocore's signature over the request as received, with the client's date and signed headers."""
        signed = {name: request.header(name) for name in parsed.signed_headers}
        if any(value is None for value in signed.values()):
            raise _invalid_signature("signature_mismatch", SIGNATURE_MISMATCH)
        declared_hash = request.header("x-amz-content-sha256")
        if declared_hash is not None and declared_hash != hashlib.sha256(request.body).hexdigest():
            raise _invalid_signature(
                "signature_mismatch", "The provided 'x-amz-content-sha256' header does not match what was computed."
            )
        query = f"?{request.query_string}" if request.query_string else ""
        aws_request = AWSRequest(
            method=request.method,
            url=f"http://{request.header('host') or 'localhost'}{request.raw_path}{query}",
            headers={name: str(value) for name, value in signed.items()},
            data=request.body,
        )
        aws_request.context["timestamp"] = amz_date
        signer = SigV4Auth(Credentials(key.access_key_id, key.secret_access_key), SERVICE, self._region)
        canonical_request = signer.canonical_request(aws_request)
        if signer.signed_headers(signer.headers_to_sign(aws_request)) != ";".join(parsed.signed_headers):
            raise _invalid_signature("signature_mismatch", SIGNATURE_MISMATCH)
        return signer.signature(signer.string_to_sign(aws_request, canonical_request), aws_request)


def _parse_authorization(header: str, *, has_date: bool) -> _SignedAuthorization:
    """Split `AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…`; name every missing part."""
    algorithm, _, rest = header.strip().partition(" ")
    parts: dict[str, str] = {}
    if algorithm == ALGORITHM:
        for item in rest.split(","):
            name, equals, value = item.strip().partition("=")
            if equals and value:
                parts[name] = value
    problems = [message for name, message in _REQUIRED_PARTS if name not in parts]
    if not has_date:
        problems.append(_DATE_REQUIRED)
    if problems:
        raise AuthorizationError(
            400, "incomplete_signature", " ".join(problems), error_type="IncompleteSignatureException"
        )
    scope = parts["Credential"].split("/")
    if len(scope) != 5 or scope[4] != "aws4_request" or not all(scope):
        raise AuthorizationError(
            400,
            "incomplete_signature",
            f"Credential '{parts['Credential']}' must be <access key id>/<YYYYMMDD>/<region>/{SERVICE}/aws4_request.",
            error_type="IncompleteSignatureException",
        )
    return _SignedAuthorization(
        access_key_id=scope[0],
        scope_date=scope[1],
        region=scope[2],
        service=scope[3],
        signed_headers=tuple(parts["SignedHeaders"].split(";")),
        signature=parts["Signature"],
    )


def _invalid_signature(code: str, message: str) -> AuthorizationError:
    return AuthorizationError(403, code, message, error_type="InvalidSignatureException")


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime(SIGV4_TIMESTAMP)
