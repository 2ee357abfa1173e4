"""The job page (admin_ext.admin.jobs): list, detail, retry, download, read-only."""

from __future__ import annotations

import os
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from audit.models import AuditEntry
from jobs.export_files import stored_export_file
from jobs.models import STALLED_AFTER, Job
from messaging.models import Message
from messaging.services import delete_accounts
from tests.factories import ModeratorFactory, SuperuserFactory, UserFactory
from tests.jobs.factories import JobFactory

pytestmark = pytest.mark.django_db
User = get_user_model()

CHANGELIST = reverse("admin:jobs_job_changelist")
REFRESH = '<meta http-equiv="refresh" content="2">'
CSV = b"id,sender\r\n1,alice\r\n"


def change_url(job: Job) -> str:
    return reverse("admin:jobs_job_change", args=[job.pk])


def retry_url(job: Job) -> str:
    return reverse("admin:jobs_job_retry", args=[job.pk])


def download_url(job: Job) -> str:
    return reverse("admin:jobs_job_download", args=[job.pk])


def message_texts(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def stalled_heartbeat():
    return timezone.now() - STALLED_AFTER - timedelta(minutes=1)


def grant_export_permission(user, model=Message) -> None:
    # The export engineer's migration creates it; made here if it is not there yet.
    content_type = ContentType.objects.get_for_model(model)
    permission, _ = Permission.objects.get_or_create(
        content_type=content_type,
        codename=f"export_{content_type.model}",
        defaults={"name": f"Can export {content_type.model}"},
    )
    user.user_permissions.add(permission)


@pytest.fixture
def other_moderator_client(moderator):
    client = Client()
    client.force_login(ModeratorFactory(username="other-moderator"))
    return client


@pytest.fixture
def failed_job(moderator):
    return JobFactory(
        started_by=moderator,
        status=Job.Status.FAILED,
        attempts=1,
        error="RuntimeError: connection lost",
        progress_done=4,
        progress_total=12,
        started_at=timezone.now(),
        finished_at=timezone.now(),
    )


# --- list ---------------------------------------------------------------------------------


def test_the_list_shows_jobs_newest_first_with_status_and_progress(moderator_client, moderator):
    older = JobFactory(started_by=moderator, description="Delete 12 accounts")
    newer = JobFactory(
        started_by=moderator,
        status=Job.Status.RUNNING,
        description="Export messages",
        kind=Job.Kind.EXPORT,
        progress_done=6,
        progress_total=12,
        started_at=timezone.now(),
        heartbeat_at=timezone.now(),
    )

    response = moderator_client.get(CHANGELIST)

    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [newer, older]
    text = response.text
    assert "Export messages" in text and "Delete 12 accounts" in text
    assert "6 / 12 · 50%" in text
    assert 'style="width: 50%"' in text  # unfold's progress bar
    assert "Running" in text and "Queued" in text
    assert "CSV export" in text and "Account deletion" in text


def test_the_list_costs_the_same_queries_whatever_its_size(
    moderator_client, moderator, django_assert_max_num_queries
):
    JobFactory.create_batch(50, started_by=moderator, status=Job.Status.SUCCEEDED)

    with django_assert_max_num_queries(12):
        response = moderator_client.get(CHANGELIST)

    assert len(response.context["cl"].result_list) == 50


def test_the_started_by_filter_shows_my_jobs_or_everyones(moderator_client, moderator):
    mine = JobFactory(started_by=moderator)
    theirs = JobFactory(started_by=UserFactory(username="someone"))

    everyone = moderator_client.get(CHANGELIST)
    only_mine = moderator_client.get(CHANGELIST, {"started_by": "me"})

    assert set(everyone.context["cl"].result_list) == {mine, theirs}
    assert list(only_mine.context["cl"].result_list) == [mine]


def test_the_status_filter_finds_stalled_jobs(moderator_client, moderator, failed_job):
    stalled = JobFactory(
        started_by=moderator,
        status=Job.Status.RUNNING,
        started_at=stalled_heartbeat(),
        heartbeat_at=stalled_heartbeat(),
    )
    JobFactory(
        started_by=moderator,
        status=Job.Status.RUNNING,
        started_at=timezone.now(),
        heartbeat_at=timezone.now(),
    )

    response = moderator_client.get(CHANGELIST, {"status": "stalled"})
    failed = moderator_client.get(CHANGELIST, {"status": "failed"})

    assert list(response.context["cl"].result_list) == [stalled]
    assert "Stalled" in response.text
    assert list(failed.context["cl"].result_list) == [failed_job]


def test_the_kind_filter(moderator_client, moderator):
    export = JobFactory(started_by=moderator, kind=Job.Kind.EXPORT)
    JobFactory(started_by=moderator, kind=Job.Kind.ACCOUNT_DELETION)

    response = moderator_client.get(CHANGELIST, {"kind__exact": Job.Kind.EXPORT})

    assert list(response.context["cl"].result_list) == [export]


# --- detail -------------------------------------------------------------------------------


def test_a_queued_job_page_says_so_and_refreshes_itself(moderator_client, moderator):
    job = JobFactory(started_by=moderator, description="Delete 12 accounts", progress_total=12)

    response = moderator_client.get(change_url(job))

    assert response.status_code == 200
    assert REFRESH in response.text
    assert "Queued — waiting for a worker" in response.text
    assert "<code>manage.py db_worker</code>" in response.text
    assert "0 / 12 · 0%" in response.text


def test_a_running_job_page_shows_its_progress_and_refreshes_itself(moderator_client, moderator):
    job = JobFactory(
        started_by=moderator,
        status=Job.Status.RUNNING,
        progress_done=3,
        progress_total=12,
        attempts=1,
        started_at=timezone.now(),
        heartbeat_at=timezone.now(),
    )

    response = moderator_client.get(change_url(job))

    assert REFRESH in response.text
    assert "3 / 12 · 25%" in response.text
    assert 'style="width: 25%"' in response.text
    assert "Queued — waiting" not in response.text
    assert f'action="{retry_url(job)}"' not in response.text  # running: nothing to retry


def test_a_finished_job_page_shows_the_result_and_does_not_refresh(moderator_client, moderator):
    job = JobFactory(
        started_by=moderator,
        status=Job.Status.SUCCEEDED,
        progress_done=12,
        progress_total=12,
        attempts=1,
        result={"deleted": 11, "refused": 1, "already_deleted": 0, "failed": 0},
        started_at=timezone.now(),
        finished_at=timezone.now(),
    )

    response = moderator_client.get(change_url(job))

    assert response.status_code == 200
    assert REFRESH not in response.text
    assert "Succeeded" in response.text
    assert "12 / 12 · 100%" in response.text
    assert "deleted: 11, refused: 1, already deleted: 0, failed: 0" in response.text
    assert "moderator" in response.text  # who started it


def test_a_failed_job_page_shows_the_error_and_a_retry_form(moderator_client, failed_job):
    response = moderator_client.get(change_url(failed_job))

    assert REFRESH not in response.text
    assert "Failed:" in response.text
    assert "RuntimeError: connection lost" in response.text
    assert f'<form method="post" action="{retry_url(failed_job)}"' in response.text
    assert 'name="csrfmiddlewaretoken"' in response.text


def test_a_job_whose_worker_died_shows_as_stalled_with_a_retry_form(moderator_client, moderator):
    job = JobFactory(
        started_by=moderator,
        status=Job.Status.RUNNING,
        attempts=1,
        progress_done=5,
        progress_total=12,
        started_at=stalled_heartbeat(),
        heartbeat_at=stalled_heartbeat(),
    )

    response = moderator_client.get(change_url(job))

    assert "Stalled" in response.text
    assert "probably died" in response.text
    assert f'action="{retry_url(job)}"' in response.text
    assert REFRESH not in response.text  # nothing changes until someone retries it


def test_the_page_shows_the_parameters_without_listing_every_id(moderator_client, moderator):
    job = JobFactory(
        started_by=moderator, params={"user_ids": list(range(1, 2001)), "reason": "spam wave"}
    )

    response = moderator_client.get(change_url(job))

    assert "user ids: 2000 items" in response.text
    assert "reason: spam wave" in response.text
    assert "1999" not in response.text


def test_staff_without_the_job_permission_get_403(client, moderator):
    job = JobFactory(started_by=moderator)
    client.force_login(UserFactory(username="staff", is_staff=True))

    assert client.get(CHANGELIST).status_code == 403
    assert client.get(change_url(job)).status_code == 403


# --- read-only --------------------------------------------------------------------------


def test_nobody_adds_changes_or_deletes_jobs(client, moderator, failed_job):
    for user in (moderator, SuperuserFactory(username="root")):
        client.force_login(user)
        page = client.get(change_url(failed_job))

        assert client.get(reverse("admin:jobs_job_add")).status_code == 403
        assert client.post(change_url(failed_job), {"status": "succeeded"}).status_code == 403
        assert client.get(reverse("admin:jobs_job_delete", args=[failed_job.pk])).status_code == 403
        assert 'name="_save"' not in page.text
        assert "delete_selected" not in client.get(CHANGELIST).text
    failed_job.refresh_from_db()
    assert failed_job.status == Job.Status.FAILED


# --- retry --------------------------------------------------------------------------------


def test_the_starter_retries_a_failed_job_with_a_post(
    moderator_client, moderator, failed_job, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = moderator_client.post(retry_url(failed_job))

    assert response.status_code == 302
    assert response.url == change_url(failed_job)
    failed_job.refresh_from_db()
    assert failed_job.status == Job.Status.QUEUED
    assert failed_job.error == ""
    assert DBTaskResult.objects.count() == 1  # queued for the worker
    entry = AuditEntry.objects.get(action=AuditEntry.Action.JOB_RETRIED)
    assert (entry.actor, entry.details["job_id"]) == (moderator, failed_job.pk)
    assert any("queued again" in text for text in message_texts(response))


def test_a_stalled_job_is_retried_from_its_page(moderator_client, moderator):
    job = JobFactory(
        started_by=moderator,
        status=Job.Status.RUNNING,
        started_at=stalled_heartbeat(),
        heartbeat_at=stalled_heartbeat(),
    )

    moderator_client.post(retry_url(job))

    job.refresh_from_db()
    assert job.status == Job.Status.QUEUED


def test_a_get_on_the_retry_url_retries_nothing(moderator_client, failed_job):
    response = moderator_client.get(retry_url(failed_job))

    assert response.status_code == 405
    failed_job.refresh_from_db()
    assert failed_job.status == Job.Status.FAILED
    assert not AuditEntry.objects.exists()


def test_another_moderator_may_not_retry_someone_elses_job(other_moderator_client, failed_job):
    page = other_moderator_client.get(change_url(failed_job))
    response = other_moderator_client.post(retry_url(failed_job))

    assert page.status_code == 200
    assert f'action="{retry_url(failed_job)}"' not in page.text
    assert response.status_code == 403
    failed_job.refresh_from_db()
    assert failed_job.status == Job.Status.FAILED
    assert not AuditEntry.objects.exists()


def test_a_superuser_may_retry_anyones_job(client, failed_job):
    client.force_login(SuperuserFactory(username="root"))

    response = client.post(retry_url(failed_job))

    assert response.status_code == 302
    failed_job.refresh_from_db()
    assert failed_job.status == Job.Status.QUEUED


def test_retrying_a_succeeded_job_is_refused_with_a_message(moderator_client, moderator):
    job = JobFactory(started_by=moderator, status=Job.Status.SUCCEEDED)

    response = moderator_client.post(retry_url(job))

    assert response.status_code == 302
    assert any("cannot be retried" in text for text in message_texts(response))
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED
    assert not AuditEntry.objects.exists()


def test_the_retry_needs_a_csrf_token(moderator, failed_job):
    client = Client(enforce_csrf_checks=True)
    client.force_login(moderator)

    assert client.post(retry_url(failed_job)).status_code == 403
    failed_job.refresh_from_db()
    assert failed_job.status == Job.Status.FAILED


def test_the_list_action_retries_my_failed_jobs_only(moderator_client, moderator, failed_job):
    succeeded = JobFactory(started_by=moderator, status=Job.Status.SUCCEEDED)
    someone_elses = JobFactory(
        started_by=ModeratorFactory(username="other-moderator"), status=Job.Status.FAILED
    )

    response = moderator_client.post(
        CHANGELIST,
        {
            "action": "retry_jobs",
            "index": "0",
            "_selected_action": [failed_job.pk, succeeded.pk, someone_elses.pk],
        },
    )

    assert response.status_code == 302
    statuses = dict(Job.objects.values_list("pk", "status"))
    assert statuses == {
        failed_job.pk: Job.Status.QUEUED,
        succeeded.pk: Job.Status.SUCCEEDED,
        someone_elses.pk: Job.Status.FAILED,
    }
    texts = message_texts(response)
    assert f"Queued again: #{failed_job.pk}." in texts
    assert any(f"#{succeeded.pk}" in text and "only failed or stalled" in text for text in texts)
    assert any(f"#{someone_elses.pk}" in text and "their starter" in text for text in texts)
    assert AuditEntry.objects.filter(action=AuditEntry.Action.JOB_RETRIED).count() == 1


# --- download -----------------------------------------------------------------------------


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    (settings.MEDIA_ROOT / "exports").mkdir(parents=True)
    return settings.MEDIA_ROOT


@pytest.fixture
def export_job(moderator, media_root):
    job = JobFactory(
        started_by=moderator,
        kind=Job.Kind.EXPORT,
        status=Job.Status.SUCCEEDED,
        params={"model": "messaging.message"},
        description="Export 2 messages",
    )
    name = f"exports/{job.pk}-message.csv"
    (media_root / name).write_bytes(CSV)
    job.result = {"file": name, "rows": 1, "model": "messaging.message"}
    job.save()
    return job


def test_the_starter_with_the_export_permission_downloads_the_file(
    moderator_client, moderator, export_job
):
    grant_export_permission(moderator)

    page = moderator_client.get(change_url(export_job))
    response = moderator_client.get(download_url(export_job))

    assert download_url(export_job) in page.text
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == CSV
    assert response["Content-Disposition"] == (
        f'attachment; filename="{export_job.pk}-message.csv"'
    )
    assert response["Content-Type"].startswith("text/csv")


def test_a_superuser_downloads_anyones_export(client, export_job):
    client.force_login(SuperuserFactory(username="root"))

    response = client.get(download_url(export_job))

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == CSV  # read to the end: closes the file


def test_the_starter_without_the_export_permission_gets_403(client, media_root):
    starter = UserFactory(username="viewer", is_staff=True)
    starter.user_permissions.add(Permission.objects.get(codename="view_job"))
    job = JobFactory(
        started_by=starter,
        kind=Job.Kind.EXPORT,
        status=Job.Status.SUCCEEDED,
        params={"model": "messaging.message"},
        result={"file": "exports/1-message.csv"},
    )
    (media_root / "exports" / "1-message.csv").write_bytes(CSV)
    client.force_login(starter)

    assert client.get(download_url(job)).status_code == 403
    assert download_url(job) not in client.get(change_url(job)).text


def test_another_moderator_with_the_export_permission_gets_403(other_moderator_client, export_job):
    grant_export_permission(User.objects.get(username="other-moderator"))

    assert other_moderator_client.get(download_url(export_job)).status_code == 403


def test_staff_without_the_job_permission_get_403_on_the_download(client, export_job):
    client.force_login(UserFactory(username="staff", is_staff=True))

    assert client.get(download_url(export_job)).status_code == 403


@pytest.mark.parametrize(
    "tampered",
    [
        "../../etc/passwd",
        "/etc/passwd",
        "exports/../../secret.csv",
        "exports/../secret.csv",  # inside MEDIA_ROOT, outside exports/
        "secret.csv",
        "exports",
        "",
        None,
    ],
)
def test_a_tampered_file_path_is_never_served(moderator_client, moderator, export_job, tampered):
    grant_export_permission(moderator)
    Job.objects.filter(pk=export_job.pk).update(result={**export_job.result, "file": tampered})

    response = moderator_client.get(download_url(export_job))

    assert response.status_code == 404


def test_a_file_name_with_a_nul_byte_is_refused(media_root):
    # PostgreSQL cannot store it in a JSON column; the guard refuses it anyway.
    job = Job(kind=Job.Kind.EXPORT, result={"file": "exports/\x00.csv"})

    assert stored_export_file(job) is None


def test_a_symbolic_link_out_of_the_exports_directory_is_not_followed(
    moderator_client, moderator, export_job, media_root, tmp_path
):
    grant_export_permission(moderator)
    outside = tmp_path / "outside.csv"
    outside.write_bytes(b"not yours")
    os.symlink(outside, media_root / "exports" / "link.csv")
    Job.objects.filter(pk=export_job.pk).update(result={"file": "exports/link.csv"})

    assert moderator_client.get(download_url(export_job)).status_code == 404


def test_a_failed_or_unfinished_export_has_nothing_to_download(
    moderator_client, moderator, export_job
):
    grant_export_permission(moderator)
    for status in (Job.Status.FAILED, Job.Status.RUNNING, Job.Status.QUEUED):
        Job.objects.filter(pk=export_job.pk).update(status=status)

        assert moderator_client.get(download_url(export_job)).status_code == 404


def test_an_account_deletion_job_has_nothing_to_download(moderator_client, moderator, media_root):
    grant_export_permission(moderator)
    job = JobFactory(
        started_by=moderator,
        status=Job.Status.SUCCEEDED,
        params={"model": "messaging.message"},
        result={"file": "exports/1-message.csv"},
    )
    (media_root / "exports" / "1-message.csv").write_bytes(CSV)

    assert moderator_client.get(download_url(job)).status_code == 404


def test_an_export_of_an_unknown_model_has_nothing_to_download(
    moderator_client, moderator, export_job
):
    grant_export_permission(moderator)
    Job.objects.filter(pk=export_job.pk).update(params={"model": "nope.nothing"})

    assert moderator_client.get(download_url(export_job)).status_code == 404


def test_the_export_permission_is_that_of_the_exported_model(client, media_root):
    # A moderator who may export messages, not the audit log (the group may do
    # both: here it lost the audit log's export permission).
    starter = ModeratorFactory(username="viewer")
    Group.objects.get(name="Moderators").permissions.remove(
        Permission.objects.get(codename="export_auditentry")
    )
    job = JobFactory(
        started_by=starter,
        kind=Job.Kind.EXPORT,
        status=Job.Status.SUCCEEDED,
        params={"model": "messaging.message"},
        result={"file": "exports/1-message.csv"},
    )
    (media_root / "exports" / "1-message.csv").write_bytes(CSV)
    client.force_login(starter)

    allowed = client.get(download_url(job))
    assert allowed.status_code == 200
    assert b"".join(allowed.streaming_content) == CSV
    Job.objects.filter(pk=job.pk).update(params={"model": "audit.auditentry"})
    assert client.get(download_url(job)).status_code == 403


# --- whom an account-deletion job deleted --------------------------------------------


def test_an_account_deletion_jobs_page_names_whom_it_deleted(moderator_client, moderator):
    amara, ben, carol = (UserFactory(username=name) for name in ("amara", "ben", "carol"))
    job = JobFactory(
        started_by=moderator,
        status=Job.Status.SUCCEEDED,
        params={"user_ids": [amara.pk, ben.pk, carol.pk], "reason": "spam wave"},
    )
    delete_accounts(actor=moderator, user_ids=[amara.pk, ben.pk], reason="spam", job_id=job.pk)
    # carol went another way (not through this job): the job does not claim her.
    delete_accounts(actor=moderator, user_ids=[carol.pk], reason="spam")

    response = moderator_client.get(change_url(job))

    assert "Deleted 2 accounts:" in response.text
    assert ">amara</a>" in response.text and ">ben</a>" in response.text
    assert ">carol</a>" not in response.text
    assert f"?target=%23{amara.pk}" in response.text  # their audit trail
    job.refresh_from_db()
    assert "amara" not in str(job.params)


def test_an_export_jobs_page_names_no_deleted_accounts(moderator_client, moderator):
    job = JobFactory(
        started_by=moderator, kind=Job.Kind.EXPORT, status=Job.Status.SUCCEEDED, params={}
    )

    response = moderator_client.get(change_url(job))

    assert response.status_code == 200
    assert "accounts:" not in response.text
