"""Export files written by a background job (``Job.Kind.EXPORT``).

The job's params say what to export, never message text: the model label, the
resource and its field names, the changelist's query string (``filters``) and
search term. The rows are rebuilt as the moderator's changelist selected them
(``selection.rebuild_export_queryset``) and written by ``jobs.export_files``,
which publishes the file only if no account deletion committed since the rows
were read. Safe to run again (a retry rewrites the file from the start).

The search words and text filters may name a person: the job keeps them only
while it runs. When it ends, succeeded or failed, its params keep the selecting
part of the filters alone (ids, dates, choices; ``audit.audited_selection``);
a retry of a job whose search was forgotten is refused with a message, rather
than exporting other rows than the moderator chose.
"""

from __future__ import annotations

from typing import Any

from django.contrib.admin.views.main import ORDER_VAR
from django.http import QueryDict

from admin_ext.exports.audit import EXPORT_FORMAT, audited_selection, record_export
from admin_ext.exports.csv_writer import write_csv
from admin_ext.exports.resources import export_columns
from admin_ext.exports.selection import rebuild_export_queryset
from jobs.export_files import export_file_name, write_export_file_for_job
from jobs.models import Job
from jobs.services import Progress

# Set in params when the job forgot a search or text filter it was given.
SELECTION_FORGOTTEN = "selection_forgotten"


def write_export_file(job: Job, progress: Progress) -> dict[str, Any]:
    """The EXPORT job handler: write and publish the file, audit the export,
    return what a download needs (the file's path under MEDIA_ROOT, the row
    count, the model); forget the search words whatever happens."""
    params = job.params
    selection: dict[str, Any] | None = None
    try:
        if params.get(SELECTION_FORGOTTEN):
            raise ValueError(
                "This export's search or text filter was forgotten when it ended (it may "
                "name a person), so it cannot be run again: export again from the list."
            )
        if params.get("format", EXPORT_FORMAT) != EXPORT_FORMAT:
            raise ValueError(f"Unknown export format {params['format']!r}: only CSV is written.")
        model_label = params["model"]
        filters = params.get("filters", "")
        model_admin, request, queryset = rebuild_export_queryset(
            model_label=model_label, filters=filters, user=job.started_by
        )
        selection = audited_selection(model_admin, request, filters)
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
        fields = [column.name for column in columns]

        def start_again() -> None:
            progress.done = 0
            progress.flush()

        name = export_file_name(job_id=job.pk, model_label=model_label)
        rows = write_export_file_for_job(
            job,
            name=name,
            write=lambda file: write_csv(file, queryset, columns, on_chunk=progress.advance),
            record=lambda rows: record_export(
                actor=job.started_by,
                model_admin=model_admin,
                request=request,
                filters=filters,
                rows=rows,
                fields=fields,
                job_id=job.pk,
            ),
            on_restart=start_again,
        )
        return {"file": name, "rows": rows, "model": model_label}
    finally:
        forget_search(job, selection=selection)


def forget_search(job: Job, *, selection: dict[str, Any] | None) -> None:
    """Keep in the job's params only the selecting part of its filters
    (``selection``, from ``audited_selection``; None when it could not be worked
    out, and then none of them stays)."""
    params = dict(job.params)
    if params.get(SELECTION_FORGOTTEN):
        return  # forgotten already
    filters = params.pop("filters", "")
    searched = bool(params.pop("search", ""))
    if filters or searched:
        if selection is not None:
            params["filters"] = selection["filters"]
        if (
            searched
            or selection is None
            or selection["search"]
            or selection["text_filters"]
            or _names(selection["filters"]) | {ORDER_VAR} != _names(filters) | {ORDER_VAR}
        ):
            # What went (search words, a text filter's value) selected rows: a
            # retry without it would export others.
            params[SELECTION_FORGOTTEN] = True
    if params != job.params:
        Job.objects.filter(pk=job.pk).update(params=params)


def _names(query_string: str) -> set[str]:
    return set(QueryDict(query_string))
