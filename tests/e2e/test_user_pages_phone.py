"""The user pages on a phone (390 px wide) and in dark mode: people report abuse,
and appeal what the moderators decided, from their phones. Screenshots:
docs/screenshots/user_thread_phone.png, user_thread_dark.png and
user_appeal_phone.png, at the phone's width."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from messaging.services import edit_message, reply, send_message
from moderation.services import hide_message
from tests.e2e.browser import SCREENSHOTS_DIR, TIMEOUT_MS, BrowserConsole, log_in_to_user_pages
from tests.factories import ModeratorFactory, UserFactory

# live_server serves another thread: the data must be committed (see
# test_moderator_flows for the serialized rollback).
pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PHONE = {"width": 390, "height": 844}
TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC$")


def phone_page(
    browser: Browser,
    browser_context_args: dict[str, Any],
    browser_console: BrowserConsole,
    *,
    color_scheme: str,
) -> Page:
    context = browser.new_context(
        **{**browser_context_args, "viewport": PHONE, "color_scheme": color_scheme}
    )
    context.set_default_timeout(TIMEOUT_MS)
    browser_console.watch(context)
    return context.new_page()


def save_phone_screenshot(page: Page, name: str) -> None:
    # The user pages stick nothing to the window: a full-page capture is the page.
    SCREENSHOTS_DIR.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS_DIR / f"{name}.png", full_page=True, animations="disabled")


def assert_fits_the_phone(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    for name in ("Inbox", "Conversations", "New message"):
        link = page.get_by_role("navigation", name="Main").get_by_role("link", name=name)
        expect(link).to_be_in_viewport(ratio=1)
    expect(page.get_by_role("button", name="Log out")).to_be_in_viewport(ratio=1)


def test_the_receiver_reads_earlier_versions_and_reports_from_a_phone(
    browser: Browser, browser_context_args: dict[str, Any], browser_console: BrowserConsole
) -> None:
    amara, ben = UserFactory(username="amara"), UserFactory(username="ben")
    question = send_message(sender=ben, receiver=amara, content="Are you coming on Saturday?")
    answer = reply(sender=amara, parent=question, content="You will regret asking me that.")
    edit_message(answer, editor=amara, content="Maybe, I will tell you tomorrow.")
    edit_message(answer, editor=amara, content="Yes, see you on Saturday!")
    deep = question
    for depth in range(1, 14):  # deeper than the indentation goes
        deep = reply(
            sender=ben if depth % 2 else amara, parent=deep, content=f"Reply at depth {depth}"
        )

    page = phone_page(browser, browser_context_args, browser_console, color_scheme="light")
    log_in_to_user_pages(page, "ben")
    assert_fits_the_phone(page)

    page.goto(f"/messages/{question.pk}/")
    assert_fits_the_phone(page)
    node = page.locator(f"#m{answer.pk}")
    expect(node.locator(".content").first).to_have_text("Yes, see you on Saturday!")
    versions = node.get_by_text("Earlier versions (2)")
    expect(versions).to_be_visible()
    versions.click()
    earlier = node.locator(".versions li .content")
    expect(earlier).to_have_text(
        ["Maybe, I will tell you tomorrow.", "You will regret asking me that."]
    )
    # One format everywhere, with its zone.
    expect(node.locator(".versions time").first).to_have_text(TIMESTAMP)
    # The deepest reply keeps most of the width, inside the window.
    deepest = page.locator(f"#m{deep.pk}").bounding_box()
    assert deepest["x"] + deepest["width"] <= PHONE["width"]
    assert deepest["width"] > PHONE["width"] * 0.6

    # Ben reports the first text; back on the thread, the message says so.
    node.get_by_role("link", name="Report").click()
    page.get_by_label("Reason").select_option(label="Harassment or bullying")
    page.get_by_role("button", name="Send report").click()
    page.goto(f"/messages/{question.pk}/")
    expect(node.get_by_text("Reported", exact=True)).to_be_visible()
    expect(node.get_by_role("link", name="Report")).to_have_count(0)
    node.get_by_text("Earlier versions (2)").click()
    assert_fits_the_phone(page)
    save_phone_screenshot(page, "user_thread_phone")
    page.context.close()

    dark = phone_page(browser, browser_context_args, browser_console, color_scheme="dark")
    log_in_to_user_pages(dark, "amara")
    dark.goto(f"/messages/{question.pk}/")
    # Amara sent it: she sees her own earlier versions too.
    expect(dark.locator(f"#m{answer.pk}").get_by_text("Earlier versions (2)")).to_be_visible()
    background = dark.evaluate("getComputedStyle(document.body).backgroundColor")
    ink = dark.evaluate("getComputedStyle(document.body).color")
    assert background == "rgb(17, 24, 39)", background  # the dark page
    assert ink == "rgb(229, 231, 235)", ink
    assert_fits_the_phone(dark)
    dark.locator(f"#m{answer.pk}").get_by_text("Earlier versions (2)").click()
    save_phone_screenshot(dark, "user_thread_dark")
    dark.context.close()


def test_a_hidden_message_is_appealed_from_a_phone(
    browser: Browser, browser_context_args: dict[str, Any], browser_console: BrowserConsole
) -> None:
    carla, dev = UserFactory(username="carla"), UserFactory(username="dev")
    moderator = ModeratorFactory(username="mona")
    hidden = send_message(sender=carla, receiver=dev, content="You people are all the same.")
    hide_message(hidden, moderator=moderator, reason="Generalising insult")

    page = phone_page(browser, browser_context_args, browser_console, color_scheme="light")
    log_in_to_user_pages(page, "carla")
    page.goto(f"/messages/{hidden.pk}/")
    node = page.locator(f"#m{hidden.pk}")
    expect(node).to_contain_text("Hidden by the moderators")
    node.get_by_role("link", name="Appeal").click()
    expect(page.get_by_role("heading", name="Appeal a decision")).to_be_visible()
    # Her own words, quoted so she knows what she appeals.
    expect(page.get_by_text("You people are all the same.")).to_be_visible()
    assert_fits_the_phone(page)
    page.get_by_label("Your appeal").fill("I was quoting him back to himself.")
    page.get_by_role("button", name="Send appeal").click()
    expect(page.get_by_text("I was quoting him back to himself.")).to_be_visible()
    assert_fits_the_phone(page)
    save_phone_screenshot(page, "user_appeal_phone")

    page.goto("/account/decisions/")
    expect(page.get_by_role("heading", name="Decisions about your account")).to_be_visible()
    expect(page.get_by_role("link", name="Appeal", exact=True)).to_have_count(0)  # only once
    expect(page.get_by_role("link", name="See your appeal")).to_be_visible()
    assert_fits_the_phone(page)
    page.context.close()
