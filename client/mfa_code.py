"""Read a TOTP code from an authenticator app: `--mfa-code CODE`, else a prompt on the terminal.

WHY an option and not stdin: with `--password-stdin` stdin already carries the password, and a script cannot know
the code before it runs; the AWS CLI passes its MFA code the same way (`--token-code`). A code on the command line
is visible to other local users only for the seconds it is valid, so that is acceptable where a password on the
command line is not. On a terminal the code is read like the password
(`getpass`, from the terminal itself), so the prompt never lands on stdout, where `--json` writes its document.
"""

from __future__ import annotations

import getpass
import re
from typing import TextIO

from client.errors import CliError

MFA_CODE_OPTION = "--mfa-code"
# botocore's cognito-idp model, shape SoftwareTokenMFAUserCodeType (VerifySoftwareToken's UserCode; the same code
# answers RespondToAuthChallenge's SOFTWARE_TOKEN_MFA_CODE): min 6, max 6, pattern [0-9]+. botocore checks only the
# minimum length on the client, so the rest is checked here, before a wrong-looking code costs a Cognito attempt.
CODE_DIGITS = 6
_CODE = re.compile(rf"[0-9]{{{CODE_DIGITS}}}")
PROMPT = f"{CODE_DIGITS}-digit code from your authenticator app: "


def read_mfa_code(given: str | None, *, purpose: str, stdin: TextIO) -> str:
    """The code from `--mfa-code`, else typed on the terminal.

    Args:
        given: the value of `--mfa-code`, None when it was not passed.
        purpose: what needs the code, for the error message (e.g. "sign-in of alice").
        stdin: the process's standard input; a prompt needs it to be a terminal.

    Raises:
        CliError: no code and no terminal to ask on (names the option to pass), or the code is not 6 digits.
    """
    if given is None:
        if not stdin.isatty():
            raise CliError(
                f"{purpose} needs the {CODE_DIGITS}-digit code from the user's authenticator app (TOTP MFA) and "
                f"there is no terminal to ask for it on: pass {MFA_CODE_OPTION} CODE"
            )
        given = getpass.getpass(PROMPT)
    code = given.strip()
    if not _CODE.fullmatch(code):
        raise CliError(f"the MFA code must be exactly {CODE_DIGITS} digits, as the authenticator app shows it")
    return code
