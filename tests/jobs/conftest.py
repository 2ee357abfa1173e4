"""Fixtures of the jobs tests (test_services.py, test_runner.py)."""

from __future__ import annotations

import pytest

from jobs import handlers
from jobs.models import Job


@pytest.fixture
def counting_handler(monkeypatch):
    """A handler for export jobs that counts 5 units and records the job's status
    as the worker sees it while running."""
    seen = {}

    def count_to_five(job, progress):
        seen["status_while_running"] = Job.objects.get(pk=job.pk).status
        progress.set_total(5)
        for _ in range(5):
            progress.advance()
        return {"rows": 5}

    monkeypatch.setitem(handlers.HANDLERS, Job.Kind.EXPORT, count_to_five)
    return seen
