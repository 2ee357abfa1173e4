"""jobs.models: what a job says about itself, and its queryset twins."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from jobs.models import STALLED_AFTER, Job
from tests.jobs.factories import JobFactory

pytestmark = pytest.mark.django_db


def make_job(**fields) -> Job:
    # The factory names the starter's username after it: an anonymous one here.
    return JobFactory(started_by=None, **fields)


def silent_for_too_long():
    return timezone.now() - STALLED_AFTER - timedelta(minutes=1)


def recently():
    return timezone.now() - STALLED_AFTER + timedelta(minutes=1)


def test_stalled_finds_a_running_job_whose_heartbeat_is_too_old():
    job = make_job(
        status=Job.Status.RUNNING,
        started_at=silent_for_too_long(),
        heartbeat_at=silent_for_too_long(),
    )

    assert list(Job.objects.stalled()) == [job]


def test_stalled_falls_back_to_the_start_of_a_job_without_a_heartbeat():
    job = make_job(status=Job.Status.RUNNING, started_at=silent_for_too_long())
    make_job(status=Job.Status.RUNNING, started_at=recently())

    assert list(Job.objects.stalled()) == [job]


def test_stalled_leaves_out_a_job_whose_recent_heartbeat_follows_an_old_start():
    make_job(status=Job.Status.RUNNING, started_at=silent_for_too_long(), heartbeat_at=recently())

    assert not Job.objects.stalled().exists()


@pytest.mark.parametrize("status", [Job.Status.QUEUED, Job.Status.SUCCEEDED, Job.Status.FAILED])
def test_stalled_leaves_out_jobs_that_are_not_running(status):
    make_job(status=status, started_at=silent_for_too_long(), heartbeat_at=silent_for_too_long())

    assert not Job.objects.stalled().exists()


def test_stalled_finds_exactly_the_jobs_whose_is_stalled_is_true():
    old, new = silent_for_too_long(), recently()
    for status in Job.Status.values:
        for started_at, heartbeat_at in [
            (None, None),
            (old, None),
            (new, None),
            (old, old),
            (old, new),
            (new, new),
        ]:
            make_job(status=status, started_at=started_at, heartbeat_at=heartbeat_at)

    stalled = set(Job.objects.stalled())

    assert stalled == {job for job in Job.objects.all() if job.is_stalled}
    assert len(stalled) == 2
