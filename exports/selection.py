"""Which rows and columns an export holds, as plain data: ``ExportSelection``.

The admin builds one from what its changelist applied (admin_ext.exports.selection)
and either streams its rows or stores it in an export job's params
(``to_params``); the job turns the params back into the same selection
(``from_params``) and the same rows (``rows``), without the admin. Both paths run
one queryset construction, checked against the model's ``rules``.

Privacy: the search words and the values of typed filters (``text_filters``: a
username, a value outside a field's choices) may name a person. A job keeps them
only while it runs (``forgotten`` drops them when it ends, and marks the params
so that a retry is refused rather than exporting other rows); ``filters`` keeps
ids, numbers, dates, choices and yes/no, and ``audit`` what the audit entry
keeps, both safe to keep for as long as the job.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from exports.csv_writer import ExportColumn
from exports.resources import export_columns, resource_named
from exports.rules import ExportRefused, rules_for

EXPORT_FORMAT = "csv"
# Set in a job's params when it forgot a search or typed filter it was given.
SELECTION_FORGOTTEN = "selection_forgotten"

Condition = tuple[str, Any]  # (lookup or condition name, value)


@dataclass(frozen=True)
class AuditedSelection:
    """What the audit entry of an export keeps of the moderator's list: the part
    of its query string that selects by ids, dates, numbers and choices, whether
    a search was made, and the names of the typed filters used (never their
    words)."""

    filters: str = ""
    search: bool = False
    text_filters: tuple[str, ...] = ()

    def as_details(self) -> dict[str, Any]:
        return {
            "filters": self.filters,
            "search": self.search,
            "text_filters": sorted(self.text_filters),
        }


@dataclass(frozen=True)
class ExportSelection:
    """An export, described: the model, its resource and fields (the columns),
    the conditions, the search and the ordering (the rows)."""

    model: str  # "messaging.message"
    resource: str  # "MessageResource"
    fields: tuple[str, ...]
    filters: tuple[Condition, ...] = ()
    text_filters: tuple[Condition, ...] = ()
    search: str = ""
    ordering: tuple[str, ...] = ()
    audit: AuditedSelection = AuditedSelection()
    # The list selects no row at all: the admin refused its search (too long, a
    # NUL) and showed it empty, with a warning; its export is empty too.
    selects_nothing: bool = False

    def rows(self) -> QuerySet:
        """The rows, in order; ExportRefused when a condition, the search or the
        ordering is not one the model's rules allow."""
        rules = rules_for(self.model)
        queryset = rules.rows()
        if self.selects_nothing:
            return queryset.none()
        by_name: dict[str, list[Any]] = {}
        for name, value in (*self.filters, *self.text_filters):
            by_name.setdefault(name, []).append(value)
        for name, values in by_name.items():
            queryset = rules.narrow(queryset, name, values)
        return _ordered(rules.search(queryset, self.search), self.ordering)

    def columns(self) -> list[ExportColumn]:
        """The CSV columns; UnknownExportField for a field the resource lacks."""
        return export_columns(resource_named(self.model, self.resource), self.fields)

    def to_params(self) -> dict[str, Any]:
        """The selection as a job's params (JSON)."""
        return {
            "model": self.model,
            "resource": self.resource,
            "fields": list(self.fields),
            "filters": [[name, _json_value(value)] for name, value in self.filters],
            "text_filters": [[name, _json_value(value)] for name, value in self.text_filters],
            "search": self.search,
            "ordering": list(self.ordering),
            "audit": self.audit.as_details(),
            "selects_nothing": self.selects_nothing,
            "format": EXPORT_FORMAT,
        }

    @classmethod
    def from_params(cls, params: Any) -> ExportSelection:
        """The selection a job's params describe; ExportRefused, with the reason,
        for params it cannot run (forgotten, malformed, or of an older format)."""
        if not isinstance(params, dict):
            raise ExportRefused("This export job has no description of its rows.")
        if params.get(SELECTION_FORGOTTEN):
            raise ExportRefused(
                "This export's search or text filter was forgotten when it ended (it may "
                "name a person), so it cannot be run again: export again from the list."
            )
        if params.get("format", EXPORT_FORMAT) != EXPORT_FORMAT:
            raise ExportRefused(f"Unknown export format {params['format']!r}: only CSV is written.")
        if params.get("filters") and isinstance(params["filters"], str):
            raise ExportRefused(
                "This export was queued by an earlier version, which kept the list's "
                "filters in another form: export again from the list."
            )
        audit = params.get("audit") if isinstance(params.get("audit"), dict) else {}
        return cls(
            model=_text(params.get("model"), "model"),
            resource=_text(params.get("resource"), "resource"),
            fields=_texts(params.get("fields"), "fields"),
            filters=_conditions(params.get("filters") or ()),
            text_filters=_conditions(params.get("text_filters") or ()),
            search=_text(params.get("search", ""), "search"),
            ordering=_texts(params.get("ordering") or (), "ordering"),
            audit=AuditedSelection(
                filters=_text(audit.get("filters", ""), "audit filters"),
                search=bool(audit.get("search", params.get("search"))),
                text_filters=_texts(audit.get("text_filters") or (), "audit text filters"),
            ),
            selects_nothing=params.get("selects_nothing") is True,
        )


def forgotten(params: dict[str, Any]) -> dict[str, Any]:
    """``params`` without the search words and typed filters' values, marked so
    that a retry is refused if they selected rows (see the module docstring)."""
    if params.get(SELECTION_FORGOTTEN):
        return params  # forgotten already
    kept = dict(params)
    selected_by_text = bool(kept.pop("search", "")) | bool(kept.pop("text_filters", None))
    if isinstance(kept.get("filters"), str) and kept["filters"]:
        # An earlier version's query string, which may hold search words.
        kept["filters"] = ""
        selected_by_text = True
    if selected_by_text:
        kept[SELECTION_FORGOTTEN] = True
    return kept


def _ordered(queryset: QuerySet, ordering: Sequence[str]) -> QuerySet:
    """``queryset`` in ``ordering``: the model's own columns and the annotations of
    its rules only, never a path into another table."""
    if not ordering:
        return queryset
    concrete = {"pk"} | {
        name
        for field in queryset.model._meta.concrete_fields
        for name in (field.name, field.attname)
    }
    for term in ordering:
        name = term.removeprefix("-")
        if name not in concrete and name not in queryset.query.annotations:
            raise ExportRefused(f"This export cannot be sorted by {name}.")
    return queryset.order_by(*ordering)


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime.date | datetime.time):  # a datetime is a date
        return value.isoformat()
    if isinstance(value, tuple | list):
        return [_json_value(item) for item in value]
    return value


def _text(value: Any, what: str) -> str:
    if not isinstance(value, str):
        raise ExportRefused(f"This export job's {what} is not text: {value!r}.")
    return value


def _texts(values: Any, what: str) -> tuple[str, ...]:
    if not isinstance(values, list | tuple):
        raise ExportRefused(f"This export job's {what} is not a list: {values!r}.")
    return tuple(_text(value, what) for value in values)


def _conditions(pairs: Any) -> tuple[Condition, ...]:
    if not isinstance(pairs, list | tuple) or not all(
        isinstance(pair, list | tuple) and len(pair) == 2 and isinstance(pair[0], str)
        for pair in pairs
    ):
        raise ExportRefused(f"This export job's filters are not (name, value) pairs: {pairs!r}.")
    return tuple((name, value) for name, value in pairs)
