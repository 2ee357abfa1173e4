"""People in the desk, in a real browser: a moderator works from a person's page
(their cases, reports, strikes; suspend and lift from there), and a suspended
person who logs in is told so, with the moderators' message. Screenshots:
docs/screenshots/person_page.png, suspended_login.png and, as a phone shows it,
suspended_login_390.png."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from playwright.sync_api import Page, expect

from audit.models import AuditEntry
from moderation.services import suspend_user
from tests.e2e.browser import (
    SCREENSHOTS_DIR,
    VIEWPORT,
    log_in_to_admin,
    log_in_to_user_pages,
    save_screenshot,
)
from tests.factories import (
    PASSWORD,
    MessageFactory,
    ModeratorFactory,
    UserFactory,
    reported_message,
)

# live_server serves another thread: the data must be committed (see
# test_moderator_flows.py for why the rollback is serialized).
pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PHONE = {"width": 390, "height": 844}
SUSPENSION_MESSAGE = "You sent the same advert to 40 people. Spam is not allowed here."


def log_out(page: Page) -> None:
    # Both logins share the session cookie; dropping it is logging out.
    page.context.clear_cookies()


def save_phone_screenshot(page: Page, name: str) -> None:
    """docs/screenshots/<name>.png at a phone's width, the whole page."""
    page.set_viewport_size(PHONE)
    height = page.evaluate("document.documentElement.scrollHeight")
    page.set_viewport_size({"width": PHONE["width"], "height": max(height, PHONE["height"])})
    page.screenshot(path=SCREENSHOTS_DIR / f"{name}.png", full_page=True, animations="disabled")
    page.set_viewport_size(VIEWPORT)


def try_to_log_in(page: Page, username: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def test_a_moderator_suspends_from_the_persons_page_and_the_person_is_told_at_login(
    page: Page,
) -> None:
    ModeratorFactory(username="moderator")
    jun, zeno, priya = (UserFactory(username=name) for name in ("jun", "zeno", "priya"))
    reported_message(author=zeno, reporter=jun, reason="spam", content="Cheap watches, click here")
    reported_message(author=zeno, reporter=priya, reason="spam", content="Cheap watches again")
    reported_message(author=priya, reporter=zeno, reason="other", content="Stop it")
    MessageFactory(sender=jun, receiver=zeno, content="Who are you?")

    # 1. The moderator opens zeno's page from the users list.
    log_in_to_admin(page, "moderator")
    page.goto("/admin/auth/user/?q=zeno")
    page.locator("#result_list").get_by_role("link", name="zeno").click()
    cases = page.get_by_role("region", name="Cases")
    expect(cases).to_contain_text(re.compile(r"Case #\d+"))
    expect(cases).to_contain_text("2 reports from 2 reporters")
    expect(page.get_by_role("region", name="Reports against them")).to_contain_text("jun")
    expect(page.get_by_role("region", name="Reports they filed")).to_contain_text("priya")
    expect(page.get_by_role("region", name="Recent messages")).to_contain_text("Who are you?")
    expect(page.get_by_text("Unselect this instead of deleting accounts")).to_have_count(0)

    # 2. Suspends the account with a message to zeno, from the page.
    actions = page.get_by_role("region", name="Act on this account")
    actions.get_by_text("Suspend the account").first.click()  # opens its <details>
    actions.get_by_label("Message to the person (optional)").fill(SUSPENSION_MESSAGE)
    actions.locator("#id_suspend-reason").fill("Repeated spam, two reporters")
    actions.get_by_role("button", name="Suspend the account").click()
    expect(page.get_by_text("zeno is suspended")).to_be_visible()
    state = page.get_by_role("region", name="Account state")
    expect(state).to_contain_text("Suspended")
    expect(state).to_contain_text("until a moderator lifts it")
    strikes = page.get_by_role("region", name="Moderation timeline")
    expect(strikes).to_contain_text("User suspended")
    expect(strikes).to_contain_text("User warned")
    expect(page.get_by_role("region", name="Strike history")).to_contain_text("2 active, 0 ended")
    save_screenshot(page, "person_page")

    # 3. The users list shows the state and filters by it.
    page.goto("/admin/auth/user/?suspended=yes")
    rows = page.locator("#result_list tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("zeno")
    expect(rows.first).to_contain_text("Suspended")
    log_out(page)

    # 4. Zeno logs in and is told the account is suspended, with the message.
    try_to_log_in(page, "zeno")
    expect(page.get_by_role("heading", name="Your account is suspended")).to_be_visible()
    expect(page.get_by_text(SUSPENSION_MESSAGE)).to_be_visible()
    expect(page.get_by_text("Repeated spam, two reporters")).to_have_count(0)
    save_screenshot(page, "suspended_login")
    save_phone_screenshot(page, "suspended_login_390")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= VIEWPORT["width"]
    # No session: the login created none.
    cookie_names = {cookie["name"] for cookie in page.context.cookies()}
    assert settings.SESSION_COOKIE_NAME not in cookie_names

    # 5. The moderator lifts the suspension from zeno's page; zeno logs in.
    log_in_to_admin(page, "moderator")
    zeno_page = f"/admin/auth/user/{zeno.pk}/change/"
    page.goto(zeno_page)
    actions = page.get_by_role("region", name="Act on this account")
    actions.locator("#id_lift-reason").fill("Promised to stop; first suspension")
    actions.get_by_role("button", name="Lift the suspension").click()
    expect(page.get_by_text("Suspension lifted: zeno can log in again.")).to_be_visible()
    expect(page.get_by_role("region", name="Account state")).to_contain_text("Active")
    log_out(page)

    log_in_to_user_pages(page, "zeno")
    assert get_user_model().objects.get(username="zeno").is_active
    assert AuditEntry.objects.filter(action=AuditEntry.Action.SUSPENSION_LIFTED).count() == 1


def test_a_suspended_person_reads_the_notice_on_a_phone(page: Page) -> None:
    page.set_viewport_size(PHONE)
    moderator = ModeratorFactory(username="moderator")
    zeno = UserFactory(username="zeno")
    suspend_user(zeno, moderator=moderator, reason="spam", warning=SUSPENSION_MESSAGE)

    try_to_log_in(page, "zeno")

    expect(page.get_by_role("heading", name="Your account is suspended")).to_be_visible()
    expect(page.get_by_text(SUSPENSION_MESSAGE)).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
