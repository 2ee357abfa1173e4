"""The audit entry of an export: one writer for the streamed export and the job.

Audit entries outlive every account they mention, so an export's entry keeps
only what selected its rows by ids, numbers, dates and choice values
(``sender__id__exact=5``, ``unread=1``, ``action__in=account_deleted``): never the
search words (``q``) nor the value of a text filter (the audit log's ``target``
takes a username), which may name a person or quote what they wrote. That a
search or a text filter was used is kept, without its words.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from django.contrib.admin.views.main import ORDER_VAR, SEARCH_VAR
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.http import HttpRequest, QueryDict
from unfold.contrib.filters.admin import TextFilter

from audit.models import AuditEntry
from audit.services import record_audit_entry

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser
    from import_export.admin import ExportMixin

EXPORT_FORMAT = "csv"

# Ids, numbers, dates and times as the admin's filters send them.
_PLAIN_VALUE = re.compile(r"[0-9:.,+\-/ TZ]*|true|false|True|False")
_ORDERING = re.compile(r"[0-9.\-]*")
# The two halves (and date / time parts) of unfold's range filters.
_RANGE_SUFFIX = re.compile(r"_(?:from|to)(?:_[01])?$")
_PARAMETER_NAME = re.compile(r"\w+")
# Free text, unless the field offers choices.
_TEXT_FIELDS = (
    models.CharField,
    models.TextField,
    models.JSONField,
    models.GenericIPAddressField,
)


def audited_selection(
    model_admin: ExportMixin, request: HttpRequest, filters: str
) -> dict[str, Any]:
    """What the audit log may keep of a changelist's query string ``filters``:
    ``{"filters": the selecting part, "search": bool, "text_filters": [names]}``."""
    model = model_admin.model
    text_filter_names = {
        list_filter.parameter_name
        for list_filter in model_admin.get_list_filter(request)
        if isinstance(list_filter, type) and issubclass(list_filter, TextFilter)
    }
    kept = QueryDict(mutable=True)
    searched = False
    text_filters: list[str] = []
    for name, values in QueryDict(filters).lists():
        if name == SEARCH_VAR:
            searched = searched or any(value.strip() for value in values)
        elif name == ORDER_VAR:
            if all(_ORDERING.fullmatch(value) for value in values):
                kept.setlist(name, values)
        elif all(_selects_without_text(model, name, value, text_filter_names) for value in values):
            kept.setlist(name, values)
        elif _PARAMETER_NAME.fullmatch(name):
            text_filters.append(name)
    return {"filters": kept.urlencode(), "search": searched, "text_filters": sorted(text_filters)}


def record_export(
    *,
    actor: AbstractBaseUser | None,
    model_admin: ExportMixin,
    request: HttpRequest,
    filters: str,
    rows: int,
    fields: list[str],
    job_id: int | None,
) -> AuditEntry:
    """The one audit entry of an export: when the stream starts, or when the
    job's file is published (in the transaction that publishes it)."""
    return record_audit_entry(
        action=AuditEntry.Action.EXPORT,
        actor=actor,
        details={
            "model": model_admin.opts.label_lower,
            **audited_selection(model_admin, request, filters),
            "rows": rows,
            "format": EXPORT_FORMAT,
            "job_id": job_id,
            "fields": fields,
        },
    )


def _selects_without_text(
    model: type[models.Model], name: str, value: str, text_filter_names: set[str]
) -> bool:
    field = _field_of(model, name)
    if field is None:
        # A filter of the admin's own (unread, has replies): its choices are
        # plain values; a text filter's value is whatever was typed.
        return name not in text_filter_names and bool(_PLAIN_VALUE.fullmatch(value))
    if field.choices:
        choices = {str(choice) for choice, _ in field.flatchoices}
        return all(item in choices for item in value.split(","))
    if isinstance(field, _TEXT_FIELDS):
        return False
    return bool(_PLAIN_VALUE.fullmatch(value))


def _field_of(model: type[models.Model], name: str) -> models.Field | None:
    """The model field a filter parameter compares (``sender__id__exact`` → the
    related user's ``id``), or None when it names no field."""
    field = None
    for part in _RANGE_SUFFIX.sub("", name).split("__"):
        try:
            field = model._meta.get_field(part)
        except FieldDoesNotExist:
            break  # a lookup (exact, in, gte): the field before it is compared
        if field.is_relation and field.related_model is not None:
            model = field.related_model
    return field if isinstance(field, models.Field) else None
