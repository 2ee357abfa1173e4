"""The ``Job.Kind.EXPORT`` handler (registered in ``ExportsConfig.ready``).

The job's params are an ``ExportSelection`` (model, resource and fields, filters,
search, ordering; never message text). The handler turns them back into the
same rows the moderator's list selected, as of the moment the job runs, checks
that the account that queued it may still export them, and writes the CSV
through ``jobs.export_files``, which publishes the file only if no account
deletion committed since the rows were read. Safe to run again (a retry
rewrites the file from the start).

The search words and typed filters may name a person: the job keeps them only
while it runs; when it ends, succeeded or failed, they go (``forgotten``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_permission_codename
from django.core.exceptions import PermissionDenied

from exports.audit import record_export
from exports.csv_writer import write_csv
from exports.rules import rules_for
from exports.selection import ExportSelection, forgotten
from jobs.export_files import export_file_name, write_export_file_for_job
from jobs.models import Job
from moderation_site import roles
from moderation_site.roles import Page

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

    from jobs.progress import Progress


def write_export_file(job: Job, progress: Progress) -> dict[str, Any]:
    """Write and publish the file, audit the export, return what a download
    needs (the file's path under MEDIA_ROOT, the row count, the model); forget
    the search words whatever happens."""
    try:
        selection = ExportSelection.from_params(job.params)
        check_may_export(job.started_by, selection.model)
        queryset = selection.rows()
        columns = selection.columns()

        def start_again() -> None:
            progress.done = 0
            progress.flush()

        name = export_file_name(job_id=job.pk, model_label=selection.model)
        rows = write_export_file_for_job(
            job,
            name=name,
            write=lambda file: write_csv(file, queryset, columns, on_chunk=progress.advance),
            record=lambda rows: record_export(
                actor=job.started_by, selection=selection, rows=rows, job_id=job.pk
            ),
            on_restart=start_again,
        )
        return {"file": name, "rows": rows, "model": selection.model}
    finally:
        forget_search(job)


def check_may_export(user: AbstractBaseUser | None, model_label: str) -> None:
    """Checked again as at the request: the account that queued the export still
    exists, is active staff, and its role and permissions still let it export
    ``model_label`` (a moderator removed from the group since gets nothing)."""
    if user is None:
        raise PermissionDenied("The account that started this export no longer exists.")
    rules_for(model_label)  # an exportable model, or ExportRefused
    opts = apps.get_model(model_label)._meta
    code = settings.IMPORT_EXPORT_EXPORT_PERMISSION_CODE
    # django-import-export's own test (ExportMixin.has_export_permission).
    holds_permission = code is None or user.has_perm(
        f"{opts.app_label}.{get_permission_codename(code, opts)}"
    )
    if not (
        user.is_active
        and user.is_staff
        and roles.allows(user, model_label, Page.EXPORT)
        and holds_permission
    ):
        raise PermissionDenied(f"Account {user.pk} may not export {model_label} any more.")


def forget_search(job: Job) -> None:
    params = forgotten(job.params) if isinstance(job.params, dict) else {}
    if params != job.params:
        Job.objects.filter(pk=job.pk).update(params=params)
