"""The account-deletion preview names each account's open case (the deletion
closes it), in one query for the whole selection."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from admin_ext.admin.account_deletion import DeletionSubject, preview_deletion
from moderation.models import Case
from moderation.reports import report_message
from tests.factories import MessageFactory, UserFactory

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:auth_user_changelist")


def action_post(*users) -> dict:
    return {
        "action": "delete_accounts",
        "_selected_action": [user.pk for user in users],
        "index": "0",
    }


def reported(author, reporter) -> Case:
    message = MessageFactory(sender=author, receiver=reporter, content="Go away")
    return report_message(reporter=reporter, message=message, reason="harassment").case


def test_the_preview_names_the_open_case_of_an_account(moderator_client, alice, bob):
    zeno, quiet = UserFactory(username="zeno"), UserFactory(username="quiet")
    case = reported(zeno, alice)

    response = moderator_client.post(CHANGELIST, action_post(zeno, quiet))

    rows = {row.subject.name: row for row in response.context["preview"].rows}
    assert [open_case.pk for open_case in rows["zeno"].open_cases] == [case.pk]
    assert rows["quiet"].open_cases == []
    assert f"open case #{case.pk}" in response.text
    assert reverse("admin:moderation_case_change", args=[case.pk]) in response.text
    assert "Deleting an account closes its open case" in response.text


def test_a_closed_case_is_not_named(moderator_client, alice):
    zeno = UserFactory(username="zeno")
    case = reported(zeno, alice)
    Case.objects.filter(pk=case.pk).update(status=Case.Status.CLOSED, closed_at=timezone.now())

    response = moderator_client.post(CHANGELIST, action_post(zeno))

    assert "open case #" not in response.text
    assert "closes its open case" not in response.text


def test_the_open_cases_cost_one_query_for_the_whole_selection(moderator, alice):
    people = [UserFactory() for _ in range(5)]
    for person in people[:3]:
        reported(person, alice)
    subjects = [DeletionSubject(user=person, name=person.username, url="#") for person in people]

    with CaptureQueriesContext(connection) as queries:
        preview = preview_deletion(actor=moderator, subjects=subjects)

    assert len(preview.with_open_case) == 3
    case_queries = [query for query in queries if "moderation_case" in query["sql"]]
    assert len(case_queries) == 1


def test_a_large_selection_counts_the_accounts_with_an_open_case(moderator_client, alice):
    people = [UserFactory(username=f"spammer{number:03}") for number in range(60)]
    reported(people[0], alice)
    reported(people[1], alice)

    response = moderator_client.post(CHANGELIST, action_post(*people))

    assert response.context["preview"].is_summary
    assert "2 of these accounts have an open case:" in response.text
    assert ">spammer000 (#" in response.text
