"""users, login, the token cache (permissions, refresh, revocation) and the errors users see."""

from __future__ import annotations

import json
import re
import shlex
import stat
import sys
from pathlib import Path

import boto3
import pytest

from client.cognito_auth import CognitoAuth
from client.targets import load_outputs_file, target_from_outputs
from client.token_cache import TokenCache

PASSWORD = "Test-Passw0rd-Long!"
INITIATE_AUTH = "before-parameter-build.cognito-idp.InitiateAuth"
AWS_CREDENTIALS = (("AWS_ACCESS_KEY_ID", "local"), ("AWS_SECRET_ACCESS_KEY", "local"))


def _token_file(cache_home: Path, local_runtime, user: str) -> Path:
    return cache_home / "agentcore-session" / f"local-{local_runtime.identity.user_pool_id}" / "tokens" / f"{user}.json"


def _as_typed(local_runtime, *args: str) -> str:
    """The command a hint must name when the client ran as `python -m client --local --outputs-file …`."""
    outputs = str(local_runtime.settings.outputs_path)
    return shlex.join([sys.executable, "-m", "client", "--local", "--outputs-file", outputs, *args])


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_users_create_shows_a_generated_password_once_and_it_works(cli):
    created = cli("users", "create", "carol", "--email", "carol@example.com")
    assert created.code == 0
    lines = created.out.splitlines()
    assert lines[0] == "created user carol"
    password = re.fullmatch(r"password \(shown once\): (\S{24})", lines[1]).group(1)
    assert len(lines) == 2
    login = cli("login", "carol", "--password-stdin", stdin=password + "\n")
    assert login.code == 0
    assert login.out.startswith("logged in as carol on local; access token valid for 5")
    listing = cli("users", "list").out
    assert "carol\tCONFIRMED\tenabled=true\tcarol@example.com" in listing.splitlines()


def test_users_create_twice_is_one_clear_line(cli, user):
    result = cli("users", "create", user, "--password-stdin", stdin=PASSWORD + "\n")
    assert (result.code, result.err) == (1, f"agentcore-client: user {user} already exists\n")


def test_weak_password_is_rejected_and_no_half_created_user_remains(cli, cognito, local_runtime):
    result = cli("users", "create", "weakling", "--password-stdin", stdin="short\n")
    assert result.code == 1
    assert result.err.startswith("agentcore-client: password rejected for weakling: ")
    users = cognito.list_users(UserPoolId=local_runtime.identity.user_pool_id)["Users"]
    assert "weakling" not in [u["Username"] for u in users]


def test_users_delete_unknown_user(cli):
    result = cli("users", "delete", "ghost")
    assert (result.code, result.err) == (1, "agentcore-client: user ghost not found in the user pool\n")


def test_wrong_password(cli, user):
    result = cli("login", user, "--password-stdin", stdin="Wrong-Passw0rd-Long!\n")
    assert (result.code, result.out) == (1, "")
    assert result.err == f"agentcore-client: sign-in failed for {user}: Incorrect username or password.\n"


def test_login_of_unknown_user(cli, local_runtime):
    result = cli("login", "nobody", "--password-stdin", stdin=PASSWORD + "\n")
    create = _as_typed(local_runtime, "users", "create", "nobody")
    assert result.err == f"agentcore-client: user nobody not found in the user pool (create it with `{create}`)\n"
    assert result.code == 1


def test_invoke_before_login(cli, local_runtime):
    result = cli("invoke", "hi")
    login = _as_typed(local_runtime, "login", "NAME")
    assert (result.code, result.err) == (
        1,
        f"agentcore-client: no user given and nobody has logged in yet: run `{login}` or pass --user NAME\n",
    )
    result = cli("invoke", "hi", "--user", "dora")
    login = _as_typed(local_runtime, "login", "dora")
    assert result.err == f"agentcore-client: user dora is not logged in on local: run `{login}` first\n"


def test_token_cache_is_owner_only(cli, user, cache_home, local_runtime):
    token_file = _token_file(cache_home, local_runtime, user)
    assert _mode(token_file) == 0o600
    assert _mode(token_file.parent) == 0o700
    assert _mode(token_file.parent.parent) == 0o700
    assert set(json.loads(token_file.read_text())) == {"access_token", "id_token", "refresh_token", "expires_at"}
    cli("invoke", "hello", "--user", user)
    sessions_file = token_file.parent.parent / "sessions" / f"{user}.json"
    assert _mode(sessions_file) == 0o600
    assert _mode(sessions_file.parent) == 0o700


def test_expired_access_token_is_refreshed_with_the_refresh_token(cli, user, cache_home, local_runtime):
    token_file = _token_file(cache_home, local_runtime, user)
    cached = json.loads(token_file.read_text())
    token_file.write_text(json.dumps({**cached, "expires_at": 0}))
    result = cli("invoke", "My name is Rae.", "--user", user)
    assert (result.code, result.out) == (0, "Nice to meet you, Rae.\n")
    refreshed = json.loads(token_file.read_text())
    assert refreshed["access_token"] != cached["access_token"]
    assert refreshed["refresh_token"] == cached["refresh_token"]
    assert refreshed["expires_at"] > cached["expires_at"] - 5
    assert _mode(token_file) == 0o600


def test_revoked_refresh_token_asks_to_log_in_again(cli, user, cache_home, local_runtime, cognito):
    token_file = _token_file(cache_home, local_runtime, user)
    token_file.write_text(json.dumps({**json.loads(token_file.read_text()), "expires_at": 0}))
    cognito.admin_user_global_sign_out(UserPoolId=local_runtime.identity.user_pool_id, Username=user)
    result = cli("invoke", "hi", "--user", user)
    assert (result.code, result.out) == (1, "")
    login = _as_typed(local_runtime, "login", user)
    expected = f"the saved sign-in of {user} has expired or was revoked: run `{login}` again"
    assert result.err == f"agentcore-client: {expected}\n"
    assert not token_file.exists()


def test_token_of_another_client_is_refused_by_the_front_door(cli, user, cache_home, local_runtime, cognito):
    """A tampered cache (token from a client the runtime does not allow) gets the authorizer's 403."""
    other = cognito.create_user_pool_client(
        UserPoolId=local_runtime.identity.user_pool_id,
        ClientName="other",
        ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH"],
    )["UserPoolClient"]["ClientId"]
    foreign = cognito.initiate_auth(
        ClientId=other, AuthFlow="USER_PASSWORD_AUTH", AuthParameters={"USERNAME": user, "PASSWORD": PASSWORD}
    )["AuthenticationResult"]["AccessToken"]
    token_file = _token_file(cache_home, local_runtime, user)
    token_file.write_text(json.dumps({**json.loads(token_file.read_text()), "access_token": foreign}))
    result = cli("invoke", "hi", "--user", user)
    assert result.code == 1
    assert result.err == (
        f"agentcore-client: runtime answered HTTP 403 (client_not_allowed): client_id '{other}' "
        "is not an allowed client of this runtime\n"
    )


@pytest.mark.parametrize("name", ["../etc", "a/b", ".hidden", "", "x" * 129, "sp ace"])
def test_hostile_user_names_never_become_paths(cli, name):
    result = cli("login", name, "--password-stdin", stdin=PASSWORD + "\n")
    assert result.code == 1
    assert result.err == (
        f"agentcore-client: user name {name!r} is not allowed: use 1-128 letters, digits or . _ @ + - "
        "(not starting with a symbol)\n"
    )


def test_srp_login_runs_pycognito_against_cognito_and_tokens_work(cli, user):
    """moto answers SRP without checking the proof, so this proves the flow's wiring, not the password check."""
    result = cli("login", user, "--flow", "srp", "--password-stdin", stdin=PASSWORD + "\n")
    assert result.code == 0
    assert result.out.startswith(f"logged in as {user} on local; ")
    assert cli("invoke", "My name is Sam.", "--user", user).out == "Nice to meet you, Sam.\n"


def _auth_flows_sent(cognito) -> list[str]:
    """The `AuthFlow` of every InitiateAuth this boto3 client sends (a botocore event hook; the calls still go out)."""
    flows: list[str] = []
    cognito.meta.events.register(INITIATE_AUTH, lambda params, **_: flows.append(params["AuthFlow"]))
    return flows


@pytest.mark.parametrize(
    ("local", "first"), [(False, "USER_SRP_AUTH"), (True, "USER_PASSWORD_AUTH")], ids=["deployed", "local"]
)
def test_auto_flow_tries_srp_first_except_against_moto(user, local_runtime, cognito, tmp_path, local, first):
    """`--flow auto` as `login --help` and docs/client.md state it: SRP first, except against moto."""
    outputs = load_outputs_file(local_runtime.settings.outputs_path)
    if not local:
        del outputs["AwsEndpointUrl"]  # a deployed target; its pool is still moto's, through `cognito`
    target = target_from_outputs(outputs, name="dev", source="test")
    flows = _auth_flows_sent(cognito)
    CognitoAuth(target=target, cognito=cognito, cache=TokenCache(tmp_path)).login(user, PASSWORD, flow="auto")
    assert flows == [first]


@pytest.mark.parametrize(
    ("local", "first"), [(False, "USER_SRP_AUTH"), (True, "USER_PASSWORD_AUTH")], ids=["deployed", "local"]
)
def test_login_without_flow_signs_in_the_auto_way(cli, user, local_runtime, tmp_path, monkeypatch, local, first):
    """`login` without `--flow` is `--flow auto` (its order: test_auto_flow_tries_srp_first_except_against_moto).

    The flows are read from boto3's default session, the one the CLI's clients come from (client/aws_clients.py).
    """
    target = ("--local", "--outputs-file", str(local_runtime.settings.outputs_path))
    if not local:  # a deployed stage whose AWS APIs (moto's) come from the standard environment
        outputs = load_outputs_file(local_runtime.settings.outputs_path)
        del outputs["AwsEndpointUrl"]
        path = tmp_path / "cdk-outputs-dev.json"
        path.write_text(json.dumps({"AgentCoreSession-dev-Runtime": outputs}))
        for name, value in (("AWS_ENDPOINT_URL", local_runtime.aws_endpoint_url), *AWS_CREDENTIALS):
            monkeypatch.setenv(name, value)
        target = ("--stage", "dev", "--outputs-file", str(path))
    session = boto3.session.Session()
    monkeypatch.setattr(boto3, "DEFAULT_SESSION", session)
    flows: list[str] = []
    session.events.register(INITIATE_AUTH, lambda params, **_: flows.append(params["AuthFlow"]))
    assert cli("login", user, "--password-stdin", stdin=PASSWORD + "\n", target=target).code == 0
    assert flows == [first]
