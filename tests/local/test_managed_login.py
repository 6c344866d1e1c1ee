"""The managed-login stand-in over real HTTP, backed by moto in server mode: Cognito's parameters, PKCE checked,
single-use codes, sign-out URLs enforced, and tokens the front door's JWT authorizer accepts."""

from __future__ import annotations

import html
import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import parse_qs, urlencode, urlparse

import boto3
import httpx
import pytest

from local.aws_emulator import start_emulator
from local.identity_pool import LOCAL_CREDENTIALS, LocalIdentity, create_identity
from local.jwt_authorizer import JwtAuthorizer, discover
from local.managed_login import s256_challenge
from local.web_twin import RuntimeAddress, WebTwin
from tests.support.totp_codes import current_code, enrol_totp, wrong_code

PASSWORD = "Local-Passw0rd!"


@dataclass
class Twin:
    identity: LocalIdentity
    web: WebTwin

    @property
    def app_url(self) -> str:
        return f"{self.web.web_url}/"

    @property
    def discovery(self) -> dict:
        url = f"{self.web.login_url}/{self.identity.user_pool_id}/.well-known/openid-configuration"
        return httpx.get(url).json()


@pytest.fixture(scope="module")
def twin() -> Iterator[Twin]:
    emulator = start_emulator(port=0)
    try:
        identity = create_identity(endpoint_url=emulator.endpoint_url, region="us-east-1")
        cognito = boto3.client(
            "cognito-idp", region_name="us-east-1", endpoint_url=emulator.endpoint_url, **LOCAL_CREDENTIALS
        )
        cognito.admin_create_user(UserPoolId=identity.user_pool_id, Username="alice", MessageAction="SUPPRESS")
        cognito.admin_set_user_password(
            UserPoolId=identity.user_pool_id, Username="alice", Password=PASSWORD, Permanent=True
        )
        web = WebTwin(identity=identity, host="127.0.0.1")
        web.connect(
            RuntimeAddress(
                front_door_url="http://127.0.0.1:9",
                runtime_arn="arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/r-0123456789",
                qualifier="local",
            )
        )
        try:
            yield Twin(identity=identity, web=web)
        finally:
            web.stop()
    finally:
        emulator.stop()


def _pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    return verifier, s256_challenge(verifier)


def _authorize_params(twin: Twin, challenge: str, **overrides: str) -> dict[str, str]:
    return {
        "response_type": "code",
        "client_id": twin.web.client_id,
        "redirect_uri": twin.app_url,
        "state": "state-1",
        "scope": "openid email profile",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        **overrides,
    }


def _sign_in(
    twin: Twin, browser: httpx.Client, challenge: str, password: str = PASSWORD, user: str = "alice"
) -> httpx.Response:
    """authorize → /login → POST the form, as a browser does; returns the last answer (not followed)."""
    login = browser.get(f"{twin.web.login_url}/oauth2/authorize", params=_authorize_params(twin, challenge))
    assert login.status_code == 302 and login.headers["location"].startswith("/login?")
    page = browser.get(f"{twin.web.login_url}{login.headers['location']}")
    assert page.status_code == 200 and 'name="password"' in page.text
    return browser.post(
        f"{twin.web.login_url}{login.headers['location']}", data={"username": user, "password": password}
    )


def _code_form(twin: Twin, page: httpx.Response) -> tuple[str, dict[str, str]]:
    """The code page's form: where it posts, and its hidden fields."""
    assert page.status_code == 200 and 'name="code"' in page.text and 'name="password"' not in page.text
    action = re.search(r'<form method="post" action="([^"]+)"', page.text)
    hidden = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', page.text))
    assert action is not None and set(hidden) == {"username", "session"}
    return f"{twin.web.login_url}{html.unescape(action.group(1))}", hidden


def _alert(page: httpx.Response) -> str | None:
    found = re.search(r'<p class="error" role="alert">([^<]*)</p>', page.text)
    return html.unescape(found.group(1)) if found else None


def _code(answer: httpx.Response) -> str:
    assert answer.status_code == 302, answer.text
    query = parse_qs(urlparse(answer.headers["location"]).query)
    assert query["state"] == ["state-1"]
    return query["code"][0]


def _token(twin: Twin, **form: str) -> httpx.Response:
    return httpx.post(twin.discovery["token_endpoint"], data={"client_id": twin.web.client_id, **form})


def test_s256_challenge_matches_rfc_7636_appendix_b():
    assert (
        s256_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk") == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    )


def test_discovery_names_the_stand_in_endpoints_and_moto_issuer(twin):
    document = twin.discovery
    assert document["issuer"] == f"https://cognito-idp.us-east-1.amazonaws.com/{twin.identity.user_pool_id}"
    assert document["authorization_endpoint"] == f"{twin.web.login_url}/oauth2/authorize"
    assert document["token_endpoint"] == f"{twin.web.login_url}/oauth2/token"
    assert document["jwks_uri"] == f"{twin.identity.endpoint_url}/{twin.identity.user_pool_id}/.well-known/jwks.json"
    assert "end_session_endpoint" not in document  # as Cognito: /logout is not RP-initiated logout


def test_code_with_the_right_verifier_gives_tokens_the_front_door_accepts(twin):
    verifier, challenge = _pkce()
    with httpx.Client() as browser:
        code = _code(_sign_in(twin, browser, challenge))
    answer = _token(twin, grant_type="authorization_code", code=code, redirect_uri=twin.app_url, code_verifier=verifier)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert sorted(body) == ["access_token", "expires_in", "id_token", "refresh_token", "token_type"]
    assert body["token_type"] == "Bearer"
    authorizer = JwtAuthorizer(
        provider=discover(twin.identity.discovery_url), allowed_clients=frozenset({twin.web.client_id})
    )
    claims = authorizer.authorize(f"Bearer {body['access_token']}")
    assert (claims["client_id"], claims["username"], claims["token_use"]) == (twin.web.client_id, "alice", "access")


def test_wrong_verifier_is_invalid_grant_and_burns_the_code(twin):
    verifier, challenge = _pkce()
    with httpx.Client() as browser:
        code = _code(_sign_in(twin, browser, challenge))
    wrong = _token(twin, grant_type="authorization_code", code=code, redirect_uri=twin.app_url, code_verifier="x" * 43)
    assert (wrong.status_code, wrong.json()) == (
        400,
        {"error": "invalid_grant", "error_description": "code_verifier does not match the code_challenge"},
    )
    again = _token(twin, grant_type="authorization_code", code=code, redirect_uri=twin.app_url, code_verifier=verifier)
    assert (again.status_code, again.json()["error"]) == (400, "invalid_grant")


def test_code_is_single_use_and_bound_to_its_redirect_uri(twin):
    verifier, challenge = _pkce()
    with httpx.Client() as browser:
        code = _code(_sign_in(twin, browser, challenge))
        other = _token(
            twin, grant_type="authorization_code", code=code, redirect_uri="http://x/", code_verifier=verifier
        )
        assert (other.status_code, other.json()["error"]) == (400, "invalid_grant")
        # a managed-login session now exists: authorize answers with a code at once
        code = _code(browser.get(f"{twin.web.login_url}/oauth2/authorize", params=_authorize_params(twin, challenge)))
    first = _token(twin, grant_type="authorization_code", code=code, redirect_uri=twin.app_url, code_verifier=verifier)
    second = _token(twin, grant_type="authorization_code", code=code, redirect_uri=twin.app_url, code_verifier=verifier)
    assert (first.status_code, second.status_code, second.json()["error"]) == (200, 400, "invalid_grant")


@pytest.mark.parametrize(
    ("form", "error"),
    [
        ({"grant_type": "password"}, "unsupported_grant_type"),
        ({"grant_type": "authorization_code"}, "invalid_request"),
        ({"grant_type": "authorization_code", "client_id": "not-a-client"}, "invalid_client"),
    ],
)
def test_token_refusals_use_the_oauth_error_codes(twin, form, error):
    answer = _token(twin, **form)
    assert (answer.status_code, answer.json()["error"]) == (400, error)


def test_token_request_must_be_form_encoded(twin):
    answer = httpx.post(twin.discovery["token_endpoint"], content=b"{}", headers={"content-type": "application/json"})
    assert (answer.status_code, answer.json()["error"]) == (400, "invalid_request")


def test_wrong_password_shows_the_sign_in_page_with_a_message(twin):
    _, challenge = _pkce()
    with httpx.Client() as browser:
        answer = _sign_in(twin, browser, challenge, password="not-her-password")
    assert answer.status_code == 200
    assert '<p class="error" role="alert">Incorrect username or password.</p>' in answer.text
    assert "set-cookie" not in answer.headers


def test_a_user_with_totp_mfa_is_asked_for_the_code_until_it_is_right(twin):
    cognito = boto3.client(
        "cognito-idp", region_name="us-east-1", endpoint_url=twin.identity.endpoint_url, **LOCAL_CREDENTIALS
    )
    ids = {"pool_id": twin.identity.user_pool_id, "client_id": twin.web.client_id}
    secret = enrol_totp(cognito, **ids, user="tina", password=PASSWORD)
    verifier, challenge = _pkce()
    with httpx.Client() as browser:
        password_step = _sign_in(twin, browser, challenge, user="tina")
        action, hidden = _code_form(twin, password_step)
        malformed = browser.post(action, data={**hidden, "code": "12345"})
        wrong = browser.post(action, data={**hidden, "code": wrong_code(secret)})
        right = browser.post(action, data={**hidden, "code": current_code(secret)})
        code = _code(right)

    assert "set-cookie" not in password_step.headers and _alert(password_step) is None
    assert _code_form(twin, malformed) == _code_form(twin, wrong) == (action, hidden)  # asked again, same challenge
    assert _alert(malformed) == "Enter the 6-digit code from your authenticator app."
    assert _alert(wrong) == "Incorrect code. Enter the current code from your authenticator app."
    assert "cognito=" in right.headers["set-cookie"]
    answer = _token(twin, grant_type="authorization_code", code=code, redirect_uri=twin.app_url, code_verifier=verifier)
    assert answer.status_code == 200, answer.text
    authorizer = JwtAuthorizer(
        provider=discover(twin.identity.discovery_url), allowed_clients=frozenset({twin.web.client_id})
    )
    assert authorizer.authorize(f"Bearer {answer.json()['access_token']}")["username"] == "tina"


def test_a_user_with_a_challenge_the_stand_in_does_not_answer_gets_a_message(twin):
    cognito = boto3.client(
        "cognito-idp", region_name="us-east-1", endpoint_url=twin.identity.endpoint_url, **LOCAL_CREDENTIALS
    )
    cognito.admin_create_user(  # a temporary password: the first sign-in must set a new one
        UserPoolId=twin.identity.user_pool_id, Username="newbie", TemporaryPassword=PASSWORD, MessageAction="SUPPRESS"
    )
    _, challenge = _pkce()
    with httpx.Client() as browser:
        page = _sign_in(twin, browser, challenge, user="newbie")

    assert page.status_code == 200 and 'name="password"' in page.text and "set-cookie" not in page.headers
    assert _alert(page) == "This user must first complete NEW_PASSWORD_REQUIRED."


def test_a_code_without_a_challenge_session_cognito_could_have_issued_starts_the_sign_in_over(twin):
    _, challenge = _pkce()
    action = f"{twin.web.login_url}/login/mfa?{urlencode(_authorize_params(twin, challenge))}"
    with httpx.Client() as browser:
        pages = [
            browser.post(action, data={"username": "alice", "code": "123456"}),
            browser.post(action, data={"username": "alice", "session": "too-short", "code": "123456"}),
        ]

    for page in pages:
        assert page.status_code == 200 and 'name="password"' in page.text and "set-cookie" not in page.headers
        assert _alert(page) == "Your sign-in expired. Sign in again."


@pytest.mark.parametrize(
    ("overrides", "status", "location_error"),
    [
        ({"client_id": "not-a-client"}, 400, None),
        ({"redirect_uri": "https://evil.example/"}, 400, None),
        ({"response_type": "token"}, 302, "unsupported_response_type"),
        ({"code_challenge_method": "plain"}, 302, "invalid_request"),
    ],
)
def test_authorize_refuses_unknown_clients_foreign_redirects_and_unsupported_parameters(
    twin, overrides, status, location_error
):
    _, challenge = _pkce()
    answer = httpx.get(f"{twin.web.login_url}/oauth2/authorize", params=_authorize_params(twin, challenge, **overrides))
    assert answer.status_code == status
    if location_error:
        location = answer.headers["location"]
        assert location.startswith(twin.app_url)
        assert parse_qs(urlparse(location).query)["error"] == [location_error]


def test_logout_needs_a_listed_logout_uri_and_ends_the_session(twin):
    _, challenge = _pkce()
    with httpx.Client() as browser:
        _code(_sign_in(twin, browser, challenge))
        refused = browser.get(
            f"{twin.web.login_url}/logout", params={"client_id": twin.web.client_id, "logout_uri": "https://evil/"}
        )
        assert refused.status_code == 400
        redirect_only = browser.get(
            f"{twin.web.login_url}/logout",
            params={"client_id": twin.web.client_id, "post_logout_redirect_uri": twin.app_url},
        )
        assert redirect_only.status_code == 400  # OIDC's parameter is not Cognito's
        out = browser.get(
            f"{twin.web.login_url}/logout", params={"client_id": twin.web.client_id, "logout_uri": twin.app_url}
        )
        assert (out.status_code, out.headers["location"]) == (302, twin.app_url)
        again = browser.get(f"{twin.web.login_url}/oauth2/authorize", params=_authorize_params(twin, challenge))
        assert again.status_code == 302 and again.headers["location"].startswith("/login?")


def test_web_app_serves_config_json_and_index_for_app_routes_with_a_csp(twin):
    config = httpx.get(f"{twin.web.web_url}/config.json")
    assert config.status_code == 200
    assert config.json()["clientId"] == twin.web.client_id
    assert config.json()["runtimeWebSocketUrl"] == "ws://127.0.0.1:9"
    page = httpx.get(f"{twin.web.web_url}/c/some-route")
    assert page.status_code == 200 and '<div id="alert"' in page.text
    csp = page.headers["content-security-policy"]
    assert f"connect-src 'self' ws://127.0.0.1:9 {twin.web.login_url};" in csp
    assert "frame-ancestors 'none'" in csp
    escape = httpx.get(f"{twin.web.web_url}/%2e%2e/%2e%2e/pyproject.toml")
    assert escape.status_code == 200 and "[tool" not in escape.text  # the app's index, never a file outside dist


def test_token_body_is_bounded(twin):
    answer = httpx.post(
        twin.discovery["token_endpoint"],
        content=b"grant_type=authorization_code&code=" + b"a" * (17 * 1024),
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert (answer.status_code, answer.json()["error"]) == (400, "invalid_request")
