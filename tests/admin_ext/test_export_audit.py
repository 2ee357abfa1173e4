"""The audit entry of an export (admin_ext/exports/audit.py) and what an export
job keeps of its selection (exports/selection.py): ids, dates, numbers and
choice values stay; search words and text filters' values never do, streamed or
as a job, succeeded or failed."""

from __future__ import annotations

import json

import pytest
from django.http import QueryDict
from django.urls import reverse

from audit.models import AuditEntry
from audit.services import record_audit_entry
from exports.resources import AuditEntryResource, MessageResource
from exports.selection import SELECTION_FORGOTTEN
from jobs import runner as job_runner
from jobs import services as job_services
from jobs.models import Job
from tests.factories import MessageFactory

pytestmark = pytest.mark.django_db

WORDS = "zenobia-secret"  # what a moderator searched for: a person's name or words
RESOURCES = {"messaging.message": MessageResource, "audit.auditentry": AuditEntryResource}


def export(client, label: str, query: str):
    resource = RESOURCES[label]
    prefix = resource.__name__.lower()
    data = {"format": "0", "resource": "0"}
    data.update({f"{prefix}_{name}": "on" for name in resource().get_export_order()})
    url = reverse(f"admin:{label.replace('.', '_')}_export")
    return client.post(f"{url}?{query}", data)


def export_entry() -> AuditEntry:
    return AuditEntry.objects.get(action=AuditEntry.Action.EXPORT)


@pytest.fixture
def as_job(settings, tmp_path):
    settings.EXPORT_STREAM_LIMIT = 0  # every export is a job
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def messages_about_zenobia(alice, bob):
    return [
        MessageFactory(sender=alice, receiver=bob, content=f"{WORDS} {number}")
        for number in range(2)
    ]


def test_a_streamed_exports_entry_says_a_search_was_made_without_its_words(
    moderator_client, messages_about_zenobia
):
    export(moderator_client, "messaging.message", f"unread=1&q={WORDS}")

    details = export_entry().details
    assert details["filters"] == "unread=1"
    assert details["search"] is True
    assert WORDS not in json.dumps(details)


def test_the_value_of_the_audit_logs_target_filter_is_not_kept(moderator_client, moderator):
    record_audit_entry(
        action=AuditEntry.Action.ACCOUNT_DELETED, actor=moderator, target_username=WORDS
    )

    export(moderator_client, "audit.auditentry", f"target={WORDS}&action__exact=account_deleted")

    details = export_entry().details
    assert details["filters"] == "action__exact=account_deleted"
    assert details["text_filters"] == ["target"]
    assert details["search"] is False
    assert WORDS not in json.dumps(details)


def test_ids_dates_numbers_and_choices_are_kept(moderator_client, moderator, alice):
    query = (
        f"sender__id__exact={alice.pk}&edited__exact=1&unread=0"
        "&timestamp_from_0=2024-01-31&timestamp_from_1=10:00&o=-4"
    )

    export(moderator_client, "messaging.message", query)

    details = export_entry().details
    assert dict(QueryDict(details["filters"]).lists()) == dict(QueryDict(query).lists())
    assert details["search"] is False and details["text_filters"] == []


def test_a_value_that_is_not_one_of_the_fields_choices_is_not_kept(moderator_client):
    export(
        moderator_client,
        "audit.auditentry",
        f"action__exact=account_deleted&action__exact={WORDS}",
    )

    details = export_entry().details
    assert WORDS not in json.dumps(details)
    assert details["text_filters"] == ["action__exact"]


def test_a_jobs_entry_says_a_search_was_made_without_its_words(
    moderator_client, messages_about_zenobia, as_job
):
    export(moderator_client, "messaging.message", f"q={WORDS}")
    job = Job.objects.get()

    job_runner.run_job(job.pk)

    details = export_entry().details
    assert details["job_id"] == job.pk
    assert details["search"] is True
    assert WORDS not in json.dumps(details)


def test_a_failed_export_job_forgets_its_search_words(
    moderator_client, moderator, messages_about_zenobia, as_job
):
    export(moderator_client, "messaging.message", f"unread=1&q={WORDS}")
    job = Job.objects.get()
    assert WORDS in json.dumps(job.params)  # kept while it runs
    moderator.groups.clear()  # the job fails: no export permission any more

    job_runner.run_job(job.pk)

    job.refresh_from_db()
    assert job.status == Job.Status.FAILED
    assert WORDS not in json.dumps([job.params, job.error, job.result])


def test_a_retried_export_whose_search_was_forgotten_is_refused_with_a_message(
    moderator_client, moderator, messages_about_zenobia, as_job
):
    export(moderator_client, "messaging.message", f"q={WORDS}")
    job = Job.objects.get()
    Job.objects.filter(pk=job.pk).update(params={**job.params, "resource": "NoSuchResource"})
    job_runner.run_job(job.pk)  # fails, and forgets the search
    job.refresh_from_db()
    assert job.params[SELECTION_FORGOTTEN] is True

    job_services.retry_job(job, by=moderator)
    Job.objects.filter(pk=job.pk).update(params={**job.params, "resource": "MessageResource"})
    job_runner.run_job(job.pk)

    job.refresh_from_db()
    assert job.status == Job.Status.FAILED
    assert "export again from the list" in job.error
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.EXPORT).exists()


def test_a_retried_export_that_only_filtered_by_ids_exports_the_same_rows(
    moderator_client, moderator, alice, bob, as_job
):
    MessageFactory(sender=alice, receiver=bob)
    MessageFactory(sender=bob, receiver=alice)
    export(moderator_client, "messaging.message", f"sender__id__exact={alice.pk}")
    job = Job.objects.get()
    Job.objects.filter(pk=job.pk).update(params={**job.params, "resource": "NoSuchResource"})
    job_runner.run_job(job.pk)
    job.refresh_from_db()
    job_services.retry_job(job, by=moderator)
    Job.objects.filter(pk=job.pk).update(params={**job.params, "resource": "MessageResource"})

    job_runner.run_job(job.pk)

    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED, job.error
    assert job.result["rows"] == 1
    assert job.params["filters"] == [["sender__id__exact", str(alice.pk)]]
