"""Which rows an export holds: the changelist's, described as an ``ExportSelection``.

The admin builds the moderator's changelist from the request (``export_changelist``:
its filters, search and ordering, checked as the list checks them: an unknown or
forbidden filter is refused here, in the request) and describes what it applied
in plain data (``export_selection``):

- a field filter (Django's, unfold's) applies its ``used_parameters``, plain ORM
  lookups; the desk's own filters say what they apply (``ExportableFilter``);
- the search term, applied by the model's export rules as the admin applies it;
- the ordering the list was sorted by;
- what the audit entry may keep (``audit.audited_selection``), and which
  filters' values are typed text that a job must forget (``text_filters``).

The stream and the background job then both take their rows from
``ExportSelection.rows()`` (exports.selection), never from a replayed request.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib.admin import FieldListFilter, ListFilter
from django.contrib.admin.views.main import ALL_VAR, ERROR_FLAG, PAGE_VAR, SEARCH_VAR, ChangeList
from django.db.models import F, OrderBy
from django.http import HttpRequest

from admin_ext.admin.filters import ExportableFilter
from admin_ext.exports.audit import audited_selection, selects_without_text, text_filter_parameters
from exports.rules import ExportRefused
from exports.selection import Condition, ExportSelection

if TYPE_CHECKING:
    from import_export.admin import ExportMixin
    from import_export.resources import ModelResource

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


def export_changelist(model_admin: ExportMixin, request: HttpRequest) -> ChangeList:
    """The request's changelist, its rows not fetched (no page, no COUNT): what
    django-import-export's ``get_export_queryset`` builds. Raises what the list
    raises for a bad filter (IncorrectLookupParameters, a forbidden lookup)."""
    list_display = model_admin.get_list_display(request)
    if model_admin.get_actions(request):
        list_display = ["action_checkbox", *list_display]

    class RowsOnly(model_admin.get_changelist(request)):
        def get_results(self, request: HttpRequest) -> None:
            pass

    return RowsOnly(
        request=request,
        model=model_admin.model,
        list_display=list_display,
        list_display_links=model_admin.get_list_display_links(request, list_display),
        list_filter=model_admin.get_list_filter(request),
        date_hierarchy=model_admin.date_hierarchy,
        search_fields=model_admin.get_search_fields(request),
        list_select_related=model_admin.get_list_select_related(request),
        list_per_page=model_admin.list_per_page,
        list_max_show_all=model_admin.list_max_show_all,
        list_editable=model_admin.list_editable,
        model_admin=model_admin,
        sortable_by=model_admin.sortable_by,
        search_help_text=model_admin.search_help_text,
    )


def export_selection(
    model_admin: ExportMixin,
    request: HttpRequest,
    *,
    resource_class: type[ModelResource],
    fields: tuple[str, ...],
) -> ExportSelection:
    """What the request's changelist selects, as plain data; ExportRefused when
    the list applies something an export cannot carry."""
    changelist = export_changelist(model_admin, request)
    model = model_admin.model
    text_filter_names = text_filter_parameters(model_admin, request)
    filters: list[Condition] = []
    text_filters: list[Condition] = []
    for spec in changelist.filter_specs:
        conditions = _applied_conditions(spec, request, model_admin)
        typed = not all(
            selects_without_text(model, name, value, text_filter_names)
            for name in spec.expected_parameters()
            for value in request.GET.getlist(name)
        )
        (text_filters if typed else filters).extend(conditions)
    # The admin refused the search (too long, a NUL), said why and listed nothing.
    selects_nothing = changelist.queryset.query.is_empty()
    return ExportSelection(
        model=model_admin.opts.label_lower,
        resource=resource_class.__name__,
        fields=fields,
        filters=tuple(filters),
        text_filters=tuple(text_filters),
        search="" if selects_nothing else changelist.query,
        ordering=_ordering(changelist),
        audit=audited_selection(model_admin, request, changelist_filters(request)),
        selects_nothing=selects_nothing,
    )


def _applied_conditions(
    spec: ListFilter, request: HttpRequest, model_admin: ExportMixin
) -> list[Condition]:
    if isinstance(spec, ExportableFilter):
        return spec.export_conditions()
    if isinstance(spec, FieldListFilter):
        # What FieldListFilter.queryset applies, when the filter applies anything
        # (unfold's dropdowns skip an empty value): each lookup, any of its values.
        applied = spec.queryset(request, model_admin.model._default_manager.all())
        if applied is None or not applied.query.where:
            return []
        return [
            (name, value)
            for name, values in spec.used_parameters.items()
            for value in (values if isinstance(values, list) else [values])
        ]
    if any(value not in ("", [""]) for value in getattr(spec, "used_parameters", {}).values()):
        raise ExportRefused(f"The “{spec.title}” filter cannot be exported.")
    return []


def _ordering(changelist: ChangeList) -> tuple[str, ...]:
    """The list's ordering as field or annotation names ("-timestamp"), each once
    (the changelist repeats the model's ordering after its own: a no-op in SQL)."""
    ordering: dict[str, str] = {}
    for term in changelist.queryset.query.order_by:
        if isinstance(term, str):
            name = term
        elif isinstance(term, OrderBy) and isinstance(term.expression, F):
            name = f"{'-' if term.descending else ''}{term.expression.name}"
        else:
            raise ExportRefused(f"This export cannot be sorted by {term}.")
        ordering.setdefault(name.removeprefix("-"), name)
    return tuple(ordering.values())
