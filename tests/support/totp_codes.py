"""TOTP codes for a Cognito SecretCode, made with cryptography's TOTP (the implementation moto checks codes with), and
a user enrolled as `agentcore-client mfa setup` leaves one."""

from __future__ import annotations

import base64
import time
from typing import Any

from cryptography.hazmat.primitives.hashes import SHA1
from cryptography.hazmat.primitives.twofactor.totp import TOTP

# Cognito's TOTP (docs: user-pool-settings-mfa-totp): SHA1, 6 digits, 30 s steps.
STEP_SECONDS = 30
DIGITS = 6
# moto accepts a code in its own 30 s step only (moto/cognitoidp/utils.py `verify_totp`, valid_window=0): a code made
# this close to the end of a step is made for the next step instead, so it is still current when moto checks it.
MARGIN_SECONDS = 5.0


def _totp(secret: str) -> TOTP:
    padded = secret + "=" * (-len(secret) % 8)
    key = base64.b32decode(padded, casefold=True)
    # moto's constant secret decodes to 7 bytes, below the 16 cryptography insists on by default.
    return TOTP(key, DIGITS, SHA1(), STEP_SECONDS, enforce_key_length=False)


def current_code(secret: str) -> str:
    """The code an authenticator app holding `secret` shows now (waits out the last MARGIN_SECONDS of a step)."""
    left = STEP_SECONDS - time.time() % STEP_SECONDS
    if left < MARGIN_SECONDS:
        time.sleep(left)  # not a race: the clock's next step boundary is the condition, and it is at most 5 s away
    return _totp(secret).generate(time.time()).decode()


def wrong_code(secret: str) -> str:
    """A well-formed code that is not the current one."""
    return f"{(int(current_code(secret)) + 1) % 10**DIGITS:0{DIGITS}d}"


def enrol_totp(cognito: Any, *, pool_id: str, client_id: str, user: str, password: str) -> str:
    """Create `user` with a permanent `password` and TOTP MFA enabled and preferred; returns the TOTP secret."""
    cognito.admin_create_user(UserPoolId=pool_id, Username=user, MessageAction="SUPPRESS")
    cognito.admin_set_user_password(UserPoolId=pool_id, Username=user, Password=password, Permanent=True)
    signed_in = cognito.admin_initiate_auth(
        UserPoolId=pool_id,
        ClientId=client_id,
        AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": user, "PASSWORD": password},
    )
    token = signed_in["AuthenticationResult"]["AccessToken"]
    secret: str = cognito.associate_software_token(AccessToken=token)["SecretCode"]
    cognito.verify_software_token(AccessToken=token, UserCode=current_code(secret))
    cognito.set_user_mfa_preference(AccessToken=token, SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": True})
    return secret
