"""What an export may keep of the moderator's list: the audit entry's selection,
and which filters' values a job must forget.

Audit entries outlive every account they mention, so an export's entry keeps
only what selected its rows by ids, numbers, dates and choice values
(``sender__id__exact=5``, ``unread=1``, ``action__exact=account_deleted``): never
the search words (``q``) nor the value of a text filter (the audit log's
``target`` takes a username), which may name a person or quote what they wrote.
That a search or a text filter was used is kept, without its words. The entry
itself is written by ``exports.audit.record_export``.

Worked out here, in the request, because it reads the changelist's query string
and the admin's filters; the result travels in the ``ExportSelection``.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from django.contrib.admin.views.main import ORDER_VAR, SEARCH_VAR
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.http import HttpRequest, QueryDict
from unfold.contrib.filters.admin import TextFilter

from exports.selection import AuditedSelection

if TYPE_CHECKING:
    from import_export.admin import ExportMixin

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
) -> AuditedSelection:
    """What the audit log may keep of a changelist's query string ``filters``."""
    model = model_admin.model
    text_filter_names = text_filter_parameters(model_admin, request)
    kept = QueryDict(mutable=True)
    searched = False
    text_filters: list[str] = []
    for name, values in QueryDict(filters).lists():
        if name == SEARCH_VAR:
            searched = searched or any(value.strip() for value in values)
        elif name == ORDER_VAR:
            if all(_ORDERING.fullmatch(value) for value in values):
                kept.setlist(name, values)
        elif all(selects_without_text(model, name, value, text_filter_names) for value in values):
            kept.setlist(name, values)
        elif _PARAMETER_NAME.fullmatch(name):
            text_filters.append(name)
    return AuditedSelection(
        filters=kept.urlencode(), search=searched, text_filters=tuple(sorted(text_filters))
    )


def text_filter_parameters(model_admin: ExportMixin, request: HttpRequest) -> set[str]:
    """The parameters of the list's text filters, whose values are typed words."""
    return {
        list_filter.parameter_name
        for list_filter in model_admin.get_list_filter(request)
        if isinstance(list_filter, type) and issubclass(list_filter, TextFilter)
    }


def selects_without_text(
    model: type[models.Model], name: str, value: str, text_filter_names: set[str]
) -> bool:
    """Whether the changelist parameter ``name=value`` selects by an id, a number,
    a date or a choice (safe to keep) rather than by typed text."""
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
