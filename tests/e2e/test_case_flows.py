"""A report's whole life in a real browser: a user reports a threat, a moderator
works the case from the review queue, and both people see the outcome. Each step
ends in a screenshot (docs/screenshots/<name>.png)."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import Page, expect

from audit.models import AuditEntry
from messaging.models import Message, Notification
from messaging.services import reply
from moderation.models import Case, Report
from tests.e2e.browser import log_in_to_admin, log_in_to_user_pages, save_screenshot
from tests.factories import MessageFactory, ModeratorFactory, UserFactory

# live_server serves another thread: the data must be committed (see
# test_moderator_flows.py for why the rollback is serialized).
pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

THREAT = "I know where you live <script>alert('x')</script>"


def log_out(page: Page) -> None:
    # Both logins share the session cookie; dropping it is logging out.
    page.context.clear_cookies()


def test_a_reported_threat_is_hidden_and_its_author_warned(page: Page) -> None:
    ModeratorFactory(username="moderator")
    jun, zeno = UserFactory(username="jun"), UserFactory(username="zeno")
    threat = MessageFactory(sender=zeno, receiver=jun, content=THREAT)
    reply(sender=jun, parent=threat, content="Please leave me alone.")

    # 1. Jun reports the message from the conversation.
    log_in_to_user_pages(page, "jun")
    page.goto(f"/messages/{threat.pk}/")
    page.locator(f"#m{threat.pk}").get_by_role("link", name="Report").click()
    expect(page.get_by_role("heading", name="Report a message")).to_be_visible()
    page.get_by_label("Reason").select_option(label="Threats or violence")
    page.get_by_label("Comment").fill("He says he will come to my house.")
    save_screenshot(page, "report_message")
    page.get_by_role("button", name="Send report").click()
    expect(page.get_by_text("Thank you. A moderator will look at your report.")).to_be_visible()
    # A second report of the same message is refused politely, before any form.
    page.goto(f"/messages/{threat.pk}/report/")
    expect(page.get_by_text("You have already reported this message.")).to_be_visible()
    assert Report.objects.get().reported_message_id == threat.pk
    log_out(page)

    # 2. The moderator finds zeno's case at the top of the review queue.
    log_in_to_admin(page, "moderator")
    page.get_by_role("navigation").get_by_role("link", name=re.compile("Review queue$")).click()
    rows = page.locator("#result_list tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("zeno")
    save_screenshot(page, "review_queue")
    rows.first.get_by_role("link", name="zeno").click()

    # 3. The case page shows the evidence, escaped, with the reporter's comment.
    evidence = page.get_by_text(THREAT).first
    expect(evidence).to_be_visible()  # shown as text: the script tag never ran
    expect(page.get_by_text("He says he will come to my house.")).to_be_visible()

    # 4. Hide and warn at once, with one reason.
    act = page.locator("form.caseadmin-act-form")
    act.get_by_label("Hide the reported messages").check()
    act.get_by_label("Warn the user").check()
    act.get_by_label("Reason").fill("Threat against another user")
    act.get_by_label("Warning to the user").fill("Threats are not allowed. Next time: suspension.")
    act.get_by_role("button", name="Act on the case").click()
    expect(page.get_by_text(re.compile("1 message hidden"))).to_be_visible()
    timeline = page.get_by_role("region", name="Timeline")
    expect(timeline.get_by_text("Message hidden")).to_be_visible()
    expect(timeline.get_by_text("User warned")).to_be_visible()
    save_screenshot(page, "case_page")
    case = Case.objects.get()
    assert (case.status, case.resolution) == ("closed", "actioned")
    assert set(AuditEntry.objects.filter(case_id=case.pk).values_list("action", flat=True)) == {
        AuditEntry.Action.MESSAGE_HIDDEN,
        AuditEntry.Action.USER_WARNED,
    }
    log_out(page)

    # 5. Jun no longer sees the threat; zeno reads the warning and acknowledges it.
    log_in_to_user_pages(page, "jun")
    page.goto(f"/messages/{threat.pk}/")
    expect(page.locator(f"#m{threat.pk}")).to_contain_text("Hidden by the moderators")
    expect(page.get_by_text("I know where you live")).to_have_count(0)
    log_out(page)

    log_in_to_user_pages(page, "zeno")
    warnings = page.get_by_role("region", name="From the moderators")
    expect(warnings).to_contain_text("Threats are not allowed. Next time: suspension.")
    save_screenshot(page, "user_warning")
    warnings.get_by_role("button", name="Got it").click()
    expect(page.get_by_role("region", name="From the moderators")).to_have_count(0)
    assert Notification.objects.get(kind=Notification.Kind.WARNING).is_seen
    assert Message.objects.get(pk=threat.pk).is_hidden
    assert get_user_model().objects.get(username="zeno").is_active
