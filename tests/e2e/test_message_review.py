"""Acting on a message from its page, in a real browser: the moderator reads the
conversation first, hides the message with a reason, opens a case for it, and
hides two more from the messages list in bulk. Screenshots:
docs/screenshots/message_review.png (the page after acting) and
message_bulk_hide.png (the list's intermediate page)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from audit.models import AuditEntry
from messaging.models import Message
from messaging.services import edit_message, reply, send_message
from moderation.models import Case
from tests.e2e.browser import log_in_to_admin, save_screenshot
from tests.factories import ModeratorFactory, UserFactory

# live_server serves another thread: the data must be committed (see
# test_moderator_flows.py for why the rollback is serialized).
pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

MESSAGE_LIST = "/admin/messaging/message/"


def test_moderator_hides_a_message_and_opens_a_case_from_its_page(page: Page) -> None:
    ModeratorFactory(username="moderator")
    jun, zeno = UserFactory(username="jun"), UserFactory(username="zeno")
    root = send_message(sender=jun, receiver=zeno, content="Are you coming on Friday?")
    threat = reply(sender=zeno, parent=root, content="Answer me or I'll post your address.")
    edit_message(threat, editor=zeno, content="Answer me or I will post your address.")
    reply(sender=jun, parent=threat, content="Please stop.")

    log_in_to_admin(page, "moderator")
    page.goto(f"/admin/messaging/message/{threat.pk}/change/")

    # The conversation comes first, with this message highlighted; the actions beside it.
    conversation = page.get_by_role("region", name="Conversation")
    expect(conversation).to_contain_text("3 messages in this thread")
    expect(conversation.locator("li.msgadmin-node-current")).to_have_id(f"thread-node-{threat.pk}")
    actions = page.locator("#message-actions")
    expect(actions).to_be_visible()
    assert (
        conversation.bounding_box()["y"] < page.get_by_text("Edit the content").bounding_box()["y"]
    )
    expect(page.get_by_label("Content")).to_be_hidden()  # editing is folded away

    # A reason is required: the form says so and nothing happens.
    actions.locator("summary", has_text="Hide").click()
    hide_form = actions.locator('details[data-action="hide"] form')
    hide_form.get_by_role("button", name="Hide").click()
    expect(page.locator('details[data-action="hide"]')).to_contain_text("This field is required")
    assert not Message.objects.get(pk=threat.pk).is_hidden

    hide_form = page.locator('details[data-action="hide"] form')
    hide_form.get_by_label("Reason").fill("A threat to publish his address.")
    hide_form.get_by_role("button", name="Hide").click()
    expect(page.get_by_text(f"Message #{threat.pk} is hidden from its readers.")).to_be_visible()
    expect(page.locator('details[data-action="restore"]')).to_be_visible()

    # Open a case for it: the author had none.
    page.locator("#message-actions summary", has_text="Open a case").click()
    case_form = page.locator('details[data-action="open_case"] form')
    case_form.get_by_label("What it is").select_option(label="Threats or violence")
    case_form.get_by_label("Reason").fill("Threatens to post jun's address.")
    case_form.get_by_role("button", name="Open a case").click()
    case = Case.objects.get()
    expect(page.get_by_text(f"Message #{threat.pk} is in case #{case.pk}")).to_be_visible()
    reports = page.get_by_role("region", name="Reports and cases")
    expect(reports).to_contain_text("Threats or violence, by moderator")
    expect(page.locator("#message-actions")).to_contain_text(f"Add to case #{case.pk}")
    assert list(
        AuditEntry.objects.order_by("id").values_list("action", "actor_username", "reason")
    )[-2:] == [
        (AuditEntry.Action.MESSAGE_HIDDEN, "moderator", "A threat to publish his address."),
        (AuditEntry.Action.MESSAGE_FLAGGED, "moderator", "Threatens to post jun's address."),
    ]
    page.evaluate("window.scrollTo(0, 0)")
    save_screenshot(page, "message_review")


def test_moderator_hides_two_messages_from_the_list(page: Page) -> None:
    ModeratorFactory(username="moderator")
    uma, zeno = UserFactory(username="uma"), UserFactory(username="zeno")
    spam = [
        send_message(sender=zeno, receiver=uma, content=f"Cheap watches, offer {number}")
        for number in (1, 2)
    ]
    send_message(sender=uma, receiver=zeno, content="Stop sending me this.")

    log_in_to_admin(page, "moderator")
    page.goto(MESSAGE_LIST)
    for message in spam:
        page.get_by_label(f"Select message #{message.pk}").check()
    page.locator("select[name=action]").select_option("hide_messages")
    page.get_by_role("button", name=re.compile("Run")).click()

    expect(page.get_by_text("Hide 2 messages with the same reason.")).to_be_visible()
    page.get_by_label("Reason").fill("Spam wave.")
    save_screenshot(page, "message_bulk_hide")
    page.get_by_role("button", name="Hide 2 messages").click()

    for message in spam:
        expect(
            page.get_by_text(f"Message #{message.pk} is hidden from its readers.")
        ).to_be_visible()
    assert Message.objects.filter(is_hidden=True).count() == 2
