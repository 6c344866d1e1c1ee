"""`mfa setup`, `mfa verify`, `mfa disable`: a signed-in user enrols (or drops) a TOTP authenticator app.

WHY these calls, with the user's own access token: Cognito's self-service TOTP enrolment is AssociateSoftwareToken
(a new shared secret), VerifySoftwareToken (a current code proves the app holds it) and SetUserMFAPreference
(SoftwareTokenMfaSettings Enabled + PreferredMfa: from then on every sign-in asks for a code). The secret is shown
once to the user and registered with the log redaction; botocore's DEBUG log of the response names it
`SecretCode`, a field the redaction knows.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import quote, urlencode

from botocore.exceptions import ClientError

from client.aws_errors import aws_call, error_code, error_message
from client.errors import CliError
from client.log_redaction import register_secret

if TYPE_CHECKING:
    from mypy_boto3_cognito_idp import CognitoIdentityProviderClient

DEVICE_NAME = "agentcore-client"
# VerifySoftwareToken's two answers to a wrong code (botocore's cognito-idp 2016-04-18 model, the operation's errors):
# CodeMismatchException, and EnableSoftwareTokenMFAException, "thrown when there is a code mismatch and the service
# fails to configure the software token TOTP" (what Cognito itself answers; moto answers the first).
CODE_REJECTED = ("CodeMismatchException", "EnableSoftwareTokenMFAException")


def otpauth_uri(*, secret: str, user: str, issuer: str) -> str:
    """The `otpauth://totp/ISSUER:USER?secret=…&issuer=…` URI authenticator apps import (as text or a QR code).

    WHY built here: the Key Uri Format (github.com/google/google-authenticator/wiki/Key-Uri-Format) wants the
    base32 secret without `=` padding; cryptography's `TOTP.get_provisioning_uri` re-encodes the decoded key and
    pads it, while Cognito's SecretCode is used as it is. SHA1, 6 digits and 30 s are the format's defaults and
    Cognito's TOTP parameters, so they are left out.
    """
    label = quote(f"{issuer}:{user}", safe=":@")  # the format's example keeps both literal
    return f"otpauth://totp/{label}?{urlencode({'secret': secret, 'issuer': issuer}, quote_via=quote)}"


class TotpEnrolment:
    """TOTP MFA of one signed-in user (the calls Cognito authorizes with the user's access token)."""

    def __init__(self, *, cognito: CognitoIdentityProviderClient, user: str, access_token: str) -> None:
        """Args: cognito: boto3 cognito-idp client; user: who (for messages); access_token: their access token."""
        self._cognito = cognito
        self._user = user
        self._token = access_token

    def associate(self) -> str:
        """AssociateSoftwareToken: a new shared secret (not active until verified); registered for redaction.

        Raises:
            CliError: Cognito refused (e.g. the pool's MFA is off).
        """
        try:
            answer = aws_call("mfa setup", self._cognito.associate_software_token, AccessToken=self._token)
        except ClientError as e:
            raise self._error("mfa setup", e) from e
        secret = answer["SecretCode"]
        register_secret(secret)
        return secret

    def verify_and_enable(self, code: str) -> None:
        """VerifySoftwareToken with a current code, then make TOTP the user's enabled, preferred MFA.

        Raises:
            CliError: a wrong or expired code (CodeMismatchException), no secret associated yet, or a refusal.
        """
        try:
            aws_call(
                "mfa verify",
                self._cognito.verify_software_token,
                AccessToken=self._token,
                UserCode=code,
                FriendlyDeviceName=DEVICE_NAME,
            )
        except ClientError as e:
            if error_code(e) in CODE_REJECTED:
                raise CliError(
                    f"mfa verify for {self._user} failed: Cognito rejected the code ({error_code(e)}): enter "
                    "the current code of the app that holds the secret `mfa setup` showed"
                ) from e
            raise self._error("mfa verify", e) from e
        self._set_preference("mfa verify", enabled=True)

    def disable(self) -> None:
        """SetUserMFAPreference with TOTP off: sign-in asks for the password only again.

        Raises:
            CliError: Cognito refused.
        """
        self._set_preference("mfa disable", enabled=False)

    def _set_preference(self, command: str, *, enabled: bool) -> None:
        try:
            aws_call(
                command,
                self._cognito.set_user_mfa_preference,
                AccessToken=self._token,
                SoftwareTokenMfaSettings={"Enabled": enabled, "PreferredMfa": enabled},
            )
        except ClientError as e:
            raise self._error(command, e) from e

    def _error(self, command: str, error: ClientError) -> CliError:
        return CliError(f"{command} for {self._user} failed: {error_code(error)}: {error_message(error)}")
