"""The pages of the people whose messages are moderated, in a real browser, each
flow ending in a screenshot (docs/screenshots/<name>.png)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import Browser, Page, expect

from messaging.models import Message
from messaging.services import reply, send_message
from tests.e2e.browser import (
    TIMEOUT_MS,
    BrowserConsole,
    background_color,
    log_in_to_user_pages,
    margin_left,
    save_screenshot,
)
from tests.factories import PASSWORD, UserFactory

# live_server serves another thread: the data must be committed (see
# test_moderator_flows for the serialized rollback).
pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_user_reads_a_thread_replies_and_deletes_their_account(
    page: Page,
    browser: Browser,
    browser_context_args: dict[str, Any],
    browser_console: BrowserConsole,
) -> None:
    amara, ben = UserFactory(username="amara"), UserFactory(username="ben")
    question = send_message(sender=amara, receiver=ben, content="Did you get the concert tickets?")
    answer = reply(sender=ben, parent=question, content="Yes, two. Lunch on Friday to swap?")

    # Ben has the thread open already: his view of it is cached from now on.
    bens_context = browser.new_context(**browser_context_args)
    bens_context.set_default_timeout(TIMEOUT_MS)
    browser_console.watch(bens_context)
    bens_page = bens_context.new_page()
    log_in_to_user_pages(bens_page, "ben")
    bens_page.goto(f"/messages/{question.pk}/")
    expect(bens_page.locator(f"#m{answer.pk}")).to_contain_text("Lunch on Friday")

    # Amara reads Ben's answer from her inbox.
    log_in_to_user_pages(page, "amara")
    expect(page.get_by_text("1 unread message")).to_be_visible()
    page.get_by_role("link", name="Open conversation").click()
    expect(page).to_have_url(re.compile(rf"/messages/{answer.pk}/#m{answer.pk}$"))
    question_node, answer_node = page.locator(f"#m{question.pk}"), page.locator(f"#m{answer.pk}")
    expect(question_node).to_contain_text("Did you get the concert tickets?")
    expect(answer_node).to_contain_text("Yes, two. Lunch on Friday to swap?")
    assert margin_left(answer_node) > margin_left(question_node)  # the reply is indented
    # The linked message is highlighted (:target).
    assert background_color(answer_node) != background_color(question_node)

    # Her reply shows at once: the thread view she just had cached was dropped.
    answer_node.get_by_role("link", name="Reply").click()
    expect(page.get_by_role("heading", name="Reply")).to_be_visible()
    expect(page.locator("blockquote")).to_contain_text("Lunch on Friday")
    page.get_by_label("Content").fill("Friday works. Noon at the usual place?")
    page.get_by_role("button", name="Send").click()
    expect(page.get_by_text("Reply sent.")).to_be_visible()
    her_reply = Message.objects.get(content="Friday works. Noon at the usual place?")
    expect(page).to_have_url(re.compile(rf"/messages/{her_reply.pk}/#m{her_reply.pk}$"))
    reply_node = page.locator(f"#m{her_reply.pk}")
    expect(reply_node).to_contain_text("Friday works. Noon at the usual place?")
    assert margin_left(reply_node) > margin_left(answer_node)
    save_screenshot(page, "user_thread")

    # And so does Ben, whose cached view was dropped too.
    bens_page.reload()
    expect(bens_page.locator(f"#m{her_reply.pk}")).to_contain_text("Noon at the usual place?")

    # Amara deletes her account: a wrong password deletes nothing.
    page.get_by_role("link", name="Inbox").click()
    expect(page.get_by_text("Nothing unread.")).to_be_visible()
    page.get_by_role("link", name="Delete my account").click()
    expect(page.get_by_role("heading", name="Delete my account")).to_be_visible()
    save_screenshot(page, "user_delete_account")
    delete_button = page.get_by_role("button", name="Delete my account and my messages")
    page.get_by_label("Password").fill("not my password")
    delete_button.click()
    expect(page.get_by_text("That password is not correct.")).to_be_visible()
    assert get_user_model().objects.filter(pk=amara.pk).exists()

    page.get_by_label("Password").fill(PASSWORD)
    delete_button.click()
    expect(page).to_have_url(re.compile(r"/account/deleted/$"))
    expect(page.get_by_role("heading", name="Your account is deleted")).to_be_visible()
    expect(page.get_by_role("link", name="Log in")).to_be_visible()  # logged out
    save_screenshot(page, "user_account_deleted")
    assert not get_user_model().objects.filter(pk=amara.pk).exists()

    # Ben's thread keeps his answer, below a tombstone where her question was.
    bens_page.reload()
    expect(bens_page.locator(f"#m{question.pk}")).to_have_class(re.compile(r"\btombstone\b"))
    expect(bens_page.locator(f"#m{question.pk} .content")).to_have_text("Message deleted")
    expect(bens_page.locator(f"#m{answer.pk}")).to_contain_text("Lunch on Friday")
    expect(bens_page.locator(f"#m{her_reply.pk}")).to_have_count(0)
    bens_context.close()
