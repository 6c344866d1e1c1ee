"""The web chat in a real browser (Debian's chromium through Playwright) against `make local`'s parts: sign in
through the managed-login stand-in, per-user conversation lists, new chat, sign out, and chat over the runtime's
WebSocket (remembering, forgetting in a new chat, Stop, another user's conversation refused), and "Delete my data".

A screenshot of every step is kept under .artifacts/browser/ (gitignored; CI can upload it). Outside CI a
machine without chromium skips with the reason; in CI (``CI`` set) that is a failure: .ci/run installs it with
scripts/browser_prereqs.sh.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest

from local.identity_pool import LOCAL_CREDENTIALS
from local.runtime import LocalRuntime, LocalRuntimeSettings
from tests.support.prerequisites import missing_prerequisite
from tests.support.totp_codes import current_code, enrol_totp, wrong_code

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / ".artifacts" / "browser"
CHROMIUM = Path("/usr/bin/chromium")
# Flags for a headless run on a CI machine: no sandbox (root in a container), no GPU, and no traffic of the
# browser's own (QUIC, component updates, sync, first-run pages) besides what the test asks for.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PASSWORD = "Local-Passw0rd!"
TIMEOUT_MS = 20_000


def _require_chromium() -> None:
    if CHROMIUM.is_file():
        return
    missing_prerequisite(f"{CHROMIUM} is missing; install it with: sudo scripts/browser_prereqs.sh")


@pytest.fixture(scope="module")
def runtime(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalRuntime]:
    """The local runtime with the web twin, and alice, bob and carol as users of its pool."""
    _require_chromium()
    with LocalRuntime(LocalRuntimeSettings(state_dir=tmp_path_factory.mktemp("local"), web=True)) as local:
        cognito = boto3.client(
            "cognito-idp", region_name=local.settings.region, endpoint_url=local.aws_endpoint_url, **LOCAL_CREDENTIALS
        )
        for user in ("alice", "bob", "carol"):
            cognito.admin_create_user(UserPoolId=local.identity.user_pool_id, Username=user, MessageAction="SUPPRESS")
            cognito.admin_set_user_password(
                UserPoolId=local.identity.user_pool_id, Username=user, Password=PASSWORD, Permanent=True
            )
        yield local


@pytest.fixture
def page(runtime: LocalRuntime, request: pytest.FixtureRequest):
    """A fresh browser context (no cookies, empty storage) on the chat; console errors are collected."""
    from playwright.sync_api import sync_playwright

    assert runtime.web is not None
    web_url = runtime.web.web_url
    shots = ARTIFACTS / request.node.name
    shutil.rmtree(shots, ignore_errors=True)
    shots.mkdir(parents=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        context = browser.new_context(viewport={"width": 390, "height": 844})  # a phone's viewport
        context.set_default_timeout(TIMEOUT_MS)
        new_page = context.new_page()
        # The app's own errors (a CSP refusal, a failed fetch); the sign-in page's missing favicon is not one.
        errors: list[str] = []
        new_page.on(
            "console",
            lambda m: m.type == "error" and m.location.get("url", "").startswith(web_url) and errors.append(m.text),
        )
        new_page.console_errors = errors  # type: ignore[attr-defined]
        new_page.shots = shots  # type: ignore[attr-defined]
        yield new_page
        browser.close()


def _shot(page, name: str) -> None:
    page.screenshot(path=str(page.shots / f"{name}.png"), full_page=True)


def _open(page, runtime: LocalRuntime) -> None:
    assert runtime.web is not None
    page.goto(f"{runtime.web.web_url}/")
    page.wait_for_selector("body[data-signed-in]")


def _sign_in(page, user: str, password: str = PASSWORD) -> None:
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r".*/login\?.*"))
    page.get_by_label("Username").fill(user)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def _conversation_ids(page) -> list[str]:
    return page.locator("#conversations button").evaluate_all("buttons => buttons.map(b => b.dataset.sessionId)")


def test_sign_in_new_chat_sign_out_and_lists_per_user(page, runtime):
    from playwright.sync_api import expect

    _open(page, runtime)
    expect(page.locator("#who")).to_have_text("Signed out")
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    _shot(page, "01-signed-out")

    _sign_in(page, "alice")
    page.wait_for_selector('body[data-signed-in="true"]')
    expect(page.locator("#who")).to_have_text("Signed in as alice")
    expect(page.locator("#no-conversations")).to_be_visible()
    expect(page.get_by_role("alert")).to_be_hidden()
    assert _conversation_ids(page) == []
    _shot(page, "02-alice-signed-in")

    page.get_by_role("button", name="New chat").click()
    session_id = page.locator("#session").get_attribute("data-session-id") or ""
    assert len(session_id) >= 33 and re.fullmatch(r"[A-Za-z0-9_-]+", session_id), session_id
    assert _conversation_ids(page) == [session_id]
    expect(page.get_by_role("textbox", name="Message")).to_be_focused()
    _shot(page, "03-alice-new-chat")

    page.get_by_role("button", name="Sign out").click()
    page.wait_for_selector('body[data-signed-in="false"]')
    expect(page.locator("#who")).to_have_text("Signed out")
    _shot(page, "04-signed-out-again")

    _sign_in(page, "bob")  # the sign-in page again: sign-out ended the managed-login session
    page.wait_for_selector('body[data-signed-in="true"]')
    expect(page.locator("#who")).to_have_text("Signed in as bob")
    assert _conversation_ids(page) == []
    _shot(page, "05-bob-signed-in")
    assert page.console_errors == []


def test_wrong_password_stays_on_the_sign_in_page(page, runtime):
    from playwright.sync_api import expect

    _open(page, runtime)
    _sign_in(page, "alice", password="not-her-password")
    expect(page.get_by_role("alert")).to_have_text("Incorrect username or password.")
    assert "/login?" in page.url
    _shot(page, "01-wrong-password")


def test_a_user_with_totp_mfa_enters_the_code_after_the_password(page, runtime):
    """As Cognito's managed login asks a user who enrolled TOTP (`agentcore-client mfa setup`): the code page, a
    wrong code asks again, the current one signs in."""
    from playwright.sync_api import expect

    assert runtime.web is not None
    cognito = boto3.client(
        "cognito-idp", region_name=runtime.settings.region, endpoint_url=runtime.aws_endpoint_url, **LOCAL_CREDENTIALS
    )
    ids = {"pool_id": runtime.identity.user_pool_id, "client_id": runtime.web.client_id}
    secret = enrol_totp(cognito, **ids, user="dana", password=PASSWORD)
    _open(page, runtime)
    _sign_in(page, "dana")
    code = page.get_by_label("Code from your authenticator app")
    code.fill(wrong_code(secret))
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_have_text(
        "Incorrect code. Enter the current code from your authenticator app."
    )
    _shot(page, "01-wrong-code")

    code.fill(current_code(secret))
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_selector('body[data-signed-in="true"]')
    expect(page.locator("#who")).to_have_text("Signed in as dana")
    _shot(page, "02-signed-in")
    assert page.console_errors == []


def _say(page, prompt: str) -> None:
    page.get_by_role("textbox", name="Message").fill(prompt)
    page.get_by_role("button", name="Send").click()


def _last_answer(page):
    return page.locator("#messages li.message.agent p").last


def test_chat_remembers_forgets_stops_and_refuses_another_users_conversation(page, runtime):
    """Issue 19's chat steps over the runtime's WebSocket (front door `/ws` → agent `/ws`), a screenshot each."""
    from playwright.sync_api import expect

    _open(page, runtime)
    _sign_in(page, "alice")
    page.wait_for_selector('body[data-signed-in="true"]')
    page.get_by_role("button", name="New chat").click()
    alice_session = page.locator("#session").get_attribute("data-session-id") or ""

    _say(page, "My name is Alice")
    expect(_last_answer(page)).to_have_text("Nice to meet you, Alice.", timeout=TIMEOUT_MS)
    _say(page, "Do you remember my name?")
    expect(_last_answer(page)).to_have_text("Your name is Alice.")
    expect(page.get_by_role("alert")).to_be_hidden()
    _shot(page, "01-alice-remembered")

    page.get_by_role("button", name="New chat").click()
    _say(page, "Do you remember my name?")
    expect(_last_answer(page)).to_have_text("I don't know your name.")
    _shot(page, "02-new-chat-forgets")

    # A slow turn: "meet 2 sessions" waits for a second session that never comes (local/reply_script.py), so the
    # answer would be "Met no one."; Stop cancels it (Strands notices at the model's first chunk after the wait).
    _say(page, "meet 2 sessions")
    stop = page.get_by_role("button", name="Stop")
    expect(stop).to_be_visible()
    _shot(page, "03-slow-turn-running")
    stop.click()
    expect(stop).to_be_hidden(timeout=60_000)
    expect(_last_answer(page)).to_have_text("Cancelled by user")  # Strands' closing answer, stored
    _say(page, "How many turns?")
    # The stopped turn answers at once, but holds its session until the model call it was waiting on returns
    # (the stand-in's 15 s wait); the next turn waits for it (agent/session_registry.py) and then runs normally.
    expect(_last_answer(page)).to_have_text("You have sent 3 messages.", timeout=60_000)
    _shot(page, "04-stopped-and-next-turn-works")

    page.get_by_role("button", name="Sign out").click()
    page.wait_for_selector('body[data-signed-in="false"]')
    _sign_in(page, "bob")
    page.wait_for_selector('body[data-signed-in="true"]')
    assert runtime.web is not None
    page.goto(f"{runtime.web.web_url}/#/c/{alice_session}")
    page.reload()
    page.wait_for_selector('body[data-signed-in="true"]')
    _say(page, "Do you remember my name?")
    expect(page.get_by_role("alert")).to_contain_text("This conversation belongs to another user.")
    _shot(page, "05-bob-refused-alices-conversation")
    assert page.console_errors == []


def test_delete_my_data_asks_erases_shows_the_receipt_and_clears_the_list(page, runtime):
    """Issue 20: cancel keeps everything; confirming erases the conversation on the server (its id then opens an
    empty conversation) and in this browser, and the receipt shows what was deleted."""
    from playwright.sync_api import expect

    _open(page, runtime)
    _sign_in(page, "carol")
    page.wait_for_selector('body[data-signed-in="true"]')
    page.get_by_role("button", name="New chat").click()
    carol_session = page.locator("#session").get_attribute("data-session-id") or ""
    _say(page, "My name is Carol")
    expect(_last_answer(page)).to_have_text("Nice to meet you, Carol.")

    page.get_by_role("button", name="Delete my data").click()
    dialog = page.get_by_role("dialog", name="Delete my data?")
    expect(dialog).to_be_visible()
    _shot(page, "01-confirmation")
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_be_hidden()
    assert _conversation_ids(page) == [carol_session]

    page.get_by_role("button", name="Delete my data").click()
    page.get_by_role("button", name="Delete everything").click()
    done = page.get_by_role("dialog", name="Your data was deleted")
    expect(done).to_be_visible()
    # Two sessions: the chat's, and the erasure's own socket session, whose owner record /ws wrote on connect.
    expect(done.get_by_role("listitem")).to_have_text(
        [
            "sessions: 2 deleted",
            "owner records: 2 deleted",
            "conversation objects: 4 deleted",
            re.compile(r"^log lines: not deleted \(request log lines name the actor id"),
        ]
    )
    _shot(page, "02-receipt")
    done.get_by_role("button", name="Close").click()
    assert _conversation_ids(page) == []
    expect(page.locator("#no-conversations")).to_be_visible()
    _shot(page, "03-list-cleared")

    assert runtime.web is not None
    page.goto(f"{runtime.web.web_url}/#/c/{carol_session}")
    page.reload()
    page.wait_for_selector('body[data-signed-in="true"]')
    _say(page, "Do you remember my name?")
    expect(_last_answer(page)).to_have_text("I don't know your name.")
    _shot(page, "04-old-conversation-is-empty")
    assert page.console_errors == []
