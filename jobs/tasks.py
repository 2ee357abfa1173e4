"""The one Django task: run a Job by its kind."""

from __future__ import annotations

from django.tasks import task

from jobs import runner


@task()
def run_job(job_id: int) -> None:
    # The task returns nothing: results live on the Job (counts and file names,
    # never content), so the task backend's table keeps no personal data.
    runner.run_job(job_id)
