"""The admin's pages name a watched-word rule where a person's name would be
(moderation.automatic): who reported, who imposed, who acted in the audit log;
never "deleted account". The case evidence marks what the rule matched."""

from __future__ import annotations

import pytest
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains

from audit.models import AuditEntry
from moderation.models import Case, Sanction
from moderation.services import file_appeal
from tests.admin_ext.test_cases_admin import CASE_PAGE_QUERY_BUDGET, case_url
from tests.factories import reported_message
from tests.moderation.test_automatic_display import AUTOMATIC_NAME, hidden_by_rule

pytestmark = pytest.mark.django_db

DELETED = "deleted account"


def report_article(html: str, report) -> str:
    """The case page's part about ``report``: its article in the evidence."""
    start = html.index(f'id="report-{report.pk}"')
    return html[start : html.index("</article>", start)]


@pytest.fixture
def report(alice, bob):
    return hidden_by_rule(alice, bob, content="you <b>badword</b>")


def test_the_case_page_labels_the_rules_report_and_marks_its_match(moderator_client, report):
    response = moderator_client.get(case_url(report.case))

    assertContains(response, AUTOMATIC_NAME)
    assertContains(response, "automatic")
    # The match marked, the rest of the message escaped around it.
    assertContains(response, "you &lt;b&gt;<mark>badword</mark>&lt;/b&gt;", count=1)
    assertNotContains(response, "new reporter")
    assertNotContains(response, DELETED)


def test_a_persons_report_beside_it_keeps_its_reliability(moderator_client, report, carol):
    carols = reported_message(author=report.case.reported_user, reporter=carol)

    html = moderator_client.get(case_url(Case.objects.get())).content.decode()

    rules, persons = report_article(html, report), report_article(html, carols)
    assert AUTOMATIC_NAME in rules and "new reporter" not in rules and "<mark>" in rules
    assert "carol" in persons and "new reporter" in persons and "<mark>" not in persons


def test_the_case_page_with_a_rules_report_keeps_its_query_budget(
    moderator_client, report, carol, django_assert_max_num_queries
):
    reported_message(author=report.case.reported_user, reporter=carol)
    url = case_url(report.case)
    moderator_client.get(url)  # warm the caches

    with django_assert_max_num_queries(CASE_PAGE_QUERY_BUDGET):
        moderator_client.get(url)


def test_the_person_page_names_the_rule_as_reporter_and_imposer(moderator_client, report, alice):
    response = moderator_client.get(reverse("admin:auth_user_change", args=[alice.pk]))

    assertContains(response, f"by {AUTOMATIC_NAME}", count=2)  # the report, the hide
    assertNotContains(response, DELETED)


def test_the_message_page_names_the_rule_as_reporter(moderator_client, report):
    response = moderator_client.get(
        reverse("admin:messaging_message_change", args=[report.reported_message_id])
    )

    assertContains(response, f"by {AUTOMATIC_NAME}")
    assertNotContains(response, DELETED)


def test_the_sanction_page_names_the_rule_as_imposer(moderator_client, report):
    sanction = Sanction.objects.get()

    response = moderator_client.get(reverse("admin:moderation_sanction_change", args=[sanction.pk]))

    assertContains(response, AUTOMATIC_NAME)
    assertNotContains(response, DELETED)


def test_the_appeals_queue_and_page_name_the_rule(moderator_client, report, alice):
    appeal = file_appeal(Sanction.objects.get(), user=alice, text="It was a joke.")

    queue = moderator_client.get(reverse("admin:moderation_appeal_changelist"))
    page = moderator_client.get(reverse("admin:moderation_appeal_change", args=[appeal.pk]))

    assertContains(queue, AUTOMATIC_NAME)
    assertContains(page, f"imposed by {AUTOMATIC_NAME}")
    assertContains(page, "<mark>badword</mark>")  # the case's evidence, as on its page
    for response in (queue, page):
        assertNotContains(response, DELETED)


def test_the_audit_log_names_the_rule_as_actor(moderator_client, report):
    entry = AuditEntry.objects.get(action=AuditEntry.Action.MESSAGE_HIDDEN)

    listed = moderator_client.get(reverse("admin:audit_auditentry_changelist"))
    page = moderator_client.get(reverse("admin:audit_auditentry_change", args=[entry.pk]))

    for response in (listed, page):
        assertContains(response, AUTOMATIC_NAME)
        assertNotContains(response, ">system<")
