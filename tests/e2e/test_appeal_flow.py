"""A sanction's whole life in a real browser: a report, a week's suspension with a
warning, the suspended person's appeal from the login page, a question and its
answer, another moderator's approval, and the reporter's outcome. Each step ends
in a screenshot (docs/screenshots/<name>.png)."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import Page, expect

from audit.models import AuditEntry
from moderation.models import Appeal, Case, Sanction
from tests.e2e.browser import log_in_to_admin, log_in_to_user_pages, save_screenshot
from tests.factories import PASSWORD, MessageFactory, ModeratorFactory, UserFactory

# live_server serves another thread: the data must be committed (see
# test_moderator_flows.py for why the rollback is serialized).
pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

APPEAL = "It was a joke between old friends, taken out of context."
QUESTION = "Do you know the person you wrote to outside this service?"
ANSWER = "Yes, we went to school together. I have apologised to him."
REASON = "An old friend's joke, apologised for: the suspension is lifted."


def log_out(page: Page) -> None:
    page.context.clear_cookies()


def try_to_log_in(page: Page, username: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def test_a_suspension_is_appealed_from_the_login_page_and_overturned(page: Page) -> None:
    ModeratorFactory(username="mona")  # imposes the suspension
    ModeratorFactory(username="otto")  # decides the appeal
    jun, zeno = UserFactory(username="jun"), UserFactory(username="zeno")
    message = MessageFactory(sender=zeno, receiver=jun, content="Watch your back at school.")

    # 1. Jun reports the message.
    log_in_to_user_pages(page, "jun")
    page.goto(f"/messages/{message.pk}/report/")
    page.get_by_label("Reason").select_option(label="Threats or violence")
    page.get_by_role("button", name="Send report").click()
    expect(page.get_by_text("Thank you. A moderator will look at your report.")).to_be_visible()
    log_out(page)

    # 2. Mona suspends zeno for seven days from the case, with a warning.
    log_in_to_admin(page, "mona")
    page.goto(f"/admin/moderation/case/{Case.objects.get().pk}/change/")
    act = page.locator("form.caseadmin-act-form")
    act.get_by_label("Warn the user").check()
    act.get_by_label("Suspend the account").check()
    act.get_by_label("Reason").fill("Threat against another user")
    act.get_by_label("Warning to the user").fill("Threats are not allowed here.")
    act.get_by_label("For how long").select_option(label="7 days")
    act.get_by_role("button", name="Act on the case").click()
    acted = page.get_by_text(re.compile(r"^\s*Case #\d+ \(zeno\): warned"))
    expect(acted).to_contain_text("suspended until")
    suspension = Sanction.objects.get(kind=Sanction.Kind.SUSPEND)
    assert suspension.ends_at is not None and suspension.is_active
    log_out(page)

    # 3. Zeno is told at the login page until when, and appeals from there.
    try_to_log_in(page, "zeno")
    expect(page.get_by_role("heading", name="Your account is suspended")).to_be_visible()
    expect(page.get_by_role("region", name="Suspension")).to_contain_text("Until")
    appeal_section = page.get_by_role("region", name="Appeal")
    appeal_section.get_by_label("Your appeal").fill(APPEAL)
    save_screenshot(page, "suspended_appeal")
    appeal_section.get_by_role("button", name="Send appeal").click()
    expect(page.get_by_role("region", name="Your appeal")).to_contain_text(APPEAL)
    appeal = Appeal.objects.get()
    assert appeal.sanction == suspension and appeal.status == Appeal.Status.OPEN
    log_out(page)

    # 4. Mona imposed it: she may read the appeal, not decide it (four eyes).
    log_in_to_admin(page, "mona")
    page.goto(f"/admin/moderation/appeal/{appeal.pk}/change/")
    expect(page.get_by_role("region", name="Decision")).to_contain_text("four eyes")
    expect(page.get_by_role("button", name=re.compile("^Approve"))).to_have_count(0)
    log_out(page)

    # 5. Otto finds it in the Appeals queue and asks one question.
    log_in_to_admin(page, "otto")
    page.get_by_role("navigation").get_by_role("link", name=re.compile("Appeals$")).click()
    rows = page.locator("#result_list tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("zeno")
    save_screenshot(page, "appeals_queue")
    rows.first.get_by_role("link", name="zeno").click()
    expect(page.get_by_role("region", name="The appeal")).to_contain_text(APPEAL)
    page.get_by_label("Question for the person").fill(QUESTION)
    page.get_by_role("button", name="Ask the question").click()
    expect(page.get_by_role("region", name="The appeal")).to_contain_text(QUESTION)
    log_out(page)

    # 6. Zeno, still suspended, reads the question at the login page and answers.
    try_to_log_in(page, "zeno")
    your_appeal = page.get_by_role("region", name="Your appeal")
    expect(your_appeal).to_contain_text(QUESTION)
    your_appeal.get_by_label("Your answer").fill(ANSWER)
    your_appeal.get_by_role("button", name="Send answer").click()
    expect(page.get_by_role("region", name="Your appeal")).to_contain_text(ANSWER)
    log_out(page)

    # 7. Otto approves with a reason for zeno: the suspension is overturned.
    log_in_to_admin(page, "otto")
    page.goto(f"/admin/moderation/appeal/{appeal.pk}/change/")
    expect(page.get_by_role("region", name="The appeal")).to_contain_text(ANSWER)
    page.get_by_label("Reason, as the person will read it").fill(REASON)
    save_screenshot(page, "appeal_page")
    page.get_by_role("button", name="Approve: reverse the sanction").click()
    expect(page.get_by_role("region", name="Decision")).to_contain_text(REASON)
    suspension.refresh_from_db()
    assert suspension.ending == Sanction.Ending.OVERTURNED
    assert get_user_model().objects.get(username="zeno").is_active
    log_out(page)

    # 8. Zeno logs in again and reads the decision, without the moderator's name.
    log_in_to_user_pages(page, "zeno")
    notices = page.get_by_role("region", name="From the moderators")
    expect(notices).to_contain_text("was approved")
    expect(notices).to_contain_text(REASON)
    expect(notices).not_to_contain_text("otto")
    save_screenshot(page, "appeal_decided")
    log_out(page)

    # 9. Jun, the reporter, learnt when the case closed that action was taken:
    # nothing about the appeal, the sanction or who decided.
    log_in_to_user_pages(page, "jun")
    outcome = page.get_by_role("region", name="From the moderators")
    expect(outcome).to_contain_text("action was taken")
    expect(outcome).not_to_contain_text("appeal")
    expect(outcome).not_to_contain_text("zeno")

    steps = list(
        AuditEntry.objects.filter(target_username="zeno")
        .order_by("created_at", "id")
        .values_list("action", flat=True)
    )
    assert [step for step in steps if step.startswith("appeal_")] == [
        AuditEntry.Action.APPEAL_FILED,
        AuditEntry.Action.APPEAL_QUESTION_ASKED,
        AuditEntry.Action.APPEAL_ANSWERED,
        AuditEntry.Action.APPEAL_APPROVED,
    ]
    assert AuditEntry.Action.SUSPENSION_LIFTED in steps
