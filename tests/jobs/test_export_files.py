"""Export files and account deletions (jobs/export_files.py), without processes:
a deletion marks the export jobs under way and forgets every file on commit; an
export that a deletion marked while it wrote writes its file again; the guard
and the path of a job's file. The race with a real worker on PostgreSQL is in
tests/reliability/test_export_deletion_race.py."""

from __future__ import annotations

import pytest

from exports import jobs as export_handler
from jobs import export_files
from jobs import runner as job_runner
from jobs import services as job_services
from jobs.models import Job
from messaging import services
from messaging.models import Message
from tests.factories import MessageFactory, SuperuserFactory, UserFactory
from tests.jobs.factories import JobFactory

pytestmark = pytest.mark.django_db

MARKER = "zanzibar-marker"


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def exporter(db):
    return SuperuserFactory(username="exporter")


@pytest.fixture
def doomed(db):
    """Someone about to be deleted, whose messages carry MARKER, and a partner."""
    person = UserFactory(username="doomed-person")
    partner = UserFactory(username="partner")
    for number in range(3):
        MessageFactory(sender=person, receiver=partner, content=f"{MARKER} {number}")
    MessageFactory(sender=partner, receiver=partner, content="stays")
    return person


def export_job(exporter) -> Job:
    return job_services.start_job(
        kind=Job.Kind.EXPORT,
        started_by=exporter,
        params={
            "model": "messaging.message",
            "resource": "MessageResource",
            "fields": ["id", "sender", "content"],
            "filters": "",
            "format": "csv",
        },
    )


def delete_during_writes(monkeypatch, person, *, times: int) -> list[int]:
    """Make the handler's first ``times`` writes each see an account deletion
    commit after its rows were read (the rows in its file hold the person)."""
    real_write_csv = export_handler.write_csv
    calls: list[int] = []

    def write_then_delete(*args, **kwargs):
        rows = real_write_csv(*args, **kwargs)
        calls.append(rows)
        if len(calls) <= times:
            victim = person if len(calls) == 1 else UserFactory(username=f"later{len(calls)}")
            services.delete_account(victim, reason="while exporting")
        return rows

    monkeypatch.setattr(export_handler, "write_csv", write_then_delete)
    return calls


def export_files_text(media_root) -> str:
    directory = media_root / export_files.EXPORTS_DIR
    return "".join(path.read_text() for path in directory.iterdir()) if directory.exists() else ""


def test_a_deletion_marks_the_export_jobs_queued_or_running_only(exporter, doomed):
    def job(kind, status):
        return JobFactory(kind=kind, status=status, started_by=exporter)

    queued = job(Job.Kind.EXPORT, Job.Status.QUEUED)
    running = job(Job.Kind.EXPORT, Job.Status.RUNNING)
    finished = job(Job.Kind.EXPORT, Job.Status.SUCCEEDED)
    deletion = job(Job.Kind.ACCOUNT_DELETION, Job.Status.RUNNING)

    services.delete_account(doomed, reason="spam")

    seen = dict(Job.objects.values_list("pk", "deletions_seen"))
    assert seen == {queued.pk: 1, running.pk: 1, finished.pk: 0, deletion.pk: 0}


def test_an_export_that_a_deletion_overtook_writes_its_file_again_without_the_person(
    exporter, doomed, media_root, monkeypatch
):
    writes = delete_during_writes(monkeypatch, doomed, times=1)
    job = export_job(exporter)

    job_runner.run_job(job.pk)

    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED, job.error
    assert len(writes) == 2  # the first file was discarded
    assert writes[0] > writes[1] == job.result["rows"] == Message.objects.count()
    text = export_files.stored_export_file(job).read_text()
    assert MARKER not in text and "doomed-person" not in text
    assert job.progress_done == job.result["rows"]  # counted again from zero


def test_an_export_overtaken_by_deletions_three_times_fails_and_keeps_no_file(
    exporter, doomed, media_root, monkeypatch
):
    delete_during_writes(monkeypatch, doomed, times=export_files.PUBLISH_ATTEMPTS)
    job = export_job(exporter)

    job_runner.run_job(job.pk)

    job.refresh_from_db()
    assert job.status == Job.Status.FAILED
    assert "Accounts were deleted while this export was written" in job.error
    assert "Export again" in job.error
    assert export_files_text(media_root) == ""
    assert list((media_root / export_files.EXPORTS_DIR).iterdir()) == []


def test_a_deletion_forgets_finished_and_temporary_export_files_once_committed(
    doomed, media_root, django_capture_on_commit_callbacks
):
    directory = media_root / export_files.EXPORTS_DIR
    directory.mkdir()
    for name in ("7-messaging-message.csv", ".8-k2j4.part", "notes.txt"):
        (directory / name).write_text(f"{MARKER}\n")

    with django_capture_on_commit_callbacks(execute=True):
        services.delete_account(doomed, reason="spam")

    assert [path.name for path in directory.iterdir()] == ["notes.txt"]


def test_an_export_removes_the_temporary_file_of_its_dead_attempt(exporter, doomed, media_root):
    job = export_job(exporter)
    directory = media_root / export_files.EXPORTS_DIR
    directory.mkdir()
    (directory / f".{job.pk}-dead.part").write_text(f"{MARKER}\n")

    job_runner.run_job(job.pk)

    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED, job.error
    assert sorted(path.name for path in directory.iterdir()) == [f"{job.pk}-messaging-message.csv"]


def test_the_file_of_a_job_is_named_by_its_id_and_model():
    assert (
        export_files.export_file_name(job_id=12, model_label="audit.auditentry")
        == "exports/12-audit-auditentry.csv"
    )
