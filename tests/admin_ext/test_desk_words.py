"""The desk's own words on its lists, breadcrumbs, empty lists and buttons, where
Django's and unfold's stock ones showed through ("Select message to change",
"Authentication and Authorization", "This page yielded into no results", a
"Reset filters" button with no filter set, an export button labelled "Submit")."""

from __future__ import annotations

import pytest
from django.urls import reverse

from admin_ext.admin.filters import YES
from tests.factories import MessageFactory

pytestmark = pytest.mark.django_db

LIST_TITLES = {
    "admin:messaging_message_changelist": "Messages",
    "admin:messaging_messagehistory_changelist": "Edit history",
    "admin:auth_user_changelist": "Users",
    "admin:moderation_case_changelist": "Review queue",
    "admin:jobs_job_changelist": "Jobs",
    "admin:audit_auditentry_changelist": "Audit log",
}


@pytest.mark.parametrize(("url_name", "title"), LIST_TITLES.items())
def test_every_list_is_titled_by_its_name(moderator_client, url_name, title):
    response = moderator_client.get(reverse(url_name))

    assert response.status_code == 200
    assert response.context["title"] == title
    assert " to change" not in response.text
    assert " to view" not in response.text


def test_django_apps_are_named_in_the_desks_words(moderator_client):
    response = moderator_client.get(reverse("admin:auth_user_changelist"))

    assert "Authentication and Authorization" not in response.text
    assert "Accounts" in response.text
    cases = moderator_client.get(reverse("admin:moderation_case_changelist"))
    assert "Moderation cases" not in cases.text


def test_an_empty_list_without_filters_says_so_and_offers_no_reset(moderator_client):
    response = moderator_client.get(reverse("admin:jobs_job_changelist"))

    assert "No jobs yet" in response.text
    assert "This page yielded" not in response.text
    assert "Reset filters" not in response.text
    assert "Clear the" not in response.text


def test_an_empty_search_says_nothing_matches_and_offers_to_clear_it(moderator_client):
    response = moderator_client.get(reverse("admin:jobs_job_changelist"), {"q": "nothing-here"})

    assert "Nothing matches" in response.text
    assert "No jobs match the search “nothing-here”." in response.text
    assert "Clear the search" in response.text


def test_an_empty_filtered_list_offers_to_clear_the_filters(moderator_client):
    MessageFactory()  # no reply

    response = moderator_client.get(
        reverse("admin:messaging_message_changelist"), {"has_replies": YES}
    )

    assert "Nothing matches" in response.text
    assert "No messages match these filters." in response.text
    assert "Clear the filters" in response.text


def test_the_empty_review_queue_says_the_queue_is_empty(moderator_client):
    response = moderator_client.get(reverse("admin:moderation_case_changelist"))

    assert "The queue is empty" in response.text
    assert "Clear the" not in response.text


def test_the_export_button_says_what_it_does(moderator_client):
    MessageFactory()

    response = moderator_client.get(reverse("admin:messaging_message_export"))

    assert response.status_code == 200
    assert "Export CSV" in response.text
    assert "Columns to export" in response.text
    assert ">Submit<" not in response.text.replace(" ", "").replace("\n", "")
