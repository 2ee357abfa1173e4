"""The audit trail names things, in a real browser: a moderator hides three
reported messages from their case, finds one entry per message in the audit log,
each naming its own message, and follows the link to the message. Screenshots:
docs/screenshots/audit_log.png and audit_entry.png."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from audit.models import AuditEntry
from messaging.models import Message
from messaging.services import delete_account
from moderation.models import Case
from tests.e2e.browser import log_in_to_admin, save_screenshot
from tests.factories import (
    MessageFactory,
    ModeratorFactory,
    SuperuserFactory,
    UserFactory,
    reported_message,
)

# live_server serves another thread: the data must be committed (see
# test_moderator_flows.py for why the rollback is serialized).
pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_each_hide_names_its_message_and_links_to_it(page: Page) -> None:
    ModeratorFactory(username="moderator")
    zeno = UserFactory(username="zeno")
    reports = [
        reported_message(author=zeno, content=f"Insult number {number}") for number in (1, 2, 3)
    ]
    case = Case.objects.get()
    hidden_ids = sorted(report.reported_message_id for report in reports)

    # 1. Hide the three reported messages from the case, with one reason.
    log_in_to_admin(page, "moderator")
    page.goto(f"/admin/moderation/case/{case.pk}/change/")
    act = page.locator("form.caseadmin-act-form")
    act.get_by_label("Hide the reported messages").check()
    act.get_by_label("Reason").fill("Insults, reported three times")
    act.get_by_role("button", name="Act on the case").click()
    expect(page.get_by_text(re.compile("3 messages hidden"))).to_be_visible()

    # 2. The audit log: a total, and three rows each naming its own message.
    page.get_by_role("navigation").get_by_role("link", name=re.compile("Audit log$")).click()
    expect(page.locator("#audit-total")).to_have_text("3 entries")
    rows = page.locator("#result_list tbody tr")
    expect(rows).to_have_count(3)
    for message_id in hidden_ids:
        row = rows.filter(has=page.get_by_role("link", name=f"Message #{message_id}", exact=True))
        expect(row).to_have_count(1)
        expect(row).to_contain_text("(hidden)")
        expect(row).to_contain_text("Message hidden")
        expect(row.get_by_role("link", name="zeno")).to_be_visible()
        expect(row.get_by_role("link", name=f"#{case.pk}", exact=True)).to_be_visible()
    save_screenshot(page, "audit_log")

    # 3. An entry's page says the same in words, and its message link opens the message.
    first = hidden_ids[0]
    entry = AuditEntry.objects.get(details__message_id=first)
    page.goto(f"/admin/audit/auditentry/{entry.pk}/change/")
    expect(page.get_by_text("Insults, reported three times")).to_be_visible()
    expect(page.get_by_text("Stored details")).to_have_count(0)  # superusers only
    save_screenshot(page, "audit_entry")
    page.get_by_role("link", name=f"Message #{first}", exact=True).click()
    expect(page).to_have_url(re.compile(rf"/admin/messaging/message/{first}/change/$"))
    expect(page.get_by_text("Insult number").first).to_be_visible()
    assert Message.objects.filter(pk__in=hidden_ids, is_hidden=True).count() == 3


def test_a_deletions_page_shows_its_counts_and_a_superuser_its_stored_json(page: Page) -> None:
    SuperuserFactory(username="root")
    moderator = ModeratorFactory(username="moderator")
    zeno = UserFactory(username="zeno")
    MessageFactory.create_batch(3, sender=zeno, receiver=UserFactory(username="amara"))
    delete_account(zeno, actor=moderator, reason="Spam campaign")
    entry = AuditEntry.objects.get(action=AuditEntry.Action.ACCOUNT_DELETED)

    log_in_to_admin(page, "root")
    page.goto(f"/admin/audit/auditentry/{entry.pk}/change/")
    counts = page.get_by_role("table", name="Counts")
    expect(counts.get_by_role("row", name=re.compile("Messages deleted"))).to_contain_text("3")
    expect(page.get_by_text(f"Account zeno #{entry.target_user_id}")).to_be_visible()
    stored = page.get_by_text("Stored details")
    expect(stored).to_be_visible()
    stored.click()  # unfolds the JSON
    expect(page.get_by_text('"messages_deleted"').first).to_be_visible()
    save_screenshot(page, "audit_entry_deletion")
