"""Jobs in any state, built directly (the services are tested on their own)."""

from __future__ import annotations

import factory

from jobs.models import Job


class JobFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Job

    kind = Job.Kind.ACCOUNT_DELETION
    status = Job.Status.QUEUED
    started_by_username = factory.LazyAttribute(
        lambda job: job.started_by.get_username() if job.started_by else ""
    )
    description = factory.Sequence(lambda n: f"Job number {n}")
    params = factory.LazyFunction(lambda: {"user_ids": [], "reason": "test"})
