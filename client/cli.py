"""Command-line parsing and the command handlers of `agentcore-client` / `python -m client`.

WHY one place for output and exit codes: every handler returns an int, every `CliError` becomes one
line on stderr, and nothing else ever reaches the user as a traceback.
"""

from __future__ import annotations

import argparse
import getpass
import sys
import time
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeGuard

import httpx
from botocore.exceptions import BotoCoreError, ClientError

from client.agent_client import AgentClient
from client.auth_choice import AUTH_CHOICES
from client.chat import run_chat
from client.cognito_auth import LOGIN_FLOWS
from client.command_hint import PROG, command_for
from client.demo import format_table, run_demo
from client.errors import CliError
from client.forget_me import (
    EXIT_INCOMPLETE,
    INCOMPLETE,
    Forgotten,
    confirm_erasure,
    forget_user,
    format_client_part,
    offboard_user,
)
from client.forget_receipt import format_receipt
from client.json_output import failure, print_document, success
from client.log_redaction import configure_logging, register_secret
from client.mfa_code import MFA_CODE_OPTION, read_mfa_code
from client.private_files import check_name
from client.targets import Target, local_target, stage_target
from client.totp_enrolment import TotpEnrolment, otpauth_uri
from client.user_admin import generate_password

# Every variable the client reads itself (docs/client.md#environment); boto3 reads the standard AWS ones.
ENVIRONMENT_HELP = """\
environment:
  AGENTCORE_USER           default for --user (else whoever logged in last; in IAM mode: anonymous)
  AGENTCORE_LOCAL_OUTPUTS  outputs file --local reads (default .local-runtime/outputs.json); --outputs-file wins
  XDG_CACHE_HOME           tokens and sessions live in $XDG_CACHE_HOME/agentcore-session (default ~/.cache/...)
  AWS_PROFILE, AWS_REGION  and the other standard AWS variables: credentials and region for the user pool,
                           CloudFormation and IAM (SigV4) calls
"""


UTC_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def build_parser() -> argparse.ArgumentParser:
    """The argument parser; target options are accepted before or after the command."""
    target = argparse.ArgumentParser(add_help=False)
    where = target.add_argument_group("target")
    where.add_argument(
        "--local", action="store_true", default=argparse.SUPPRESS, help="use the runtime `make local` started"
    )
    where.add_argument(
        "--stage",
        default=argparse.SUPPRESS,
        help="deployed stage (reads cdk-outputs-<stage>.json or CloudFormation); default dev",
    )
    where.add_argument("--outputs-file", type=Path, default=argparse.SUPPRESS, help="read outputs from this file")
    where.add_argument(
        "--auth",
        choices=AUTH_CHOICES,
        default=argparse.SUPPRESS,
        help="jwt (bearer) or iam (SigV4); auto follows the runtime",
    )
    where.add_argument("--verbose", action="store_true", default=argparse.SUPPRESS, help="debug logging")
    as_json = argparse.ArgumentParser(add_help=False)
    as_json.add_argument(
        "--json", action="store_true", help="print one JSON document on stdout, errors too (for scripts)"
    )

    parser = argparse.ArgumentParser(
        prog=PROG,
        parents=[target],
        description="Talk to an AgentCore runtime in sessions.",
        epilog=ENVIRONMENT_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    users = commands.add_parser("users", parents=[target], help="create, delete or list users").add_subparsers(
        dest="action", required=True, metavar="ACTION"
    )
    create = users.add_parser(
        "create", parents=[target, as_json], help="create a confirmed user; prints a generated password once"
    )
    create.add_argument("name")
    create.add_argument("--email")
    create.add_argument(
        "--password-stdin", action="store_true", help="read the password from stdin instead of generating one"
    )
    users.add_parser("delete", parents=[target, as_json], help="delete a user").add_argument("name")
    users.add_parser("list", parents=[target, as_json], help="list users")
    forget = users.add_parser(
        "forget",
        parents=[target, as_json],
        help="erase everything stored about an end user (IAM runtimes: your credentials name the user)",
    )
    forget.add_argument("name")
    forget.add_argument("--yes", action="store_true", help="do not ask for confirmation (needed without a terminal)")
    forget.add_argument(
        "--delete-user",
        action="store_true",
        help="JWT runtimes: offboard: reset the password, erase signed in as the user, then delete the account",
    )

    login = commands.add_parser("login", parents=[target], help="sign in and cache tokens")
    login.add_argument("name")
    login.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    _mfa_code_option(login)
    login.add_argument(
        "--flow",
        choices=LOGIN_FLOWS,
        default="auto",
        help="srp (the password never leaves this machine), password (USER_PASSWORD_AUTH), or auto: SRP first, "
        "USER_PASSWORD_AUTH if the app client does not allow SRP (with --local password first: moto does not "
        "check SRP proofs)",
    )
    commands.add_parser("logout", parents=[target], help="forget a user's cached tokens").add_argument("name")

    mfa = commands.add_parser("mfa", parents=[target], help="TOTP MFA of a logged-in user").add_subparsers(
        dest="action", required=True, metavar="ACTION"
    )
    mfa_setup = mfa.add_parser(
        "setup",
        parents=[target, as_json],
        help="enrol an authenticator app: shows its secret once; on a terminal then asks for a code (else: mfa verify)",
    )
    mfa_verify = mfa.add_parser(
        "verify", parents=[target, as_json], help="finish `mfa setup` with a current code: sign-in then asks for codes"
    )
    _mfa_code_option(mfa_verify)
    mfa_disable = mfa.add_parser("disable", parents=[target, as_json], help="sign-in asks for no code any more")
    for command in (mfa_setup, mfa_verify, mfa_disable):
        command.add_argument("--user", help="who (default: $AGENTCORE_USER or the last user who logged in)")

    invoke = commands.add_parser("invoke", parents=[target, as_json], help="send one prompt")
    invoke.add_argument("prompt")
    _session_options(invoke)

    chat = commands.add_parser("chat", parents=[target], help="interactive conversation (/new, /exit)")
    _session_options(chat)

    demo = commands.add_parser("demo", parents=[target, as_json], help="two users, three sessions: prove isolation")
    demo.add_argument(
        "--users", nargs=2, metavar=("USER_A", "USER_B"), help="logged-in users to use instead of temporary ones"
    )

    sessions = commands.add_parser(
        "sessions", parents=[target], help="list or stop remembered sessions"
    ).add_subparsers(dest="action", required=True, metavar="ACTION")
    sessions.add_parser("list", parents=[target, as_json], help="sessions this client remembers").add_argument("--user")
    stop = sessions.add_parser("stop", parents=[target, as_json], help="stop a runtime session")
    stop.add_argument("session_id")
    stop.add_argument("--user")

    forget_me = commands.add_parser(
        "forget-me", parents=[target, as_json], help="erase everything the agent stores about you, with a receipt"
    )
    forget_me.add_argument("--user", help="who is asking (default: $AGENTCORE_USER or the last user who logged in)")
    forget_me.add_argument("--yes", action="store_true", help="do not ask for confirmation (needed without a terminal)")
    return parser


def _mfa_code_option(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        MFA_CODE_OPTION,
        metavar="CODE",
        help="the current 6-digit code of the user's authenticator app, when TOTP MFA asks for one "
        "(default: prompt on a terminal)",
    )


def _session_options(command: argparse.ArgumentParser) -> None:
    command.add_argument("--user", help="who is asking (default: $AGENTCORE_USER or the last user who logged in)")
    choice = command.add_mutually_exclusive_group()
    choice.add_argument("--session", help="session id (33-256 characters) to use")
    choice.add_argument("--new-session", action="store_true", help="start a new session")
    command.add_argument("--no-stream", action="store_true", help="wait for the whole answer")


def resolve_target(args: argparse.Namespace) -> Target:
    """`--local` or `--stage` (default `dev`)."""
    outputs_file = getattr(args, "outputs_file", None)
    if getattr(args, "local", False):
        if hasattr(args, "stage"):
            raise CliError("use either --local or --stage, not both")
        return local_target(outputs_file)
    return stage_target(getattr(args, "stage", "dev"), outputs_file)


def main(argv: list[str] | None = None) -> int:
    """Parse, dispatch, and turn every `CliError` into one stderr line."""
    args = build_parser().parse_args(argv)
    configure_logging(verbose=getattr(args, "verbose", False))
    try:
        client = AgentClient(target=resolve_target(args), auth=getattr(args, "auth", "auto"))
        return _HANDLERS[args.command](client, args)
    except CliError as e:
        return _fail(args, e.message, 1)
    except KeyboardInterrupt:
        return _fail(args, "interrupted", 130)
    except (BotoCoreError, ClientError, httpx.HTTPError, OSError) as e:
        # WHY a net: a failure no handler anticipated still gets one line, never a traceback.
        return _fail(args, f"unexpected {type(e).__name__}: {e}", 1)


def _fail(args: argparse.Namespace, message: str, code: int) -> int:
    """One stderr line, or with `--json` the failure document on stdout; returns the exit code."""
    if getattr(args, "json", False):
        print_document(failure(message))
    else:
        print(f"{PROG}: {message}", file=sys.stderr)
    return code


def _read_password(args: argparse.Namespace, prompt: str) -> str:
    if args.password_stdin or not sys.stdin.isatty():
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = getpass.getpass(prompt)
    if not password:
        raise CliError("password is empty")
    register_secret(password)
    return password


def _users(client: AgentClient, args: argparse.Namespace) -> int:
    if args.action == "forget":
        return _users_forget(client, args)
    admin = client.user_admin()
    if args.action == "create":
        generated = not args.password_stdin
        if generated and args.json:
            raise CliError("--json never prints a password: pass the password with --password-stdin")
        password = generate_password() if generated else _read_password(args, "")
        if generated:
            register_secret(password)  # _read_password registers what it reads
        admin.create(args.name, password=password, email=args.email)
        if args.json:
            print_document(success(user=args.name, email=args.email))
            return 0
        print(f"created user {args.name}")
        if generated:
            print(f"password (shown once): {password}")
    elif args.action == "delete":
        admin.delete(args.name)
        client.tokens.forget(args.name)
        _show(args, success(user=args.name, deleted=True), f"deleted user {args.name}")
    else:
        users = admin.list()
        _show_lines(
            args,
            success(users=[{**u, "enabled": u["enabled"] == "true"} for u in users]),
            [f"{u['name']}\t{u['status']}\tenabled={u['enabled']}\t{u['email']}" for u in users],
        )
    return 0


def _users_forget(client: AgentClient, args: argparse.Namespace) -> int:
    user = check_name("user name", args.name)
    if client.auth_method == "iam" and args.delete_user:
        raise CliError("--delete-user is for JWT runtimes: an IAM runtime has no Cognito users")
    if client.auth_method != "iam" and not args.delete_user:
        offboard = command_for(client.target, "users", "forget", user, "--delete-user")
        raise CliError(
            f"on a JWT runtime only the user's own token names them: offboard with `{offboard}` (resets the "
            "password, erases signed in as the user, deletes the account), or let the user run forget-me"
        )
    confirm_erasure(user, f"runtime {client.target.name}", yes=args.yes, stdin=sys.stdin, prompt=sys.stderr)
    if client.auth_method == "iam":
        return _report_forgotten(args, forget_user(client, user))
    forgotten = offboard_user(client, user)
    return _report_forgotten(args, forgotten, user_deleted=forgotten.receipt.complete)


def _forget_me(client: AgentClient, args: argparse.Namespace) -> int:
    user = client.resolve_user(args.user)
    confirm_erasure(user, f"runtime {client.target.name}", yes=args.yes, stdin=sys.stdin, prompt=sys.stderr)
    return _report_forgotten(args, forget_user(client, user))


def _report_forgotten(args: argparse.Namespace, forgotten: Forgotten, *, user_deleted: bool | None = None) -> int:
    """The receipt and the client's part (and, after an offboarding, whether the account went); exit 0 when
    complete, `EXIT_INCOMPLETE` when something is left."""
    fields: dict[str, Any] = {
        "user": forgotten.user,
        "receipt": forgotten.receipt.as_json(),
        "client": forgotten.client_json(),
    }
    text = f"{format_receipt(forgotten.user, forgotten.receipt)}\n{format_client_part(forgotten)}"
    if user_deleted is not None:
        fields["user_deleted"] = user_deleted
        text += f"\nuser {forgotten.user} {'deleted' if user_deleted else 'kept until the erasure is complete'}"
    complete = forgotten.receipt.complete
    document = success(**fields) if complete else failure(INCOMPLETE, **fields)
    _show(args, document, text)
    return 0 if complete else EXIT_INCOMPLETE


def _show(args: argparse.Namespace, document: dict[str, Any], text: str) -> None:
    """The JSON document with `--json`, else the text."""
    _show_lines(args, document, [text])


def _show_lines(args: argparse.Namespace, document: dict[str, Any], lines: list[str]) -> None:
    """The JSON document with `--json`, else the lines (none for an empty listing)."""
    if getattr(args, "json", False):
        print_document(document)
        return
    for line in lines:
        print(line)


def _login(client: AgentClient, args: argparse.Namespace) -> int:
    password = _read_password(args, f"password for {args.name}: ")
    tokens = client.login(
        args.name,
        password,
        flow=args.flow,
        mfa_code=lambda: read_mfa_code(args.mfa_code, purpose=f"sign-in of {args.name}", stdin=sys.stdin),
    )
    minutes = int((tokens.expires_at - time.time()) // 60)
    print(
        f"logged in as {args.name} on {client.target.name}; "
        f"access token valid for {minutes} min (refreshed automatically)"
    )
    return 0


def _mfa(client: AgentClient, args: argparse.Namespace) -> int:
    user = client.resolve_user(args.user)
    enrolment = client.totp(user)
    if args.action == "setup":
        return _mfa_setup(client, args, user, enrolment)
    if args.action == "verify":
        _mfa_verify(args, user, enrolment, code=args.mfa_code)
        return 0
    enrolment.disable()
    _show(args, success(user=user, mfa_enabled=False), f"TOTP MFA is off for {user}: sign-in asks for no code")
    return 0


def _mfa_setup(client: AgentClient, args: argparse.Namespace, user: str, enrolment: TotpEnrolment) -> int:
    """Show the new secret once; on a terminal (without --json) verify it right away, else name `mfa verify`.

    WHY the secret is in the `--json` document although documents carry no secrets: handing it to the caller is
    this command's whole purpose (a script enrolling a device needs it), it is shown once and nothing else is in
    the document; tokens never are.
    """
    secret = enrolment.associate()
    uri = otpauth_uri(secret=secret, user=user, issuer=client.totp_issuer)
    shown = f"secret (shown once): {secret}\notpauth URI: {uri}"
    if args.json or not sys.stdin.isatty():
        verify = command_for(client.target, "mfa", "verify", "--user", user, MFA_CODE_OPTION, "CODE")
        document = success(user=user, secret=secret, otpauth_uri=uri, mfa_enabled=False, next=verify)
        _show(args, document, f"{shown}\nadd it to an authenticator app, then finish with `{verify}`")
        return 0
    print(f"{shown}\nadd it to an authenticator app (or paste the URI), then enter its current code")
    _mfa_verify(args, user, enrolment, code=None)
    return 0


def _mfa_verify(args: argparse.Namespace, user: str, enrolment: TotpEnrolment, *, code: str | None) -> None:
    enrolment.verify_and_enable(read_mfa_code(code, purpose=f"mfa verify for {user}", stdin=sys.stdin))
    _show(args, success(user=user, mfa_enabled=True), f"TOTP MFA is on for {user}: every sign-in asks for a code")


def _logout(client: AgentClient, args: argparse.Namespace) -> int:
    client.tokens.forget(args.name)
    print(f"forgot the tokens of {args.name}")
    return 0


def _invoke(client: AgentClient, args: argparse.Namespace) -> int:
    user = client.resolve_user(args.user)
    streamed = not args.no_stream

    def show(text: str) -> None:
        if not args.json:
            sys.stdout.write(text)
            sys.stdout.flush()

    answer = client.ask(
        user, args.prompt, session_id=args.session, new_session=args.new_session, stream=streamed, on_text=show
    )
    if args.json:
        print_document(success(user=user, session_id=answer.session_id, response=answer.text))
        return 0
    sys.stdout.write("\n")
    print(f"[session {answer.session_id}]", file=sys.stderr)
    return 0


def _chat(client: AgentClient, args: argparse.Namespace) -> int:
    user = client.resolve_user(args.user)
    return run_chat(client, user, session_id=args.session, new_session=args.new_session, stream=not args.no_stream)


def _demo(client: AgentClient, args: argparse.Namespace) -> int:
    say = (lambda _: None) if args.json else print
    checks = run_demo(client, users=tuple(args.users) if args.users else None, say=say)
    held = all(c.passed for c in checks)
    if args.json:
        rows = [asdict(c) for c in checks]
        print_document(success(checks=rows) if held else failure("some checks failed", checks=rows))
    else:
        print(format_table(checks))
        print("all checks hold" if held else "SOME CHECKS FAILED")
    return 0 if held else 1


def _sessions(client: AgentClient, args: argparse.Namespace) -> int:
    if args.action == "list":
        users = [client.resolve_user(args.user)] if args.user else client.sessions.users()
        rows: list[dict[str, Any]] = []
        lines: list[str] = []
        for user in users:
            current = client.sessions.current(user)
            for entry in client.sessions.sessions(user):
                is_current = entry["id"] == current
                created, used = entry.get("created_at"), entry.get("last_used_at")
                rows.append(
                    {
                        "user": user,
                        "session_id": entry["id"],
                        "current": is_current,
                        "created_at": _utc(created),
                        "last_used_at": _utc(used),
                    }
                )
                shown = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(used if _is_time(used) else 0))
                lines.append(f"{'*' if is_current else ' '} {user}\t{entry['id']}\tlast used {shown}")
        _show_lines(args, success(sessions=rows), lines)
        return 0
    user = client.resolve_user(args.user)
    known = client.stop_session(user, args.session_id)
    note = "" if known else " (it was not in this client's list)"
    if client.target.is_local:
        note += "; locally one agent process serves all sessions, so its stored history stays and a new call resumes it"
    _show(
        args,
        success(user=user, session_id=args.session_id, remembered=known),
        f"stopped session {args.session_id}{note}",
    )
    return 0


def _utc(seconds: object) -> str | None:
    """ISO 8601 UTC (`2026-12-05T21:57:40Z`) of a session book timestamp; None when the book has none."""
    return datetime.fromtimestamp(seconds, tz=UTC).strftime(UTC_FORMAT) if _is_time(seconds) else None


def _is_time(value: object) -> TypeGuard[float]:
    return isinstance(value, int | float) and not isinstance(value, bool)


_HANDLERS = {
    "users": _users,
    "login": _login,
    "logout": _logout,
    "mfa": _mfa,
    "invoke": _invoke,
    "chat": _chat,
    "demo": _demo,
    "sessions": _sessions,
    "forget-me": _forget_me,
}
