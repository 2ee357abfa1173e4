"""What the browser flows share: the window size, the console watch, the
screenshots and the two login forms."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import struct
import time
from dataclasses import dataclass, field
from pathlib import Path

from playwright.sync_api import BrowserContext, ConsoleMessage, Locator, Page, WebError, expect

from tests.factories import PASSWORD

SCREENSHOTS_DIR = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
# Pages are laid out, and screenshots taken, at this width.
VIEWPORT = {"width": 1400, "height": 900}
# Playwright waits 5 s per expect() and 30 s per action by default: 10 s for both
# leaves room for a loaded CI machine and fails a broken flow sooner.
TIMEOUT_MS = 10_000


@dataclass
class BrowserConsole:
    """What the pages logged. Errors (a failed script, a refused resource, an
    enforced Content-Security-Policy) fail the test; reports of a report-only
    policy are only collected (they break nothing yet, but must be seen before the
    policy is enforced)."""

    errors: list[str] = field(default_factory=list)
    csp_reports: list[str] = field(default_factory=list)
    # Chromium asks for /favicon.ico by itself on every site that declares no icon
    # (neither the admin nor the user pages do): a 404 logged, nothing broken.
    expected: list[re.Pattern[str]] = field(
        default_factory=lambda: [re.compile(r"status of 404 .*/favicon\.ico\)$")]
    )

    def expect_error(self, pattern: str) -> None:
        """Accept a console error the test provokes on purpose (a 403 page, say)."""
        self.expected.append(re.compile(pattern))

    def watch(self, context: BrowserContext) -> None:
        context.on("console", self._record_message)
        context.on("weberror", self._record_page_error)

    def unexpected_errors(self) -> list[str]:
        return [
            error
            for error in self.errors
            if not any(pattern.search(error) for pattern in self.expected)
        ]

    def _record_message(self, message: ConsoleMessage) -> None:
        text = f"{message.type}: {message.text} ({message.location.get('url', '')})"
        if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text:
            # Chromium says "The policy is report-only" (older ones: "[Report Only]").
            if re.search(r"report.only", message.text, re.IGNORECASE):
                self.csp_reports.append(text)
            else:
                self.errors.append(text)
        elif message.type == "error":
            self.errors.append(text)

    def _record_page_error(self, error: WebError) -> None:
        self.errors.append(f"uncaught: {error.error}")


def save_screenshot(page: Page, name: str) -> Path:
    """docs/screenshots/<name>.png: the whole page, VIEWPORT's width."""
    SCREENSHOTS_DIR.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS_DIR / f"{name}.png"
    # unfold's sidebar is one window high and its save bar sticks to the window's
    # bottom: a full-page capture of a long page would show them cut off halfway
    # down. The window is made as tall as the page for the capture, then put back.
    height = page.evaluate("document.documentElement.scrollHeight")
    page.set_viewport_size({"width": VIEWPORT["width"], "height": max(height, VIEWPORT["height"])})
    page.screenshot(path=path, full_page=True, animations="disabled")
    page.set_viewport_size(VIEWPORT)
    return path


def margin_left(locator: Locator) -> float:
    """The element's computed left margin in pixels (how the trees indent)."""
    return locator.evaluate("node => parseFloat(getComputedStyle(node).marginLeft)")


def background_color(locator: Locator) -> str:
    return locator.evaluate("node => getComputedStyle(node).backgroundColor")


def log_in_to_admin(page: Page, username: str, *, password: str = PASSWORD) -> None:
    """Through the real form at /admin/login/, landing on the dashboard."""
    page.goto("/admin/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name=re.compile("log in", re.IGNORECASE)).click()
    expect(page).to_have_url(re.compile(r"/admin/$"))


def log_in_to_user_pages(page: Page, username: str, *, password: str = PASSWORD) -> None:
    """Through the real form at /accounts/login/, landing on the inbox."""
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Inbox")).to_be_visible()


def totp_code(secret: str, *, at: float | None = None) -> str:
    """The code an authenticator app shows for this base32 secret (RFC 6238: SHA-1,
    30-second steps, 6 digits), as of ``at`` (now by default)."""
    secret = re.sub(r"\s", "", secret).upper()
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    step = int((time.time() if at is None else at) // 30)
    digest = hmac.new(key, struct.pack(">Q", step), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    number = int.from_bytes(digest[offset : offset + 4], "big") & 0x7FFFFFFF
    return f"{number % 1_000_000:06d}"


# The step of the code each secret was last set up with (next_totp_code).
_SETUP_STEPS: dict[str, int] = {}


def next_totp_code(secret: str) -> str:
    """A code the server accepts after the setup's: the current step's once the
    clock has left the setup's step, else the next step's. django-otp accepts a
    step either side of its own, which it shifts by the drift it saw at setup: a
    setup whose code crossed a step boundary leaves a drift of -1, and then only
    the current step or earlier ones pass, never the next."""
    now = time.time()
    if int(now // 30) > _SETUP_STEPS[secret]:
        return totp_code(secret, at=now)
    return totp_code(secret, at=now + 30)


def set_up_second_factor(page: Page) -> str:
    """On the setup page a first admin login leads staff to: confirm the shown
    secret with a code, see the recovery codes, continue. Returns the secret."""
    secret = re.sub(r"\s", "", page.locator("#totp-secret").inner_text())
    now = time.time()
    _SETUP_STEPS[secret] = int(now // 30)
    page.locator("input[name=token]").fill(totp_code(secret, at=now))
    page.locator("form:has(input[name=token]) [type=submit]").click()
    expect(page.locator("#recovery-codes li").first).to_be_visible()
    page.get_by_role("link", name="Continue").or_(
        page.get_by_role("button", name="Continue")
    ).click()
    return secret
