"""Security settings, tested through real requests: the Content-Security-Policy on
admin and user pages (and, in Chromium, that every page works under it), login
rate limiting by django-axes on both login pages, cookie flags and HSTS under the
production environment, and the password validators."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from axes.exceptions import AxesBackendRequestParameterRequired
from axes.models import AccessAttempt
from django.contrib.auth import authenticate, get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone
from pytest_django.asserts import assertContains

from messaging.models import Message
from moderation.services import report_message
from tests.factories import (
    PASSWORD,
    MessageFactory,
    MessageHistoryFactory,
    ModeratorFactory,
    ReplyFactory,
    SuperuserFactory,
    UserFactory,
)
from tests.jobs.factories import JobFactory
from tests.test_settings import PRODUCTION_ENV, clean_env, production_secret_key, run_python

CHROMIUM = Path("/usr/bin/chromium")

# The policy, directive by directive, as the browser receives it. Why each source
# is there: moderation_site/settings.py, "Content Security Policy".
EXPECTED_POLICY = {
    "default-src": "'none'",
    "script-src": "'self' 'unsafe-eval'",
    "style-src": "'self' 'unsafe-inline'",
    "font-src": "'self'",
    "connect-src": "'self'",
    "base-uri": "'none'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}


def parse_policy(header: str) -> dict[str, str]:
    directives = (part.strip().split(" ", 1) for part in header.split(";") if part.strip())
    return {name: value for name, value in directives}


# --- Pages: every kind the moderators and the users see --------------------------------


class Site:
    """A small data set and the URLs of every kind of page built on it."""

    def __init__(self, *, moderator_factory: type[UserFactory] = ModeratorFactory) -> None:
        self.moderator = moderator_factory(username="moderator")
        self.alice = UserFactory(username="alice")
        self.bob = UserFactory(username="bob")
        self.root = MessageFactory(sender=self.bob, receiver=self.alice, content="Hello Alice")
        self.reply = ReplyFactory(parent_message=self.root, content="Hi Bob")
        MessageHistoryFactory(message=self.reply)
        self.job = JobFactory(started_by=self.moderator)
        # Bob reports Alice's reply: a case about Alice for the review queue.
        self.case = report_message(reporter=self.bob, message=self.reply, reason="spam").case

    def admin_pages(self) -> list[str]:
        changelist = reverse("admin:messaging_message_changelist")
        return [
            reverse("admin:index"),  # the dashboard, with its Chart.js chart
            changelist,
            f"{changelist}?edited__exact=1&sender__id__exact={self.bob.pk}",
            reverse("admin:messaging_message_change", args=[self.root.pk]),
            reverse("admin:messaging_messagehistory_changelist"),
            reverse("admin:auth_user_changelist"),
            reverse("admin:auth_user_change", args=[self.alice.pk]),
            reverse("admin:auth_user_delete_account_detail", args=[self.alice.pk]),
            reverse("admin:messaging_message_export"),
            reverse("admin:jobs_job_changelist"),
            reverse("admin:jobs_job_change", args=[self.job.pk]),
            reverse("admin:audit_auditentry_changelist"),
            reverse("admin:moderation_case_changelist"),
            reverse("admin:moderation_case_change", args=[self.case.pk]),
        ]

    def user_pages(self) -> list[str]:
        return [
            reverse("messaging:inbox"),
            reverse("messaging:conversations"),
            reverse("messaging:thread", args=[self.root.pk]),
            reverse("messaging:send"),
            reverse("messaging:reply", args=[self.root.pk]),
            reverse("messaging:edit", args=[self.reply.pk]),
            reverse("messaging:delete_user"),
            reverse("moderation:report", args=[self.root.pk]),
        ]


@pytest.fixture
def site(db) -> Site:
    return Site()


# --- Content-Security-Policy header ------------------------------------------------------


@pytest.mark.parametrize("url_name", ["login", "admin:login"])
def test_login_pages_send_the_enforced_policy(client, url_name):
    response = client.get(reverse(url_name))

    assert response.status_code == 200
    assert parse_policy(response["Content-Security-Policy"]) == EXPECTED_POLICY
    assert "Content-Security-Policy-Report-Only" not in response


def test_every_user_page_sends_the_enforced_policy(client, site):
    client.force_login(site.alice)

    for url in site.user_pages():
        response = client.get(url)
        assert response.status_code == 200, url
        assert parse_policy(response["Content-Security-Policy"]) == EXPECTED_POLICY, url


def test_every_admin_page_sends_the_enforced_policy(client, site):
    client.force_login(site.moderator)

    for url in site.admin_pages():
        response = client.get(url)
        assert response.status_code == 200, url
        assert parse_policy(response["Content-Security-Policy"]) == EXPECTED_POLICY, url


def test_redirects_and_errors_carry_the_policy_too(client, alice):
    client.force_login(alice)

    not_found = client.get(reverse("messaging:thread", args=[999_999]))
    redirect = Client().get(reverse("messaging:inbox"))

    assert not_found.status_code == 404
    assert redirect.status_code == 302
    for response in (not_found, redirect):
        assert parse_policy(response["Content-Security-Policy"]) == EXPECTED_POLICY


def test_report_only_mode_sends_the_same_policy_without_enforcing_it(client, settings):
    # What CSP_REPORT_ONLY=1 sets (its parsing: tests/test_settings.py).
    settings.SECURE_CSP_REPORT_ONLY = settings.SECURE_CSP
    settings.SECURE_CSP = {}

    response = client.get(reverse("admin:login"))

    assert "Content-Security-Policy" not in response
    assert parse_policy(response["Content-Security-Policy-Report-Only"]) == EXPECTED_POLICY


class ScriptsAndHandlers(HTMLParser):
    """Collects what the policy (no 'unsafe-inline' for scripts, no nonce) would block:
    inline <script> bodies, on* event attributes and javascript: URLs."""

    def __init__(self) -> None:
        super().__init__()
        self.blocked: list[str] = []
        self._in_inline_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "script":
            is_data = (attributes.get("type") or "").endswith("json")
            self._in_inline_script = not attributes.get("src") and not is_data
        for name, value in attrs:
            if name.startswith("on"):
                self.blocked.append(f"<{tag} {name}=...>")
            if name in {"href", "src", "action"} and (value or "").strip().startswith(
                "javascript:"
            ):
                self.blocked.append(f"<{tag} {name}={value}>")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_inline_script = False

    def handle_data(self, data: str) -> None:
        if self._in_inline_script and data.strip():
            self.blocked.append(f"inline <script>: {data.strip()[:60]}")


def scripts_the_policy_blocks(html: str) -> list[str]:
    parser = ScriptsAndHandlers()
    parser.feed(html)
    return parser.blocked


def test_no_page_has_a_script_the_policy_would_block(client, site):
    # Why the policy needs no nonce and no 'unsafe-inline' for scripts. A page that
    # gains an inline script must carry {% csp_nonce_attr %} and the policy CSP.NONCE.
    pages = [reverse("admin:login"), reverse("login")]
    client.force_login(site.moderator)
    blocked = {url: scripts_the_policy_blocks(client.get(url).text) for url in site.admin_pages()}
    client.force_login(site.alice)
    blocked |= {url: scripts_the_policy_blocks(client.get(url).text) for url in site.user_pages()}
    anonymous = Client()
    blocked |= {url: scripts_the_policy_blocks(anonymous.get(url).text) for url in pages}

    assert {url: found for url, found in blocked.items() if found} == {}


def test_the_blocked_script_finder_finds_what_it_looks_for():
    html = (
        '<script src="/static/a.js"></script><script type="application/json">{}</script>'
        '<script>alert(1)</script><form oninput="this.submit()"><a href="javascript:x()">'
    )

    assert scripts_the_policy_blocks(html) == [
        "inline <script>: alert(1)",
        "<form oninput=...>",
        "<a href=javascript:x()>",
    ]


# --- Login rate limiting (django-axes) --------------------------------------------------

LOGIN_PAGES = ["admin:login", "login"]


def attempt_login(client: Client, url_name: str, username: str, password: str, **extra: Any):
    return client.post(reverse(url_name), {"username": username, "password": password}, **extra)


@pytest.mark.parametrize("url_name", LOGIN_PAGES)
def test_the_fifth_failed_login_locks_the_account_out(client, moderator, url_name):
    statuses = [attempt_login(client, url_name, "moderator", "wrong").status_code for _ in range(5)]

    assert statuses == [200, 200, 200, 200, 429]


@pytest.mark.parametrize("url_name", LOGIN_PAGES)
def test_a_locked_out_login_is_refused_even_with_the_right_password(client, moderator, url_name):
    for _ in range(5):
        attempt_login(client, url_name, "moderator", "wrong")

    response = attempt_login(client, url_name, "moderator", PASSWORD)

    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize("url_name", LOGIN_PAGES)
def test_the_lockout_is_a_page_saying_why_not_an_error(client, moderator, url_name):
    for _ in range(4):
        attempt_login(client, url_name, "moderator", "wrong")

    response = attempt_login(client, url_name, "moderator", "wrong")

    assertContains(response, "Too many login attempts", status_code=429)
    assertContains(response, "after 5 failed logins", status_code=429)
    assert response["Content-Type"].startswith("text/html")
    assert parse_policy(response["Content-Security-Policy"]) == EXPECTED_POLICY


def test_failures_on_one_login_page_count_on_the_other(client, moderator):
    for _ in range(5):
        attempt_login(client, "login", "moderator", "wrong")

    assert attempt_login(client, "admin:login", "moderator", PASSWORD).status_code == 429


def test_the_lock_is_per_username_and_address(client, moderator, alice):
    for _ in range(5):
        attempt_login(client, "login", "moderator", "wrong")

    other_user_same_address = attempt_login(Client(), "login", "alice", PASSWORD)
    same_user_other_address = attempt_login(
        Client(), "admin:login", "moderator", PASSWORD, REMOTE_ADDR="192.0.2.7"
    )

    assert other_user_same_address.status_code == 302
    assert same_user_other_address.status_code == 302


def test_a_successful_login_resets_the_failures(client, moderator):
    for _ in range(4):
        attempt_login(client, "login", "moderator", "wrong")
    assert attempt_login(Client(), "login", "moderator", PASSWORD).status_code == 302

    statuses = [attempt_login(client, "login", "moderator", "wrong").status_code for _ in range(4)]

    assert statuses == [200, 200, 200, 200]


def test_the_lock_ends_after_the_cool_off(client, moderator):
    for _ in range(5):
        attempt_login(client, "login", "moderator", "wrong")

    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=16))

    assert attempt_login(client, "login", "moderator", PASSWORD).status_code == 302


def test_authenticate_without_the_request_is_refused(alice):
    # axes needs the request (its address) for every authenticate() call.
    with pytest.raises(AxesBackendRequestParameterRequired):
        authenticate(username="alice", password=PASSWORD)

    assert authenticate(RequestFactory().get("/"), username="alice", password=PASSWORD) == alice


# --- HSTS ------------------------------------------------------------------------------


def test_hsts_header_is_sent_over_https_when_configured(client, settings, db):
    settings.SECURE_HSTS_SECONDS = 31_536_000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    settings.SECURE_HSTS_PRELOAD = True

    response = client.get(reverse("login"), secure=True)

    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"


def test_hsts_header_is_not_sent_over_plain_http(client, settings, db):
    settings.SECURE_HSTS_SECONDS = 31_536_000

    response = client.get(reverse("login"))

    assert "Strict-Transport-Security" not in response


def test_no_hsts_header_without_secure_hsts_seconds(client, settings, db):
    settings.SECURE_HSTS_SECONDS = 0

    response = client.get(reverse("login"), secure=True)

    assert "Strict-Transport-Security" not in response


# --- Production: cookies, HSTS and the redirect to HTTPS, in a fresh process ----------------

# Serves a plain-http request, a page over https and a login, the way a production
# server would with PRODUCTION_ENV, and prints what the browser would receive.
PRODUCTION_REQUESTS = """
import json, os
import django
os.environ["DJANGO_SETTINGS_MODULE"] = "moderation_site.settings"
django.setup()
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client

call_command("migrate", verbosity=0)
# As the README's production section does: with DEBUG off, pages name their static
# files from collectstatic's manifest (STATIC_ROOT: a temporary folder).
call_command("collectstatic", "--noinput", verbosity=0)
get_user_model().objects.create_user("prod-user", password="a long enough passphrase 2026")
client = Client(HTTP_HOST="moderation.example")

def cookie(response, name):
    morsel = response.cookies[name]
    return {"secure": bool(morsel["secure"]), "httponly": bool(morsel["httponly"]),
            "samesite": morsel["samesite"]}

plain = client.get("/accounts/login/")
page = client.get("/accounts/login/", secure=True)
login = client.post(
    "/accounts/login/",
    {"username": "prod-user", "password": "a long enough passphrase 2026"},
    secure=True,
)
print(json.dumps({
    "plain": {"status": plain.status_code, "location": plain.get("Location")},
    "page": {"status": page.status_code, "headers": dict(page.headers)},
    "login": {"status": login.status_code},
    "cookies": {"csrftoken": cookie(page, "csrftoken"), "sessionid": cookie(login, "sessionid")},
}))
"""


@pytest.fixture(scope="module")
def production(tmp_path_factory) -> dict[str, Any]:
    folder = tmp_path_factory.mktemp("production")
    env = clean_env(
        **PRODUCTION_ENV,
        SECRET_KEY=production_secret_key(),
        DATABASE_URL=f"sqlite:///{folder / 'production.sqlite3'}",
        STATIC_ROOT=str(folder / "static"),
    )

    result = run_python("-c", PRODUCTION_REQUESTS, env=env)

    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_production_redirects_plain_http_to_https(production):
    assert production["plain"] == {
        "status": 301,
        "location": "https://moderation.example/accounts/login/",
    }


def test_production_session_cookie_is_secure_and_http_only(production):
    assert production["login"]["status"] == 302
    assert production["cookies"]["sessionid"] == {
        "secure": True,
        "httponly": True,
        "samesite": "Lax",
    }


def test_production_csrf_cookie_is_secure_and_readable_by_scripts(production):
    # Not HttpOnly on purpose: see CSRF_COOKIE_HTTPONLY in settings.py.
    assert production["cookies"]["csrftoken"] == {
        "secure": True,
        "httponly": False,
        "samesite": "Lax",
    }


def test_production_sends_hsts_and_the_enforced_policy(production):
    headers = production["page"]["headers"]

    assert production["page"]["status"] == 200
    assert headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert parse_policy(headers["Content-Security-Policy"]) == EXPECTED_POLICY
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"


# --- Password validators ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("password", "too common"),
        ("short1!", "too short"),
        ("48152342161", "entirely numeric"),
    ],
)
def test_weak_passwords_are_refused(password, reason):
    with pytest.raises(ValidationError, match=reason):
        validate_password(password)


def test_a_password_like_the_username_is_refused(alice):
    with pytest.raises(ValidationError, match="too similar to the username"):
        validate_password("alice2026", user=alice)


def test_a_long_uncommon_password_is_accepted(alice):
    validate_password("violet kettle drums at noon", user=alice)


def test_the_admin_refuses_to_create_a_user_with_a_weak_password(client, superuser):
    client.force_login(superuser)

    response = client.post(
        reverse("admin:auth_user_add"),
        {"username": "newcomer", "password1": "password", "password2": "password"},
    )

    assertContains(response, "This password is too common.")
    assert not get_user_model().objects.filter(username="newcomer").exists()


# --- In Chromium: every page works under the enforced policy --------------------------------
# `pytest -m e2e tests/test_security.py` (left out of `make test`, like the other
# browser tests). Needs Debian's chromium; never `playwright install`.


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    return {
        **browser_type_launch_args,
        "executable_path": str(CHROMIUM),
        "args": ["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
    }


@pytest.fixture(scope="session", autouse=True)
def _orm_beside_playwright(request: pytest.FixtureRequest) -> Iterator[None]:
    # Playwright's sync API runs an asyncio loop in this thread from its (session)
    # start to its end, and Django refuses ORM calls from a thread with a running
    # loop, the test database's setup and teardown included. The ORM calls here
    # are plain sync code between browser steps. Only when browser tests run.
    if not any(item.get_closest_marker("e2e") for item in request.session.items):
        yield
        return
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        yield


# Each violation, as the page's securitypolicyviolation event describes it.
RECORD_VIOLATIONS = """
window.cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  const where = `${event.sourceFile}:${event.lineNumber}`;
  window.cspViolations.push(`${event.effectiveDirective} blocked ${event.blockedURI} (${where})`);
});
"""

PAGE_STATE = """() => ({
  violations: window.cspViolations,
  alpine: typeof window.Alpine === "object",
  cloaked: document.querySelectorAll("[x-cloak]").length,
  charts: [...document.querySelectorAll("canvas.chart")].map(
    (canvas) => Boolean(window.Chart && window.Chart.getChart(canvas))
  ),
})"""


class Browsing:
    """A Chromium context on the live server that records CSP violations."""

    def __init__(self, browser: Any, base_url: str) -> None:
        self.context = browser.new_context(base_url=base_url, accept_downloads=True)
        self.context.add_init_script(RECORD_VIOLATIONS)
        self.console: list[str] = []
        self.context.on("console", self._record_console)
        self.context.on("weberror", lambda error: self.console.append(f"uncaught: {error.error}"))
        self.context.on("response", self._record_failed_response)
        self.page = self.context.new_page()
        self.violations: dict[str, list[str]] = {}

    def _record_console(self, message: Any) -> None:
        # A failed load is recorded, with its URL, by _record_failed_response.
        if message.text.startswith("Failed to load resource"):
            return
        if "Content Security Policy" in message.text or message.type == "error":
            self.console.append(f"{message.type}: {message.text}")

    def _record_failed_response(self, response: Any) -> None:
        # Chromium asks for /favicon.ico by itself; the project has none.
        if response.status >= 400 and not response.url.endswith("/favicon.ico"):
            self.console.append(f"HTTP {response.status}: {response.url}")

    def state(self) -> dict[str, Any]:
        state = self.page.evaluate(PAGE_STATE)
        if state["violations"]:
            self.violations[self.page.url] = state["violations"]
        return state

    def visit(self, url: str) -> dict[str, Any]:
        response = self.page.goto(url)
        assert response is not None and response.status == 200, url
        self.page.wait_for_load_state("networkidle")
        return self.state()

    def log_in(self, url: str, username: str) -> None:
        self.visit(url)
        self.page.fill("#id_username", username)
        self.page.fill("#id_password", PASSWORD)
        # A real click: without 'unsafe-eval' unfold's hidden modal stays over the page.
        self.page.locator("form button[type=submit]").last.click(timeout=10_000)
        self.page.wait_for_load_state("networkidle")


@pytest.fixture
def browsing(browser, live_server) -> Iterator[Browsing]:
    if not CHROMIUM.exists():
        pytest.skip("needs Debian's chromium at /usr/bin/chromium")
    browsing = Browsing(browser, live_server.url)
    yield browsing
    browsing.context.close()


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_every_admin_page_works_in_chromium_under_the_policy(browsing):
    # A superuser sees the same pages. Unlike the Moderators group (a data
    # migration), it survives the flush between transactional tests even when the
    # database was serialized outside Playwright's event loop, whose connection
    # objects differ (Django keeps them per async context).
    site = Site(moderator_factory=SuperuserFactory)
    page = browsing.page

    browsing.log_in(reverse("admin:login"), "moderator")
    assert page.url.endswith(reverse("admin:index"))
    states = {url: browsing.visit(url) for url in site.admin_pages()}
    # Alpine ran (x-cloak is removed once it has) and Chart.js drew the dashboard's
    # charts: messages, moderator actions, cases opened and closed.
    assert all(state["alpine"] and state["cloaked"] == 0 for state in states.values())
    assert states[reverse("admin:index")]["charts"] == [True, True, True]

    # The filter panel (Alpine) opens, the user autocomplete (select2) fetches.
    browsing.visit(reverse("admin:messaging_message_changelist"))
    page.locator(".filter-open-button").click()
    page.locator("#changelist-filter .select2-selection").first.click()
    page.locator(".select2-search__field").fill("bo")
    page.locator(".select2-results__option", has_text="bob").click()
    page.locator("#filter-form [type=submit]").last.click()
    page.wait_for_load_state("networkidle")
    assert f"sender__id__exact={site.bob.pk}" in page.url
    browsing.state()

    # The export form posts and downloads (form-action 'self').
    browsing.visit(reverse("admin:messaging_message_export"))
    with page.expect_download() as download:
        page.locator("form button[type=submit]").last.click()
    assert download.value.suggested_filename.endswith(".csv")

    assert browsing.violations == {}
    assert browsing.console == []


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_every_user_page_works_in_chromium_under_the_policy(browsing):
    site = Site(moderator_factory=SuperuserFactory)
    page = browsing.page

    browsing.log_in(reverse("login"), "alice")
    assert page.url.endswith(reverse("messaging:inbox"))
    for url in site.user_pages():
        browsing.visit(url)

    # Sending posts the form and lands on the new thread.
    browsing.visit(reverse("messaging:send"))
    page.fill("#id_receiver", "bob")
    page.fill("#id_content", "Sent under the policy")
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state("networkidle")
    assert re.search(r"/messages/\d+/", page.url)
    assert Message.objects.filter(content="Sent under the policy", sender=site.alice).exists()
    browsing.state()

    assert browsing.violations == {}
    assert browsing.console == []
