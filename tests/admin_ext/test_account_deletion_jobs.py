"""Large account deletions from the admin run as a background job
(admin_ext.admin.actions): the confirmation returns at once, the worker deletes,
and the preview of a large selection costs a constant number of queries."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.contrib.messages import get_messages
from django.urls import reverse

from admin_ext.admin.account_deletion import DELETE_SYNC_LIMIT, PREVIEW_DETAIL_LIMIT
from admin_ext.admin.actions import ACCOUNT_IDS_FIELD
from audit.models import AuditEntry
from jobs.models import Job
from messaging.models import Message
from messaging.services import preview_account_deletions, preview_account_deletions_together
from tests.factories import (
    MessageFactory,
    ModeratorFactory,
    ReplyFactory,
    UserFactory,
    bulk_messages,
)
from tests.jobs.worker import run_db_worker

pytestmark = pytest.mark.django_db
User = get_user_model()

CHANGELIST = reverse("admin:auth_user_changelist")


def action_post(users) -> dict:
    return {
        "action": "delete_accounts",
        "_selected_action": [user.pk for user in users],
        "index": "0",
    }


def confirm_post(users, reason: str = "spam wave") -> dict:
    return {
        "action": "delete_accounts",
        "_selected_action": [user.pk for user in users],
        "post": "yes",
        "reason": reason,
    }


def message_texts(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def people(count: int, *, with_messages_to=None) -> list:
    """``count`` ordinary accounts; with_messages_to: each sends that person two
    messages, one answered (so one becomes a tombstone when deleted)."""
    accounts = [UserFactory(username=f"spammer{number:04}") for number in range(count)]
    if with_messages_to is not None:
        rows = []
        for account in accounts:
            rows += [
                {"sender": account, "receiver": with_messages_to, "content": "buy now"},
                {"sender": account, "receiver": with_messages_to, "content": "cheap"},
            ]
        bulk_messages(rows)
        for account in accounts:
            ReplyFactory(parent_message=Message.objects.filter(sender=account).first())
    return accounts


def test_the_sync_limit_is_what_the_tests_assume():
    assert DELETE_SYNC_LIMIT == 10
    assert PREVIEW_DETAIL_LIMIT == 50


# --- confirmation --------------------------------------------------------------------------


def test_confirming_twelve_accounts_starts_a_job_and_deletes_nothing_in_the_request(
    moderator_client, moderator, bob, django_capture_on_commit_callbacks
):
    accounts = people(12, with_messages_to=bob)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = moderator_client.post(CHANGELIST, confirm_post(accounts))

    job = Job.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("admin:jobs_job_change", args=[job.pk])
    assert len(callbacks) == 1  # the task is queued once the request's writes commit
    # Nothing deleted yet: the worker has not run.
    assert User.objects.filter(username__startswith="spammer").count() == 12
    assert Message.objects.filter(content="buy now").count() == 12
    assert not AuditEntry.objects.exists()
    assert job.kind == Job.Kind.ACCOUNT_DELETION
    assert job.status == Job.Status.QUEUED
    assert job.started_by == moderator
    assert job.params == {"user_ids": sorted(a.pk for a in accounts), "reason": "spam wave"}
    assert (job.progress_done, job.progress_total) == (0, 12)
    assert job.description == "Delete 12 accounts"
    assert any(f"job #{job.pk}" in text for text in message_texts(response))


def test_the_job_page_follows_the_deletion_until_it_is_done(
    moderator_client, moderator, bob, django_capture_on_commit_callbacks
):
    accounts = people(12, with_messages_to=bob)
    with django_capture_on_commit_callbacks(execute=True):
        response = moderator_client.post(CHANGELIST, confirm_post(accounts))

    queued_page = moderator_client.get(response.url)
    run_db_worker()
    done_page = moderator_client.get(response.url)

    assert "Queued — waiting for a worker" in queued_page.text
    assert '<meta http-equiv="refresh"' in queued_page.text
    assert "Succeeded" in done_page.text
    assert '<meta http-equiv="refresh"' not in done_page.text
    assert "deleted: 12" in done_page.text
    assert not User.objects.filter(username__startswith="spammer").exists()
    entries = AuditEntry.objects.filter(action=AuditEntry.Action.ACCOUNT_DELETED)
    assert entries.count() == 12
    assert sorted(entries.values_list("target_user_id", flat=True)) == sorted(
        account.pk for account in accounts
    )
    assert {(entry.actor, entry.reason) for entry in entries} == {(moderator, "spam wave")}
    assert all(
        (entry.details["messages_deleted"], entry.details["messages_tombstoned"]) == (1, 1)
        for entry in entries
    )
    assert Message.objects.filter(is_tombstone=True).count() == 12


def test_a_refused_account_in_a_large_selection_is_counted_not_deleted(
    moderator_client, moderator, superuser, django_capture_on_commit_callbacks
):
    accounts = people(11)
    with django_capture_on_commit_callbacks(execute=True):
        moderator_client.post(CHANGELIST, confirm_post([*accounts, superuser, moderator]))

    run_db_worker()

    job = Job.objects.get()
    assert job.result == {"deleted": 11, "refused": 2, "already_deleted": 0, "failed": 0}
    assert User.objects.filter(pk__in=[superuser.pk, moderator.pk]).count() == 2


def test_five_accounts_are_still_deleted_in_the_request(moderator_client, bob):
    accounts = people(5, with_messages_to=bob)

    response = moderator_client.post(CHANGELIST, confirm_post(accounts))

    assert response.status_code == 302
    assert response.url == CHANGELIST
    assert not Job.objects.exists()
    assert not User.objects.filter(username__startswith="spammer").exists()
    assert AuditEntry.objects.filter(action=AuditEntry.Action.ACCOUNT_DELETED).count() == 5
    assert any(text.startswith("Deleted 5 accounts") for text in message_texts(response))


def test_exactly_the_limit_is_still_deleted_in_the_request(moderator_client):
    accounts = people(DELETE_SYNC_LIMIT)

    moderator_client.post(CHANGELIST, confirm_post(accounts))

    assert not Job.objects.exists()
    assert not User.objects.filter(username__startswith="spammer").exists()


def test_without_the_job_permission_the_moderator_goes_back_to_the_list(
    client, django_capture_on_commit_callbacks
):
    # A moderator whose group lost the jobs page (the role allows it; Django's
    # permission decides).
    deleter = ModeratorFactory(username="deleter")
    Group.objects.get(name="Moderators").permissions.remove(
        Permission.objects.get(content_type__app_label="jobs", codename="view_job")
    )
    client.force_login(deleter)

    response = client.post(CHANGELIST, confirm_post(people(11)))

    assert response.status_code == 302
    assert response.url == CHANGELIST
    assert Job.objects.get().started_by == deleter


# --- preview of a large selection ----------------------------------------------------------


@pytest.mark.parametrize("count", [60, 200])
def test_the_preview_of_many_accounts_costs_a_constant_number_of_queries(
    moderator_client, bob, count, django_assert_max_num_queries
):
    accounts = people(count, with_messages_to=bob)

    # Session, user, permissions (2), the changelist's counts (2), the accounts,
    # then six COUNTs for all of them together, their open cases, and the role
    # policy's group look-up: 15 whatever their number.
    with django_assert_max_num_queries(15):
        response = moderator_client.post(CHANGELIST, action_post(accounts))

    assert response.status_code == 200
    assert response.context["preview"].is_summary
    assert response.context["deletable_count"] == count
    assert "counted when deleted" in response.text
    assert f"All {count} accounts, in total" in response.text
    assert "spammer0000" in response.text


def test_the_preview_totals_match_the_per_account_counts(moderator_client, bob, alice):
    accounts = people(60, with_messages_to=bob)
    MessageFactory(sender=alice, receiver=accounts[0])  # received, stays with alice
    previews = preview_account_deletions(accounts)

    response = moderator_client.post(CHANGELIST, action_post(accounts))

    def total(name: str) -> int:
        return sum(getattr(preview, name) for preview in previews.values())

    headers = [header for header, _help in response.context["preview"].columns]
    totals = dict(zip(headers, response.context["preview"].totals, strict=True))
    assert totals == {
        "Messages sent": total("messages_deleted") + total("messages_tombstoned"),
        "Kept as tombstones": None,
        "Empty tombstones removed": None,
        "Notifications deleted": total("notifications_deleted"),
        "Edit history rows deleted": total("history_rows_deleted"),
        "Stored versions deleted": total("versions_deleted"),
        "Received messages kept": total("received_messages_kept"),
    }
    assert (totals["Messages sent"], totals["Received messages kept"]) == (120, 61)


def test_totals_count_messages_between_the_selected_accounts_once():
    first, second = people(2)
    MessageFactory(sender=first, receiver=second)

    counts = preview_account_deletions_together([first.pk, second.pk])

    assert counts["messages_deleted"] == 1
    assert counts["notifications_deleted"] == 1
    assert counts["received_messages_kept"] == 0  # it goes with its sender


def test_the_preview_of_many_accounts_names_the_refused_ones(
    moderator_client, moderator, superuser
):
    accounts = people(60)

    response = moderator_client.post(CHANGELIST, action_post([*accounts, moderator, superuser]))

    refusals = {
        row.subject.user.username: row.refusal for row in response.context["preview"].shown_rows
    }
    assert refusals == {
        "moderator": "you cannot delete your own account here",
        "root": "only a superuser can delete a superuser account",
    }
    assert response.context["deletable_count"] == 60


def test_the_preview_form_sends_all_ids_in_one_field(
    moderator_client, settings, django_capture_on_commit_callbacks
):
    # A field per id would pass Django's limit on the number of POST fields.
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 50
    accounts = people(120)
    page = moderator_client.post(
        CHANGELIST,
        {
            "action": "delete_accounts",
            "index": "0",
            "select_across": "1",
            "_selected_action": [accounts[0].pk],
        },
    ).text
    form_action = re.search(r'<form method="post" action="([^"]+)"', page).group(1)
    hidden = re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', page)

    with django_capture_on_commit_callbacks(execute=True):
        response = moderator_client.post(form_action, {**dict(hidden), "reason": "spam"})

    assert len(hidden) < 10
    assert ACCOUNT_IDS_FIELD in dict(hidden)
    assert response.status_code == 302
    job = Job.objects.get()
    # select_across took every user: the moderator's own account is refused by the job.
    assert set(job.params["user_ids"]) >= {account.pk for account in accounts}
    assert User.objects.filter(username__startswith="spammer").count() == 120
