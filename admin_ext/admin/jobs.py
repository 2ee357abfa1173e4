"""Background jobs in the admin: the moderators' "job page".

A job is read-only here, even for a superuser: it is written only by the jobs
app (``jobs.services`` starts it for the pages that need long work,
``jobs.runner`` runs it in the worker).
Two things may be done to one, both checked on the server, both for its starter
or a superuser who may view jobs:

- **Retry** a failed or stalled job (a POST: the list's action or the button of
  the job's page, which posts to ``<id>/retry/``); ``jobs.services.retry_job``
  audits it.
- **Download** the file of a finished export (``<id>/download/``), which also
  needs the export permission of the exported model. Only files under
  ``MEDIA_ROOT/exports`` are ever served, whatever the job's result says
  (``jobs.export_files.stored_export_file``), and none once an account deletion
  committed after it was written.
"""

from __future__ import annotations

import datetime
import logging
from typing import Any

from django.apps import apps
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseNotAllowed,
    HttpResponseRedirect,
)
from django.template.loader import render_to_string
from django.urls import URLPattern, path, reverse
from unfold.contrib.filters.admin import RadioFilter
from unfold.decorators import action, display

from admin_ext.admin.base import DeskModelAdmin, ReadOnlyAdminMixin
from admin_ext.admin.job_backtest import backtest_context
from audit.models import AuditEntry
from jobs.export_files import stored_export_file
from jobs.models import STALLED_AFTER, Job
from jobs.services import retry_job

logger = logging.getLogger(__name__)

# The job's page reloads itself this often (seconds) while a worker may change it.
REFRESH_SECONDS = 2

# How a result's keys are listed: account deletions, then exports.
RESULT_ORDER = ("deleted", "refused", "already_deleted", "failed", "rows", "model", "file")

STALLED = "stalled"  # not a stored status: running, but its worker went silent
STATUS_LABELS = {
    Job.Status.QUEUED: "info",
    Job.Status.RUNNING: "primary",
    STALLED: "warning",
    Job.Status.SUCCEEDED: "success",
    Job.Status.FAILED: "danger",
}


def export_permission(job: Job) -> str | None:
    """``app_label.export_<model>`` for the model an export job exported, or None
    when its params name no installed model."""
    label = job.params.get("model") if isinstance(job.params, dict) else None
    if not isinstance(label, str):
        return None
    try:
        opts = apps.get_model(label)._meta
    except (LookupError, ValueError):
        return None
    return f"{opts.app_label}.export_{opts.model_name}"


class JobStatusFilter(RadioFilter):
    title = "status"
    parameter_name = "status"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple]:
        return [
            (Job.Status.QUEUED, "Queued"),
            (Job.Status.RUNNING, "Running"),
            (STALLED, "Stalled (worker died)"),
            (Job.Status.SUCCEEDED, "Succeeded"),
            (Job.Status.FAILED, "Failed"),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() == STALLED:
            return queryset.stalled()
        if self.value() in Job.Status.values:
            return queryset.filter(status=self.value())
        return queryset


class StartedByFilter(RadioFilter):
    title = "started by"
    parameter_name = "started_by"
    all_option = ["", "Everyone"]

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple]:
        return [("me", "Me")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() == "me":
            return queryset.filter(started_by=request.user)  # job_started_by_idx
        return queryset


@admin.register(Job)
class JobAdmin(ReadOnlyAdminMixin, DeskModelAdmin):
    # List options. Every column reads the job's own row (the starter's name is
    # kept as text), so a page costs the same queries whatever its size.
    list_display = (
        "id",
        "kind",
        "description",
        "display_status",
        "display_progress",
        "display_started_by",
        "display_created",
        "display_finished",
    )
    list_display_links = ("id", "kind")
    list_filter = (
        JobStatusFilter,
        ("kind", admin.ChoicesFieldListFilter),
        StartedByFilter,
    )
    list_filter_submit = True  # unfold's radio filters apply with its Apply button
    search_fields = ("description", "started_by_username")
    search_help_text = "Search by description or by who started the job."
    show_facets = admin.ShowFacets.NEVER  # a COUNT per filter choice, for nothing
    list_per_page = 50

    # Form options: the change view only shows a job (see has_change_permission).
    change_form_template = "admin_ext/jobs/change_form.html"
    fieldsets = (
        (None, {"fields": ("kind", "description", "display_started_by", "attempts")}),
        ("Times", {"fields": ("created_at", "started_at", "heartbeat_at", "finished_at")}),
        ("Outcome", {"fields": ("display_result", "error", "display_params")}),
    )
    readonly_fields = (
        "kind",
        "description",
        "display_started_by",
        "attempts",
        "created_at",
        "started_at",
        "heartbeat_at",
        "finished_at",
        "display_result",
        "error",
        "display_params",
    )

    # Actions
    actions = ["retry_jobs"]

    def has_retry_permission(self, request: HttpRequest) -> bool:
        # Which jobs: only one's own (superusers: any); checked per job.
        return self.has_view_permission(request)

    def may_act_on(self, request: HttpRequest, job: Job) -> bool:
        """Retry or download: the job's starter or a superuser, who may view jobs."""
        return self.has_view_permission(request, job) and (
            request.user.is_superuser or job.started_by_id == request.user.pk
        )

    def may_download(self, request: HttpRequest, job: Job) -> bool:
        permission = export_permission(job)
        return (
            job.kind == Job.Kind.EXPORT
            and job.status == Job.Status.SUCCEEDED
            and permission is not None
            and self.may_act_on(request, job)
            and request.user.has_perm(permission)
        )

    # --- URLs and views -------------------------------------------------------------

    def get_urls(self) -> list[URLPattern]:
        opts = self.opts
        prefix = f"{opts.app_label}_{opts.model_name}"
        # Before the stock patterns: their "<path:object_id>/" would match first.
        return [
            path(
                "<path:object_id>/retry/",
                self.admin_site.admin_view(self.retry_view),
                name=f"{prefix}_retry",
            ),
            path(
                "<path:object_id>/download/",
                self.admin_site.admin_view(self.download_view),
                name=f"{prefix}_download",
            ),
            *super().get_urls(),
        ]

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        job = self.get_object(request, unquote(object_id))
        if job is not None:
            extra_context = {**(extra_context or {}), **self.job_page_context(request, job)}
        return super().change_view(request, object_id, form_url, extra_context)

    def job_page_context(self, request: HttpRequest, job: Job) -> dict[str, Any]:
        is_stalled = job.is_stalled
        status, status_text = self.display_status(job)
        return {
            "job": job,
            "job_is_stalled": is_stalled,
            "job_status_text": status_text,
            "job_status_variant": STATUS_LABELS[status],
            "job_result": self.result_items(job),
            "progress_label": progress_label(job),
            # A queued or running job changes without anyone touching the page; a
            # stalled one waits for a moderator, so its page stays put.
            "refresh_seconds": REFRESH_SECONDS
            if job.status == Job.Status.QUEUED
            or (job.status == Job.Status.RUNNING and not is_stalled)
            else None,
            "stalled_after_minutes": int(STALLED_AFTER.total_seconds() // 60),
            "deleted_accounts": deleted_accounts(job),
            **backtest_context(job, admin_site_name=self.admin_site.name),
            "retry_url": reverse(f"{self.admin_site.name}:jobs_job_retry", args=[job.pk])
            if job.can_retry and self.may_act_on(request, job)
            else None,
            "download_url": reverse(f"{self.admin_site.name}:jobs_job_download", args=[job.pk])
            if self.may_download(request, job)
            else None,
        }

    def retry_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """POST only: queue a failed or stalled job again (audited by the service)."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        job = self.get_object(request, unquote(object_id))
        if job is None:
            raise Http404("No such job.")
        if not self.may_act_on(request, job):
            raise PermissionDenied
        try:
            job = retry_job(job, by=request.user)
        except ValidationError as error:
            self.message_user(request, " ".join(error.messages), messages.ERROR)
        else:
            self.message_user(
                request, f"{job.description or job} is queued again.", messages.SUCCESS
            )
        return HttpResponseRedirect(
            reverse(f"{self.admin_site.name}:jobs_job_change", args=[job.pk])
        )

    def download_view(self, request: HttpRequest, object_id: str) -> FileResponse:
        """The CSV of a finished export, as an attachment, for whoever may have it."""
        job = self.get_object(request, unquote(object_id))
        if job is None or job.kind != Job.Kind.EXPORT:
            raise Http404("No such export.")
        if not self.may_act_on(request, job):
            raise PermissionDenied
        if job.status != Job.Status.SUCCEEDED:
            raise Http404("This export has no file (it has not succeeded).")
        permission = export_permission(job)
        if permission is None:
            raise Http404("This export names no model.")
        if not request.user.has_perm(permission):
            raise PermissionDenied
        file_path = stored_export_file(job)
        if file_path is None:
            logger.warning("Job %s: export file %r refused or missing", job.pk, job.result)
            raise Http404("The file of this export is not available.")
        return FileResponse(file_path.open("rb"), as_attachment=True, filename=file_path.name)

    # --- actions ------------------------------------------------------------------------

    @action(description="Retry failed jobs", permissions=["retry"])
    def retry_jobs(self, request: HttpRequest, queryset: QuerySet) -> None:
        retried, not_yours, not_retryable = [], [], []
        for job in queryset:
            if not self.may_act_on(request, job):
                not_yours.append(job)
                continue
            try:
                retry_job(job, by=request.user)
            except ValidationError:
                not_retryable.append(job)
            else:
                retried.append(job)
        if retried:
            self.message_user(request, f"Queued again: {_job_numbers(retried)}.", messages.SUCCESS)
        if not_retryable:
            self.message_user(
                request,
                f"Not retried (only failed or stalled jobs can be): {_job_numbers(not_retryable)}.",
                messages.WARNING,
            )
        if not_yours:
            self.message_user(
                request,
                f"Not retried (only their starter or a superuser may): {_job_numbers(not_yours)}.",
                messages.ERROR,
            )

    # --- columns and read-only fields ---------------------------------------------------

    @display(description="Status", ordering="status", label=STATUS_LABELS)
    def display_status(self, job: Job) -> tuple[str, str]:
        if job.is_stalled:
            return STALLED, "Stalled"
        return job.status, job.get_status_display()

    @display(description="Progress")
    def display_progress(self, job: Job) -> str:
        return render_to_string(
            "admin_ext/jobs/progress.html",
            {"percent": job.percent_done, "label": progress_label(job)},
        )

    @display(description="Started by", ordering="started_by_username")
    def display_started_by(self, job: Job) -> str:
        # Kept as text: the starter's account may be gone, and no join is needed.
        return job.started_by_username or "—"

    @display(description="Created", ordering="created_at")
    def display_created(self, job: Job) -> datetime.datetime:
        return job.created_at

    @display(description="Finished", ordering="finished_at")
    def display_finished(self, job: Job) -> datetime.datetime | None:
        return job.finished_at

    @display(description="Result")
    def display_result(self, job: Job) -> str:
        items = self.result_items(job)
        return ", ".join(f"{name}: {value}" for name, value in items) if items else "—"

    @display(description="Parameters")
    def display_params(self, job: Job) -> str:
        """What the job was asked to do, lists shown by their length (an account
        deletion may carry 5,000 user ids)."""
        params = job.params if isinstance(job.params, dict) else {}
        shown = []
        for name, value in params.items():
            if isinstance(value, list | tuple):
                value = f"{len(value)} item{'s' if len(value) != 1 else ''}"
            shown.append(f"{name.replace('_', ' ')}: {value}")
        return "\n".join(shown) or "—"

    @staticmethod
    def result_items(job: Job) -> list[tuple[str, Any]]:
        """The result's counts in a fixed order (PostgreSQL's jsonb keeps no key
        order): the known ones first, then the others by name."""
        result = job.result if isinstance(job.result, dict) else {}
        names = sorted(
            result,
            key=lambda name: (RESULT_ORDER.index(name) if name in RESULT_ORDER else 99, name),
        )
        # Lists (a backtest's sample) are shown by their own part of the page.
        return [
            (name.replace("_", " "), result[name])
            for name in names
            if not isinstance(result[name], list | dict)
        ]


def deleted_accounts(job: Job) -> list[tuple[int, str]]:
    """Whom an account-deletion job deleted, as (id, username), from the audit
    entries it wrote (which name the job; its parameters keep ids only). One
    query; empty for any other kind of job."""
    user_ids = job.params.get("user_ids") if isinstance(job.params, dict) else None
    if job.kind != Job.Kind.ACCOUNT_DELETION or not user_ids:
        return []
    usernames = AuditEntry.objects.filter(details__job_id=job.pk).usernames_of_deleted_accounts(
        user_ids
    )
    return sorted(usernames.items(), key=lambda item: item[1].casefold())


def progress_label(job: Job) -> str:
    """Done / total and percent ("12 / 20 · 60%"); "—" before the job counted its work."""
    if not job.progress_total:
        return "100%" if job.status == Job.Status.SUCCEEDED else "—"
    return f"{job.progress_done:,} / {job.progress_total:,} · {job.percent_done}%"


def _job_numbers(jobs: list[Job]) -> str:
    return ", ".join(f"#{job.pk}" for job in jobs)
