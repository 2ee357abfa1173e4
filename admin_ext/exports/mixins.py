"""CSV export in the admin: django-import-export's button, form and permission,
the exports app's rows and writer.

``CsvExportAdminMixin`` goes first in a ModelAdmin's bases. It keeps what
import-export does well (the "Export" button on the changelist, carrying its
query string; the export URL; unfold's form with choosable fields; the
``app.export_<model>`` permission from IMPORT_EXPORT_EXPORT_PERMISSION_CODE) and
replaces the export itself, which in import-export builds a whole tablib Dataset
in memory and only strips a leading "=":

- the changelist the request describes becomes an ``ExportSelection``
  (``selection.export_selection``): model, columns, filters, search, ordering;
- up to ``settings.EXPORT_STREAM_LIMIT`` rows, the CSV streams to the browser as
  it is read from the database (``exports.csv_writer.stream_csv``);
- above it, the selection goes into a background job's params and the moderator
  is sent to the job's page; the job (``exports.jobs``) runs the same selection.

Either way the rows are ``selection.rows()``, every text cell is sanitised, and
one audit entry records the export (``exports.audit.record_export``, which keeps
no search words): when the stream starts, or when the job's file is published.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ORDER_VAR
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    QueryDict,
    StreamingHttpResponse,
)
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.text import slugify
from import_export.admin import ExportMixin
from import_export.formats import base_formats
from unfold.contrib.import_export.forms import SelectableFieldsExportForm

from admin_ext.exports.selection import changelist_filters, export_selection, search_term
from exports.audit import record_export
from exports.csv_writer import ExportColumn, stream_csv
from exports.resources import UnknownExportField, export_columns
from exports.rules import ExportRefused
from exports.selection import ExportSelection
from jobs.models import Job
from jobs.services import start_job


class CsvExportForm(SelectableFieldsExportForm):
    """unfold's export form (a checkbox per resource field), refusing what a real
    form cannot send: an unknown field, a format other than CSV."""

    def clean(self) -> dict[str, Any]:
        if self.has_error("format"):
            raise forms.ValidationError(
                "Unknown export format: only CSV is offered.", code="unknown_format"
            )
        resource = self.get_selected_resource()
        prefix = self.create_boolean_field_name(resource, "")
        known = set(resource().get_export_order())
        unknown = sorted(
            name
            for name in (key.removeprefix(prefix) for key in self.data if key.startswith(prefix))
            if name not in known
        )
        if unknown:
            raise forms.ValidationError(
                f"Unknown export field{'s' if len(unknown) > 1 else ''}: {', '.join(unknown)}.",
                code="unknown_field",
            )
        return super().clean()


class CsvExportAdminMixin(ExportMixin):
    """Export the changelist's rows as CSV (see the module docstring)."""

    export_form_class = CsvExportForm
    # unfold's export page, with what will be exported above the form.
    export_template_name = "admin_ext/exports/export.html"

    def get_export_formats(self) -> list[type[base_formats.Format]]:
        return [base_formats.CSV]  # our writer writes CSV only

    def export_action(self, request: HttpRequest) -> HttpResponse:
        # Replaces import-export's view: same permission check, form and template,
        # but never its Dataset (memory) nor its "export selected items" branch
        # (which lists every primary key of the table).
        if not self.has_export_permission(request):
            raise PermissionDenied
        try:
            selection = self.get_export_selection(request)
            queryset = selection.rows()
        except (IncorrectLookupParameters, ExportRefused) as error:
            # What the changelist does with a bad filter (a forged or stale link),
            # with the reason, instead of a server error.
            self.message_user(request, f"These filters cannot be exported: {error}", messages.ERROR)
            return HttpResponseRedirect(self._changelist_url())
        form = self.get_export_form_class()(
            self.get_export_formats(),
            self.get_export_resource_classes(request),
            data=request.POST or None,
        )
        if form.is_valid():
            resource_class = self.choose_export_resource_class(form, request)
            try:
                columns = export_columns(
                    resource_class, self.get_export_resource_fields_from_form(form)
                )
            except UnknownExportField as error:
                form.add_error(None, str(error))
            else:
                selection = replace(
                    selection,
                    resource=resource_class.__name__,
                    fields=tuple(column.name for column in columns),
                )
                return self.export_csv(
                    request, selection=selection, queryset=queryset, columns=columns
                )
        context = self.init_request_context_data(request, form)
        context["export_selection"] = self._describe_selection(request, queryset)
        request.current_app = self.admin_site.name
        return TemplateResponse(request, [self.export_template_name], context=context)

    def get_export_selection(self, request: HttpRequest) -> ExportSelection:
        """The request's changelist as an ExportSelection, with the first resource's
        columns (the form's choice replaces them)."""
        resource_class = self.get_export_resource_classes(request)[0]
        return export_selection(
            self,
            request,
            resource_class=resource_class,
            fields=tuple(resource_class().get_export_order()),
        )

    def get_export_queryset(self, request: HttpRequest) -> QuerySet:
        # import-export's hook, for anyone calling it: the same rows as the export.
        try:
            return self.get_export_selection(request).rows()
        except ExportRefused as error:
            raise IncorrectLookupParameters(str(error)) from error

    def export_csv(
        self,
        request: HttpRequest,
        *,
        selection: ExportSelection,
        queryset: QuerySet,
        columns: list[ExportColumn],
    ) -> HttpResponse:
        """Stream the rows, or hand the selection to a background job when there
        are many."""
        rows = queryset.count()  # one COUNT: it decides stream or job, and is audited
        if rows > settings.EXPORT_STREAM_LIMIT:
            return self._start_export_job(request, rows=rows, params=selection.to_params())
        record_export(actor=request.user, selection=selection, rows=rows, job_id=None)
        response = StreamingHttpResponse(
            stream_csv(queryset, columns), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = content_disposition_header(
            as_attachment=True, filename=self._export_filename()
        )
        # Personal data: no copy in a shared or browser cache.
        response["Cache-Control"] = "private, no-store"
        return response

    def _start_export_job(
        self, request: HttpRequest, *, rows: int, params: dict[str, Any]
    ) -> HttpResponse:
        plural = self.opts.verbose_name_plural
        job = start_job(
            kind=Job.Kind.EXPORT,
            started_by=request.user,
            params=params,
            total=rows,
            description=f"CSV export of {rows:,} {plural}",
        )
        self.message_user(
            request,
            f"{rows:,} {plural} to export: more than {settings.EXPORT_STREAM_LIMIT:,}, so "
            f"the file is written in the background (job #{job.pk}). Its page shows the "
            "progress, and the download once it is done.",
            messages.INFO,
        )
        try:
            return HttpResponseRedirect(reverse("admin:jobs_job_change", args=[job.pk]))
        except NoReverseMatch:
            # Without the jobs admin the job still runs; never a 500 after queueing.
            return HttpResponseRedirect(self._changelist_url())

    def _describe_selection(self, request: HttpRequest, queryset: QuerySet) -> dict[str, Any]:
        """What the export page says will be exported (one COUNT query)."""
        rows = queryset.count()
        filters = changelist_filters(request)
        opts = self.opts
        return {
            "rows": f"{rows:,}",
            "noun": opts.verbose_name if rows == 1 else opts.verbose_name_plural,
            "is_filtered": any(name != ORDER_VAR for name in QueryDict(filters)),
            "search": search_term(request),
            "changelist_url": f"{self._changelist_url()}?{filters}" if filters else "",
            "runs_as_job": rows > settings.EXPORT_STREAM_LIMIT,
            "stream_limit": f"{settings.EXPORT_STREAM_LIMIT:,}",
        }

    def _changelist_url(self) -> str:
        opts = self.opts
        return reverse(f"{self.admin_site.name}:{opts.app_label}_{opts.model_name}_changelist")

    def _export_filename(self) -> str:
        # Only [a-z0-9-] and a fixed extension: safe in any header and file system.
        moment = timezone.localtime().strftime("%Y%m%d-%H%M%S")
        return f"{slugify(self.opts.verbose_name_plural)}-{moment}.csv"
