"""TOTP MFA: `mfa setup/verify/disable`, sign-in answering the SOFTWARE_TOKEN_MFA challenge, and offboarding.

moto (local/aws_emulator.py turns its TOTP checks on) verifies every code against the secret AssociateSoftwareToken
returned; the codes here are made from the secret the CLI printed (tests/support/totp_codes.py).
"""

from __future__ import annotations

import json
import re
import shlex
import sys
from urllib.parse import parse_qs, urlsplit

import boto3
import pytest
from botocore.stub import Stubber

from client.errors import CliError
from client.mfa_code import PROMPT
from client.totp_enrolment import TotpEnrolment
from client.user_admin import UserAdmin
from tests.client.client_runs import PASSWORD
from tests.support.paths import REPO
from tests.support.terminal import run_on_terminal
from tests.support.totp_codes import current_code, wrong_code

CLIENT = (sys.executable, "-m", "client")


def _as_typed(local_runtime, *args: str) -> str:
    outputs = str(local_runtime.settings.outputs_path)
    return shlex.join([sys.executable, "-m", "client", "--local", "--outputs-file", outputs, *args])


def _enrol(cli, user: str) -> str:
    """`mfa setup` (no terminal: shows the secret), then `mfa verify` with its current code; returns the secret."""
    secret = json.loads(cli("mfa", "setup", "--user", user, "--json").out)["secret"]
    verified = cli("mfa", "verify", "--user", user, "--mfa-code", current_code(secret))
    assert (verified.code, verified.err) == (0, "")
    return secret


def _login(cli, user: str, *options: str):
    return cli("login", user, "--password-stdin", *options, stdin=PASSWORD + "\n")


def test_setup_shows_the_secret_once_with_an_otpauth_uri_and_names_the_next_step(cli, user, local_runtime):
    result = cli("mfa", "setup", "--user", user, "--json")

    document = json.loads(result.out)
    assert (result.code, result.err) == (0, "")
    verify = _as_typed(local_runtime, "mfa", "verify", "--user", user, "--mfa-code", "CODE")
    assert document == {
        "success": True,
        "user": user,
        "secret": document["secret"],
        "otpauth_uri": document["otpauth_uri"],
        "mfa_enabled": False,
        "next": verify,
    }
    uri = urlsplit(document["otpauth_uri"])
    assert (uri.scheme, uri.netloc, uri.path) == ("otpauth", "totp", f"/AgentCore%20local:{user}")
    assert parse_qs(uri.query) == {"secret": [document["secret"]], "issuer": ["AgentCore local"]}
    shown, uri_line, hint = cli("mfa", "setup", "--user", user).out.splitlines()
    secret = shown.removeprefix("secret (shown once): ")
    assert uri_line.startswith("otpauth URI: otpauth://totp/") and f"?secret={secret}&" in uri_line
    assert hint == f"add it to an authenticator app, then finish with `{verify}`"


def test_verify_refuses_a_wrong_code_and_enables_mfa_with_the_current_one(cli, user):
    secret = json.loads(cli("mfa", "setup", "--user", user, "--json").out)["secret"]

    wrong = cli("mfa", "verify", "--user", user, "--mfa-code", wrong_code(secret), "--json")
    right = cli("mfa", "verify", "--user", user, "--mfa-code", current_code(secret), "--json")

    assert (wrong.code, json.loads(wrong.out)) == (
        1,
        {
            "success": False,
            "error": f"mfa verify for {user} failed: Cognito rejected the code (CodeMismatchException): enter the "
            "current code of the app that holds the secret `mfa setup` showed",
        },
    )
    assert (right.code, json.loads(right.out)) == (0, {"success": True, "user": user, "mfa_enabled": True})


def test_verify_reads_cognitos_own_answer_to_a_wrong_code_as_a_rejected_code():
    """Cognito answers a wrong VerifySoftwareToken code with EnableSoftwareTokenMFAException (botocore's cognito-idp
    model documents it as a code mismatch), moto with CodeMismatchException: both read as a rejected code. moto
    cannot give Cognito's answer, so botocore's Stubber gives it, on a real client."""
    cognito = boto3.client("cognito-idp", region_name="eu-west-1", aws_access_key_id="x", aws_secret_access_key="x")
    with Stubber(cognito) as stub, pytest.raises(CliError) as refused:
        stub.add_client_error(
            "verify_software_token",
            service_error_code="EnableSoftwareTokenMFAException",
            service_message="Code mismatch and fail enable Software Token MFA",
        )
        TotpEnrolment(cognito=cognito, user="alice", access_token="token").verify_and_enable("123456")

    assert str(refused.value) == (
        "mfa verify for alice failed: Cognito rejected the code (EnableSoftwareTokenMFAException): enter the "
        "current code of the app that holds the secret `mfa setup` showed"
    )


def test_verify_without_a_code_and_without_a_terminal_names_the_option(cli, user):
    result = cli("mfa", "verify", "--user", user)
    assert (result.code, result.out) == (1, "")
    assert result.err == (
        f"agentcore-client: mfa verify for {user} needs the 6-digit code from the user's authenticator app (TOTP "
        "MFA) and there is no terminal to ask for it on: pass --mfa-code CODE\n"
    )


def test_sign_in_of_an_enrolled_user_needs_the_current_code(cli, user):
    secret = _enrol(cli, user)

    without = _login(cli, user)
    malformed = _login(cli, user, "--mfa-code", "12345")
    wrong = _login(cli, user, "--mfa-code", wrong_code(secret))
    right = _login(cli, user, "--mfa-code", current_code(secret))

    assert (without.code, without.err) == (
        1,
        f"agentcore-client: sign-in of {user} needs the 6-digit code from the user's authenticator app (TOTP MFA) "
        "and there is no terminal to ask for it on: pass --mfa-code CODE\n",
    )
    assert (malformed.code, malformed.err) == (
        1,
        "agentcore-client: the MFA code must be exactly 6 digits, as the authenticator app shows it\n",
    )
    assert (wrong.code, wrong.err) == (
        1,
        f"agentcore-client: sign-in of {user} failed: Cognito rejected the MFA code (CodeMismatchException): use "
        "the current code of the authenticator app the user enrolled\n",
    )
    assert (right.code, right.err) == (0, "")
    assert right.out.startswith(f"logged in as {user} on local; ")
    assert cli("invoke", "My name is Tia.", "--user", user).out == "Nice to meet you, Tia.\n"


def test_srp_sign_in_answers_the_challenge_pycognito_hands_over(cli, user):
    secret = _enrol(cli, user)

    wrong = _login(cli, user, "--flow", "srp", "--mfa-code", wrong_code(secret))
    right = _login(cli, user, "--flow", "srp", "--mfa-code", current_code(secret))

    assert wrong.code == 1
    assert "Cognito rejected the MFA code (CodeMismatchException)" in wrong.err
    assert (right.code, right.err) == (0, "")
    assert cli("invoke", "My name is Ivo.", "--user", user).out == "Nice to meet you, Ivo.\n"


def test_disable_lets_the_password_alone_sign_in_again(cli, user):
    _enrol(cli, user)
    assert _login(cli, user).code == 1

    disabled = cli("mfa", "disable", "--user", user, "--json")

    assert (disabled.code, json.loads(disabled.out)) == (0, {"success": True, "user": user, "mfa_enabled": False})
    assert (_login(cli, user).code, _login(cli, user).err) == (0, "")


def test_offboarding_a_totp_user_erases_and_deletes_the_account(cli, user, cognito, local_runtime):
    _enrol(cli, user)
    cli("invoke", "My name is Uma.", "--user", user)

    result = cli("users", "forget", user, "--delete-user", "--yes", "--json")

    document = json.loads(result.out)
    assert (result.code, document["success"], document["user_deleted"]) == (0, True, True)
    assert document["receipt"]["deleted"]["sessions"] == 1
    names = [u["Username"] for u in cognito.list_users(UserPoolId=local_runtime.identity.user_pool_id)["Users"]]
    assert user not in names


def test_offboarding_a_totp_user_fails_without_turning_mfa_off_first(cli, user, cognito, local_runtime, monkeypatch):
    """The control case: skip AdminSetUserMFAPreference and the operator's sign-in meets the TOTP challenge."""
    _enrol(cli, user)
    monkeypatch.setattr(UserAdmin, "disable_totp", lambda self, user: None)

    result = cli("users", "forget", user, "--delete-user", "--yes")

    assert (result.code, result.err) == (
        1,
        f"agentcore-client: sign-in of {user} needs a TOTP code from the user's authenticator app\n",
    )
    pool = local_runtime.identity.user_pool_id
    assert cognito.admin_get_user(UserPoolId=pool, Username=user)["Username"] == user


def test_on_a_terminal_setup_and_login_prompt_for_the_code(user, local_runtime, cache_home):
    """The real process on a pseudo-terminal: `mfa setup` shows the secret, then asks; `login` asks after the
    password."""
    command = [*CLIENT, "--local", "--outputs-file", str(local_runtime.settings.outputs_path)]
    env = {"PATH": "/usr/bin:/bin", "XDG_CACHE_HOME": str(cache_home), "HOME": str(cache_home)}

    def code_of_the_shown_secret(screen: str) -> str:
        return current_code(re.search(r"secret \(shown once\): (\S+)", screen).group(1))

    setup = run_on_terminal(
        [*command, "mfa", "setup", "--user", user], answers=[(PROMPT, code_of_the_shown_secret)], cwd=REPO, env=env
    )
    secret = re.search(r"secret \(shown once\): (\S+)", setup.screen).group(1)
    login = run_on_terminal(
        [*command, "login", user],
        answers=[(f"password for {user}: ", lambda _: PASSWORD), (PROMPT, lambda _: current_code(secret))],
        cwd=REPO,
        env=env,
    )

    assert setup.code == 0, setup.screen
    assert setup.screen.endswith(f"{PROMPT}\nTOTP MFA is on for {user}: every sign-in asks for a code\n")
    assert login.code == 0, login.screen
    assert f"{PROMPT}\nlogged in as {user} on local; " in login.screen
    assert PASSWORD not in login.screen  # neither answer is echoed
