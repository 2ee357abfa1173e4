"""Which rows an export holds: the changelist's, filters and search applied.

The admin (``mixins.CsvExportAdminMixin``) and the background job
(``files.write_export_file``) both get their rows from the same call,
``ModelAdmin.get_export_queryset(request)``: django-import-export builds the
changelist (``ChangeList``) from the request's query string, so the list filters,
the search, the ordering and the ModelAdmin's ``get_queryset`` all apply.

A job has no request: it stores the changelist's query string (``filters``) and
replays it as a GET of the changelist URL made by the moderator who started it
(``changelist_request``). The rows are therefore exactly those the moderator's
list selected, as of the moment the job runs, and only if that moderator may
still export them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.apps import apps
from django.contrib import admin
from django.contrib.admin.views.main import ALL_VAR, ERROR_FLAG, PAGE_VAR, SEARCH_VAR
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest
from django.test import RequestFactory
from django.urls import reverse

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser
    from import_export.admin import ExportMixin

# Changelist parameters that page through the rows but do not select them.
_NOT_SELECTING = (PAGE_VAR, ALL_VAR, ERROR_FLAG)


def changelist_filters(request: HttpRequest) -> str:
    """The query string that selects the rows: filters, search and ordering."""
    params = request.GET.copy()
    for name in _NOT_SELECTING:
        params.pop(name, None)
    return params.urlencode()


def search_term(request: HttpRequest) -> str:
    return request.GET.get(SEARCH_VAR, "")


def export_model_admin(model_label: str) -> ExportMixin:
    """The registered ModelAdmin of ``model_label`` ("messaging.message"), if it exports."""
    from admin_ext.exports.mixins import CsvExportAdminMixin

    model_admin = admin.site.get_model_admin(apps.get_model(model_label))
    if not isinstance(model_admin, CsvExportAdminMixin):
        raise ValueError(f"{model_label} has no CSV export in the admin.")
    return model_admin


def changelist_request(
    model_admin: ExportMixin, *, filters: str, user: AbstractBaseUser
) -> HttpRequest:
    """A GET of the changelist with ``filters``, made by ``user``: what the
    ChangeList needs to select the same rows outside the original request."""
    opts = model_admin.opts
    url = reverse(f"{model_admin.admin_site.name}:{opts.app_label}_{opts.model_name}_changelist")
    request = RequestFactory().get(f"{url}?{filters}" if filters else url)
    request.user = user
    return request


def rebuild_export_queryset(
    *, model_label: str, filters: str, user: AbstractBaseUser | None
) -> tuple[ExportMixin, HttpRequest, QuerySet]:
    """The rows ``user`` saw in the changelist of ``model_label`` with ``filters``.

    Checked again as at the request: the user must still reach the admin and hold
    the export permission (a moderator removed from the group since queueing the
    job gets nothing).
    """
    if user is None:
        raise PermissionDenied("The account that started this export no longer exists.")
    model_admin = export_model_admin(model_label)
    request = changelist_request(model_admin, filters=filters, user=user)
    if not (
        model_admin.admin_site.has_permission(request)
        and model_admin.has_export_permission(request)
    ):
        raise PermissionDenied(f"Account {user.pk} may not export {model_label} any more.")
    return model_admin, request, model_admin.get_export_queryset(request)
