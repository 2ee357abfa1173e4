"""Export files written by a background job (``Job.Kind.EXPORT``).

The job's params say what to export, never message text: the model label, the
resource and its field names, the changelist's query string (``filters``) and
search term. The rows are rebuilt as the moderator's changelist selected them
(``selection.rebuild_export_queryset``), written in chunks to a temporary file
next to the target, then renamed, so a half-written file is never served. Safe
to run again (a retry rewrites the file from the start).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

from django.conf import settings

from admin_ext.exports.csv_writer import write_csv
from admin_ext.exports.mixins import EXPORT_FORMAT
from admin_ext.exports.resources import export_columns
from admin_ext.exports.selection import rebuild_export_queryset
from audit.models import AuditEntry
from audit.services import record_audit_entry
from jobs.models import Job
from jobs.services import Progress

# Under MEDIA_ROOT; never served publicly (downloads go through a view that
# checks permissions).
EXPORTS_DIR = "exports"


def export_file_path(*, job_id: int, model_label: str) -> str:
    """Where a job's file goes, relative to MEDIA_ROOT: exports/<job>-<app>-<model>.csv."""
    return f"{EXPORTS_DIR}/{job_id}-{model_label.replace('.', '-')}.csv"


def write_export_file(job: Job, progress: Progress) -> dict[str, Any]:
    """The EXPORT job handler: write the file, audit the export, return what a
    download needs (the file's path under MEDIA_ROOT, the row count, the model)."""
    params = job.params
    if params.get("format", EXPORT_FORMAT) != EXPORT_FORMAT:
        raise ValueError(f"Unknown export format {params['format']!r}: only CSV is written.")
    model_label = params["model"]
    model_admin, request, queryset = rebuild_export_queryset(
        model_label=model_label, filters=params.get("filters", ""), user=job.started_by
    )
    resource_class = next(
        (
            resource_class
            for resource_class in model_admin.get_export_resource_classes(request)
            if resource_class.__name__ == params["resource"]
        ),
        None,
    )
    if resource_class is None:
        raise ValueError(f"Unknown export resource {params['resource']!r} for {model_label}.")
    columns = export_columns(resource_class, params["fields"])

    relative_path = export_file_path(job_id=job.pk, model_label=model_label)
    target = Path(settings.MEDIA_ROOT) / relative_path
    target.parent.mkdir(parents=True, exist_ok=True)
    # mkstemp: a unique name in the same directory (so the rename is atomic), and
    # readable by this account only.
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{job.pk}-", suffix=".part")
    try:
        with open(handle, "w", encoding="utf-8", newline="") as file:
            rows = write_csv(file, queryset, columns, on_chunk=progress.advance)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise

    record_audit_entry(
        action=AuditEntry.Action.EXPORT,
        actor=job.started_by,
        details={
            "model": model_label,
            "filters": params.get("filters", ""),
            "rows": rows,
            "format": EXPORT_FORMAT,
            "job_id": job.pk,
            "fields": [column.name for column in columns],
        },
    )
    # The selection is written (and audited): the job need not keep the search
    # words, which may name a person (privacy: nothing outlives an account
    # deletion but the audit log).
    Job.objects.filter(pk=job.pk).update(
        params={key: value for key, value in params.items() if key not in ("filters", "search")}
    )
    return {"file": relative_path, "rows": rows, "model": model_label}
