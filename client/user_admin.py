"""Create, delete and list users of the runtime's user pool (admin APIs, the caller's AWS credentials).

WHY: the pool only allows admin-created users. `create` makes a confirmed user in one step —
AdminCreateUser without an invitation, then AdminSetUserPassword(permanent) — so the user can log in
right away with the password shown once (or supplied on stdin).
"""

from __future__ import annotations

import secrets
import string
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from client.aws_errors import aws_call, error_code, error_message
from client.errors import CliError

if TYPE_CHECKING:
    from mypy_boto3_cognito_idp import CognitoIdentityProviderClient

PASSWORD_LENGTH = 24
_SYMBOLS = "!#%+-=?@^_"
_CLASSES = (string.ascii_lowercase, string.ascii_uppercase, string.digits, _SYMBOLS)


def generate_password(length: int = PASSWORD_LENGTH) -> str:
    """A random password with every character class Cognito's default policy requires."""
    alphabet = "".join(_CLASSES)
    while True:
        password = "".join(secrets.choice(alphabet) for _ in range(length))
        if all(any(c in cls for c in password) for cls in _CLASSES):
            return password


class UserAdmin:
    """Admin operations on one user pool."""

    def __init__(self, *, cognito: CognitoIdentityProviderClient, user_pool_id: str) -> None:
        """Args: cognito: boto3 cognito-idp client; user_pool_id: the pool."""
        self._cognito = cognito
        self._pool = user_pool_id

    def create(self, user: str, *, password: str, email: str | None = None) -> None:
        """Create a confirmed user with a permanent password.

        Raises:
            CliError: the user exists, or the password breaks the pool's policy.
        """
        attributes = [{"Name": "email", "Value": email}, {"Name": "email_verified", "Value": "true"}] if email else []
        try:
            aws_call(
                "users create",
                self._cognito.admin_create_user,
                UserPoolId=self._pool,
                Username=user,
                UserAttributes=attributes,
                MessageAction="SUPPRESS",
            )
        except ClientError as e:
            if error_code(e) == "UsernameExistsException":
                raise CliError(f"user {user} already exists") from e
            raise CliError(f"users create {user} failed: {error_message(e)}") from e
        try:
            self._set_permanent_password("users create", user, password)
        except ClientError as e:
            # WHY delete: a user left with a temporary password could not log in with this client.
            self._cognito.admin_delete_user(UserPoolId=self._pool, Username=user)
            raise CliError(f"password rejected for {user}: {error_message(e)}") from e

    def reset_password(self, user: str, *, password: str) -> None:
        """Replace the user's password with `password` (permanent): `users forget --delete-user` signs in as
        the user with it, right before the account is deleted.

        Raises:
            CliError: no such user, or the password breaks the pool's policy.
        """
        try:
            self._set_permanent_password("users forget", user, password)
        except ClientError as e:
            raise _offboarding_error(user, e) from e

    def disable_totp(self, user: str) -> None:
        """Turn the user's TOTP MFA off (AdminSetUserMFAPreference), so `users forget --delete-user` can sign in
        as the user with a password alone.

        botocore's cognito-idp model: AdminSetUserMFAPreference takes UserPoolId, Username and
        SoftwareTokenMfaSettings (SoftwareTokenMfaSettingsType: Enabled, PreferredMfa, both booleans). Its
        documentation adds that TOTP cannot be turned off while the pool *requires* MFA; this stack's pools are
        `optional` or `off` (stacks/config.py, `mfa`), where it can. A user who never enrolled is unaffected.

        Raises:
            CliError: no such user, or Cognito refused.
        """
        try:
            aws_call(
                "users forget",
                self._cognito.admin_set_user_mfa_preference,
                UserPoolId=self._pool,
                Username=user,
                SoftwareTokenMfaSettings={"Enabled": False, "PreferredMfa": False},
            )
        except ClientError as e:
            raise _offboarding_error(user, e) from e

    def _set_permanent_password(self, command: str, user: str, password: str) -> None:
        """AdminSetUserPassword with ``Permanent``: the user signs in with it, no forced change (raises ClientError)."""
        aws_call(
            command,
            self._cognito.admin_set_user_password,
            UserPoolId=self._pool,
            Username=user,
            Password=password,
            Permanent=True,
        )

    def delete(self, user: str) -> None:
        """Delete a user.

        Raises:
            CliError: no such user.
        """
        try:
            aws_call("users delete", self._cognito.admin_delete_user, UserPoolId=self._pool, Username=user)
        except ClientError as e:
            if error_code(e) == "UserNotFoundException":
                raise CliError(f"user {user} not found in the user pool") from e
            raise CliError(f"users delete {user} failed: {error_message(e)}") from e

    def list(self) -> list[dict[str, str]]:
        """`[{"name", "status", "enabled", "email"}]` for every user, following pagination."""
        users: list[dict[str, str]] = []
        kwargs: dict[str, Any] = {"UserPoolId": self._pool}
        while True:
            try:
                page = aws_call("users list", self._cognito.list_users, **kwargs)
            except ClientError as e:
                raise CliError(f"users list failed: {error_message(e)}") from e
            for entry in page.get("Users", []):
                attributes = {a["Name"]: a["Value"] for a in entry.get("Attributes", [])}
                users.append(
                    {
                        "name": entry["Username"],
                        "status": entry.get("UserStatus", ""),
                        "enabled": str(entry.get("Enabled", True)).lower(),
                        "email": attributes.get("email", ""),
                    }
                )
            if not page.get("PaginationToken"):
                return users
            kwargs["PaginationToken"] = page["PaginationToken"]


def _offboarding_error(user: str, error: ClientError) -> CliError:
    """What `users forget --delete-user` says when Cognito refuses one of its admin calls."""
    if error_code(error) == "UserNotFoundException":
        return CliError(f"user {user} not found in the user pool")
    return CliError(f"users forget {user} failed: {error_message(error)}")
