"""An export job running while an account is deleted (PostgreSQL, a real worker).

The worker (tests/reliability/paused_export_worker.py) pauses its first export
once the rows are read and written to its temporary file; the test deletes the
person whose messages are in it, lets the worker go on, and waits for it to
finish. No file under MEDIA_ROOT/exports may then hold the person's words or
name, and the job has either no file to download or one written after the
deletion.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest
from django.contrib.auth import get_user_model

from jobs import services as job_services
from jobs.export_files import EXPORTS_DIR, stored_export_file
from jobs.models import Job
from messaging import services
from tests.factories import MessageFactory, SuperuserFactory, UserFactory
from tests.reliability.test_faults import DEADLINE, wait_until, worker_database_url

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]
User = get_user_model()

MARKER = "quokka-marmalade"  # in each of the person's messages
USERNAME = "doomed-exportee"


def start_export(moderator) -> Job:
    # Queued as the admin queues it; outside a transaction the task is queued at once.
    return job_services.start_job(
        kind=Job.Kind.EXPORT,
        started_by=moderator,
        params={
            "model": "messaging.message",
            "resource": "MessageResource",
            "fields": ["id", "sender", "receiver", "content"],
            "filters": "",
            "format": "csv",
        },
        description="CSV export of every message",
    )


def test_an_export_running_while_an_account_is_deleted_keeps_no_file_of_that_person(
    postgres_only, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path / "media"
    moderator = SuperuserFactory(username="exporter")
    person = UserFactory(username=USERNAME)
    partner = UserFactory(username="partner")
    for number in range(3):
        MessageFactory(sender=person, receiver=partner, content=f"{MARKER} {number}")
    for number in range(50):
        MessageFactory(sender=partner, receiver=moderator, content=f"unrelated {number}")
    job = start_export(moderator)
    reached, resume = tmp_path / "reached", tmp_path / "resume"

    worker = subprocess.Popen(  # noqa: S603 - our own module; the arguments are our paths
        [sys.executable, "-m", "tests.reliability.paused_export_worker", reached, resume],
        cwd=settings.BASE_DIR,
        env={
            **os.environ,
            "DEBUG": "1",
            "DATABASE_URL": worker_database_url(),
            "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        },
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_until(
            lambda: reached.exists() or worker.poll() is not None,
            what="the worker to read and write the person's rows",
        )
        assert reached.exists(), worker.communicate()[0].decode(errors="replace")
        parts = list((settings.MEDIA_ROOT / EXPORTS_DIR).glob(".*.part"))
        assert any(MARKER in path.read_text() for path in parts)  # the race is a race

        services.delete_account(person, reason="spam while exporting")
        deleted_at = time.time()
        resume.touch()
        output = worker.communicate(timeout=DEADLINE)[0].decode(errors="replace")
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait(DEADLINE)

    assert worker.returncode == 0, output
    job.refresh_from_db()
    assert job.status in (Job.Status.SUCCEEDED, Job.Status.FAILED), output
    for path in (settings.MEDIA_ROOT / EXPORTS_DIR).iterdir():
        text = path.read_text(encoding="utf-8")
        assert MARKER not in text and USERNAME not in text, path.name
    published = stored_export_file(job)
    if published is not None:
        assert job.status == Job.Status.SUCCEEDED
        assert published.stat().st_mtime >= deleted_at
        assert "unrelated 49" in published.read_text(encoding="utf-8")
