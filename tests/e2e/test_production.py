"""Production mode in Chromium: the desk started as the README's "Production" section
starts it (migrate, collectstatic, then gunicorn with DEBUG off serving TLS itself,
nothing in front), a moderator logging in to the admin with the second factor, and
unfold's scripts running under the enforced Content-Security-Policy.

The server is a real gunicorn on 127.0.0.1 with a self-signed certificate made here
(Chromium is told to accept it), a temporary SQLite database and a temporary
STATIC_ROOT, so the run leaves nothing in the work tree.
"""

from __future__ import annotations

import re
import socket
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.e2e.browser import (
    TIMEOUT_MS,
    VIEWPORT,
    BrowserConsole,
    next_totp_code,
    set_up_second_factor,
)
from tests.factories import PASSWORD
from tests.test_settings import PRODUCTION_ENV, PROJECT_DIR, clean_env, production_secret_key

pytestmark = pytest.mark.e2e

GUNICORN = Path(sys.executable).with_name("gunicorn")
HOST = "127.0.0.1"
STARTUP_SECONDS = 60
HASHED_ALPINE = re.compile(r"/static/unfold/js/alpine/alpine\.[0-9a-f]{12}\.js$")

# One per test: each enrols its own second factor. Made in the server's own database,
# like the README's `createsuperuser`, but moderators: staff in the Moderators group
# (the group comes from a migration).
MODERATORS = ("first-login", "later-login", "alpine", "user-menu")
CREATE_MODERATORS = """
import os, sys
import django
os.environ["DJANGO_SETTINGS_MODULE"] = "moderation_site.settings"
django.setup()
from tests.factories import ModeratorFactory
for username in sys.argv[1:]:
    ModeratorFactory(username=username)
"""

# Each violation, as the page's securitypolicyviolation event describes it.
RECORD_VIOLATIONS = """
window.cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  const where = `${event.sourceFile}:${event.lineNumber}`;
  window.cspViolations.push(`${event.effectiveDirective} blocked ${event.blockedURI} (${where})`);
});
"""


@dataclass
class ProductionServer:
    url: str
    env: dict[str, str]

    def manage(self, *args: str) -> str:
        return run(sys.executable, "manage.py", *args, env=self.env)

    def create_moderators(self, *usernames: str) -> None:
        run(sys.executable, "-c", CREATE_MODERATORS, *usernames, env=self.env)


def run(*command: str, env: dict[str, str] | None = None) -> str:
    result = subprocess.run(  # noqa: S603 - our interpreter and openssl, fixed arguments
        command, cwd=PROJECT_DIR, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, f"{command}:\n{result.stdout}{result.stderr}"
    return result.stdout


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def self_signed_certificate(folder: Path) -> tuple[Path, Path]:
    certificate, key = folder / "certificate.pem", folder / "key.pem"
    run(
        "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
        "-subj", f"/CN={HOST}", "-addext", f"subjectAltName=IP:{HOST}",
        "-keyout", str(key), "-out", str(certificate),
    )  # fmt: skip
    return certificate, key


def wait_until_serving(server: subprocess.Popen, url: str, certificate: Path, log: Path) -> None:
    trusting_it = ssl.create_default_context(cafile=certificate)
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"gunicorn exited with {server.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(f"{url}/admin/login/", context=trusting_it, timeout=5):  # noqa: S310
                return
        except (OSError, urllib.error.URLError):
            time.sleep(0.25)
    pytest.fail(f"gunicorn did not answer within {STARTUP_SECONDS} s:\n{log.read_text()}")


@pytest.fixture(scope="module")
def production_server(tmp_path_factory) -> Iterator[ProductionServer]:
    folder = tmp_path_factory.mktemp("production-server")
    port = free_port()
    server = ProductionServer(
        url=f"https://{HOST}:{port}",
        # The variables check --deploy is clean with (tests/test_settings.py), on this
        # host. STAFF_2FA, SECURE_SSL_REDIRECT and the Secure cookies keep their
        # production defaults (on): gunicorn serves TLS itself.
        env=clean_env(
            **{**PRODUCTION_ENV, "ALLOWED_HOSTS": HOST},
            SECRET_KEY=production_secret_key(),
            DATABASE_URL=f"sqlite:///{folder / 'production.sqlite3'}",
            STATIC_ROOT=str(folder / "static"),
            LOG_LEVEL="WARNING",
        ),
    )
    server.manage("migrate", "--noinput")
    server.manage("collectstatic", "--noinput")
    server.manage("check", "--deploy", "--fail-level", "WARNING")
    server.create_moderators(*MODERATORS)
    certificate, key = self_signed_certificate(folder)
    log = folder / "gunicorn.log"
    command = [
        str(GUNICORN), "moderation_site.wsgi",
        "--bind", f"{HOST}:{port}", "--workers", "2",
        "--certfile", str(certificate), "--keyfile", str(key),
        "--error-logfile", str(log),
    ]  # fmt: skip
    process = subprocess.Popen(command, cwd=PROJECT_DIR, env=server.env)  # noqa: S603
    try:
        wait_until_serving(process, server.url, certificate, log)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
def production_context(browser: Browser, production_server) -> Iterator[BrowserContext]:
    context = browser.new_context(
        base_url=production_server.url,
        ignore_https_errors=True,  # the self-signed certificate above
        viewport=VIEWPORT,
        locale="en-US",
        timezone_id="UTC",
    )
    context.set_default_timeout(TIMEOUT_MS)
    context.add_init_script(RECORD_VIOLATIONS)
    yield context
    context.close()


@pytest.fixture
def browser_console(production_context: BrowserContext) -> Iterator[BrowserConsole]:
    # Replaces conftest's, which watches pytest-playwright's context on the live
    # server (and would start it, with a test database, for nothing): these pages
    # come from gunicorn. The same rule: any console error fails the test.
    console = BrowserConsole()
    console.watch(production_context)
    yield console
    unexpected = console.unexpected_errors() + console.csp_reports
    assert not unexpected, "The browser console reported errors:\n" + "\n".join(unexpected)


@pytest.fixture
def page(production_context: BrowserContext) -> Page:
    return production_context.new_page()


def log_in_with_password(page: Page, username: str) -> None:
    page.goto("/admin/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    # A real click: without unfold's scripts its hidden modal would swallow it.
    page.get_by_role("button", name=re.compile("log in", re.IGNORECASE)).click()


def csp_violations(page: Page) -> list[str]:
    return page.evaluate("window.cspViolations")


def test_a_first_login_enrols_the_second_factor_and_lands_on_the_dashboard(page, production_server):
    log_in_with_password(page, "first-login")
    expect(page.locator("#totp-secret")).to_be_visible()
    set_up_second_factor(page)

    expect(page).to_have_url(re.compile(r"/admin/$"))
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    assert csp_violations(page) == []


def test_a_later_login_asks_for_the_code_on_the_verify_page(page, production_server):
    log_in_with_password(page, "later-login")
    secret = set_up_second_factor(page)
    page.context.clear_cookies()

    log_in_with_password(page, "later-login")
    expect(page.locator("#totp-secret")).to_have_count(0)
    # Not the setup's code: it is spent (next_totp_code says which one passes).
    page.locator("input[name=token]").fill(next_totp_code(secret))
    page.locator("form:has(input[name=token]) [type=submit]").click()

    expect(page).to_have_url(re.compile(r"/admin/$"))


def test_unfold_loads_alpine_from_its_hashed_static_file_and_runs_it(page, production_server):
    log_in_with_password(page, "alpine")
    set_up_second_factor(page)
    expect(page).to_have_url(re.compile(r"/admin/$"))

    response = page.reload()

    assert response is not None and "content-security-policy" in response.headers  # enforced
    scripts = page.eval_on_selector_all("script[src]", "nodes => nodes.map(node => node.src)")
    assert [src for src in scripts if HASHED_ALPINE.search(src)], scripts
    assert page.evaluate("typeof window.Alpine") == "object"
    # Alpine removes x-cloak from every element it has set up.
    expect(page.locator("[x-cloak]")).to_have_count(0)
    assert csp_violations(page) == []


def test_the_sidebar_user_menu_opens_under_the_enforced_policy(page, production_server):
    log_in_with_password(page, "user-menu")
    set_up_second_factor(page)
    log_out = page.locator("#logout-form button")
    expect(log_out).to_be_hidden()

    page.get_by_text("user-menu", exact=True).click()

    expect(log_out).to_be_visible()
    assert csp_violations(page) == []


def test_static_files_are_served_hashed_compressed_and_cacheable(page, production_server):
    page.goto("/admin/login/")
    alpine = next(
        src
        for src in page.eval_on_selector_all("script[src]", "nodes => nodes.map(n => n.src)")
        if HASHED_ALPINE.search(src)
    )

    response = page.request.get(alpine, headers={"Accept-Encoding": "gzip"})

    assert response.status == 200
    assert response.headers["content-encoding"] == "gzip"
    assert response.headers["cache-control"] == "max-age=315360000, public, immutable"
