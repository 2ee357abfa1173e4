"""jobs.progress: what a running job writes about itself."""

from __future__ import annotations

import pytest

from jobs.models import Job
from jobs.progress import Progress
from tests.jobs.factories import JobFactory

pytestmark = pytest.mark.django_db


def test_progress_writes_a_heartbeat(moderator):
    job = JobFactory(started_by=moderator, status=Job.Status.RUNNING)
    progress = Progress(job)

    progress.advance(3)  # the first advance always writes

    job.refresh_from_db()
    assert job.progress_done == 3
    assert job.heartbeat_at is not None
