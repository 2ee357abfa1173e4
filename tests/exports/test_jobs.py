"""The EXPORT job handler (exports/jobs.py) without the admin: who may still
export when the job runs, and jobs it cannot run failing with a message."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from exports.jobs import check_may_export
from jobs import runner as job_runner
from jobs import services as job_services
from jobs.handlers import HANDLERS
from jobs.models import Job
from tests.factories import MessageFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_a_moderator_may_export_the_desks_lists(moderator):
    for label in ("messaging.message", "messaging.messagehistory", "auth.user", "audit.auditentry"):
        check_may_export(moderator, label)


@pytest.mark.parametrize(
    "change",
    [
        lambda user: setattr(user, "is_active", False),
        lambda user: setattr(user, "is_staff", False),
        lambda user: user.groups.clear(),
    ],
    ids=["inactive", "not-staff", "no-export-permission"],
)
def test_an_account_that_lost_its_access_may_not_export(moderator, change):
    change(moderator)
    moderator.save()

    with pytest.raises(PermissionDenied, match="may not export"):
        check_may_export(moderator, "messaging.message")


def test_an_ordinary_account_may_not_export(db):
    with pytest.raises(PermissionDenied):
        check_may_export(UserFactory(), "auth.user")


def test_a_job_queued_by_an_earlier_version_with_filters_fails_with_a_message(
    moderator, alice, bob, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    MessageFactory(sender=alice, receiver=bob)
    job = job_services.start_job(
        kind=Job.Kind.EXPORT,
        started_by=moderator,
        params={
            "model": "messaging.message",
            "resource": "MessageResource",
            "fields": ["id"],
            "filters": "unread=1&q=zeno",
            "search": "zeno",
            "format": "csv",
        },
    )

    job_runner.run_job(job.pk)

    job.refresh_from_db()
    assert job.status == Job.Status.FAILED
    assert "export again from the list" in job.error
    assert "zeno" not in str(job.params)
    assert not (tmp_path / "exports").exists()


def test_the_export_handler_is_registered_for_export_jobs():
    assert Job.Kind.EXPORT in HANDLERS
