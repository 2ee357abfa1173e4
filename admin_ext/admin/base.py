"""What several admins of the desk share."""

from __future__ import annotations

from collections.abc import Iterable
from itertools import islice
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.admin import helpers
from django.contrib.admin.options import ActionLocation, IncorrectLookupParameters
from django.contrib.admin.utils import flatten_fieldsets, unquote
from django.core.exceptions import BadRequest, PermissionDenied, ValidationError
from django.db.models import Field, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.text import capfirst, smart_split
from simple_history.admin import SimpleHistoryAdmin
from unfold.admin import ModelAdmin
from unfold.views import ChangeList

from admin_ext.admin.paginators import LargeTablePaginator
from moderation_site import roles
from moderation_site.roles import Page

# A search runs one condition per word (the messages' search one user lookup
# each too): thousands of words make a query SQLite refuses ("Expression tree is
# too large") and PostgreSQL spends seconds on, and SQLite refuses a LIKE pattern
# over 50,000 bytes. Longer than any phrase a moderator looks for.
MAX_SEARCH_WORDS = 20
MAX_SEARCH_TERM_LENGTH = 1_000


def search_term_problem(search_term: str) -> str | None:
    """Why ``search_term`` must not be searched, or None: it holds a NUL (no
    stored text can; PostgreSQL refuses it as a parameter), or more than
    MAX_SEARCH_TERM_LENGTH characters or MAX_SEARCH_WORDS words. The lists'
    search boxes and the command palette (``admin_ext.command_search``) ask it."""
    if "\x00" in search_term:
        return "A search cannot contain a NUL character"
    if len(search_term) > MAX_SEARCH_TERM_LENGTH:
        return f"Search for at most {MAX_SEARCH_TERM_LENGTH:,} characters"
    if len(list(islice(smart_split(search_term), MAX_SEARCH_WORDS + 1))) > MAX_SEARCH_WORDS:
        return f"Search for at most {MAX_SEARCH_WORDS} words"
    return None


def is_valid_id(field: Field, value: Any) -> bool:
    """Whether ``value`` can be looked up in ``field`` (a primary key): it converts
    and lies within the database's range for the column.

    Checked before a query for ids that come from a request: ``abc`` or a NUL
    raise ValueError in ``filter(pk__in=...)``, and an id beyond 64 bits raises
    OverflowError on SQLite, where both should simply find nothing.
    """
    try:
        field.run_validators(field.to_python(value))
    except (ValidationError, TypeError, ValueError):
        return False
    return True


def valid_ids(field: Field, values: Iterable[Any]) -> list[Any]:
    """The ids among ``values`` (a selection from a request), sorted, each once.

    What is not an id is left out: a forged "abc" or an id beyond the column's
    range selects nothing rather than failing in the query.
    """
    return sorted({field.to_python(value) for value in values if is_valid_id(field, value)})


def selected_ids(request: HttpRequest, queryset: QuerySet, *, limit: int) -> list[Any]:
    """The ids a changelist action was run on: the checked rows, or with "select
    all" the list's rows, at most one over ``limit`` (enough for the caller to
    refuse the selection)."""
    if forms.BooleanField().to_python(request.POST.get("select_across")):
        return list(queryset.values_list("pk", flat=True)[: limit + 1])
    return valid_ids(queryset.model._meta.pk, request.POST.getlist(helpers.ACTION_CHECKBOX_NAME))


def lookup_problem(error: IncorrectLookupParameters) -> str:
    """What was wrong with a changelist's query string, in words for the moderator
    (Django wraps a field's ValidationError, whose str() is a Python list)."""
    # Django re-raises a page beyond the last bare, from the paginator's error.
    cause = error.args[0] if error.args else (error.__context__ or error)
    if isinstance(cause, ValidationError):
        return " ".join(cause.messages)
    return str(cause)


class DeskChangeList(ChangeList):
    """unfold's changelist, filtering only by what its list filters declare
    (their ``expected_parameters()``), besides search, ordering and paging.

    Django also applies any other lookup on the model's own fields straight from
    the query string: ``?reason__regex=(((`` or ``?created_at__year=`` followed
    by 20 digits was a server error (PostgreSQL refuses the regular expression,
    Python the year), and any column, one the list never shows included (an
    audit entry's ``details``), was a hidden filter. Such a parameter is refused
    as a bad filter value is: Django's redirect to the list with ``?e=1``.

    Its title is the desk's name for the list (the admin's ``list_title``, else
    the model's plural), not Django's "Select message to change".
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_popup:  # a popup does ask to select one
            self.title = getattr(self.model_admin, "list_title", None) or capfirst(
                self.opts.verbose_name_plural
            )

    def get_results(self, request: HttpRequest) -> None:
        super().get_results(request)
        if not self.is_filtered:
            # The whole table is the list: unfold then shows no "N results (Show
            # all)" beside the title, which would offer to unfilter nothing.
            self.full_result_count = self.result_count

    @property
    def is_filtered(self) -> bool:
        return bool(self.has_active_filters or self.query)

    def get_filters(self, request: HttpRequest) -> tuple[Any, ...]:
        filter_specs, has_filters, remaining, *flags = super().get_filters(request)
        # What date_hierarchy turns its year/month/day into (Django, above).
        derived = (
            {f"{self.date_hierarchy}__gte", f"{self.date_hierarchy}__lt"}
            if self.date_hierarchy
            else set()
        )
        undeclared = sorted(set(remaining) - derived)
        if undeclared:
            raise IncorrectLookupParameters(
                f"This list has no filter named {', '.join(undeclared)}."
            )
        return (filter_specs, has_filters, remaining, *flags)


class DeclaredFiltersAdminMixin:
    """A ModelAdmin whose changelist (and export) filters only by what its list
    filters declare (``DeskChangeList``), and says why when it refuses a query.

    Its lists never count all their rows (``LargeTablePaginator``: an estimate
    or a count capped at 10,000), nor the unfiltered list again beside a
    filtered one (Django's "N results (M total)").
    """

    paginator = LargeTablePaginator
    show_full_result_count = False

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[ChangeList]:
        return DeskChangeList  # the export's rows (import-export) are built with it too

    def get_changelist_instance(self, request: HttpRequest) -> ChangeList:
        try:
            return super().get_changelist_instance(request)
        except IncorrectLookupParameters as error:
            # Django answers with the bare list and "?e=1": say what was wrong.
            self.message_user(
                request, f"{lookup_problem(error)} The list is shown unfiltered.", messages.WARNING
            )
            raise


def admin_url(model_admin: Any, view: str, *args: object) -> str:
    """The URL of ``model_admin``'s page ``view`` ("changelist", "change", ...)."""
    opts = model_admin.opts
    return reverse(
        f"{model_admin.admin_site.name}:{opts.app_label}_{opts.model_name}_{view}", args=args
    )


def missing_account_redirect(model_admin: Any, request: HttpRequest, object_id: str) -> Any:
    """Back to the users list with a warning: the account of a page asked for by
    id is gone (deleted since the link was made, or never there)."""
    model_admin.message_user(
        request,
        f"The account with id “{object_id}” does not exist (perhaps it was deleted).",
        messages.WARNING,
    )
    return HttpResponseRedirect(admin_url(model_admin, "changelist"))


class DeskModelAdmin(DeclaredFiltersAdminMixin, ModelAdmin):
    """unfold's ModelAdmin, within the role policy, refusing malformed input
    instead of failing on it: a search term no database should run, and a
    forged action selection.

    Its permissions are Django's (the Moderators group's) within what the role
    policy (``moderation_site.roles``) allows, so the pages offer only what the
    site's gate lets through: a permission granted by hand to an account does
    not show a button its role would refuse.
    """

    # "View on site" would send moderators to the people's own pages (404).
    view_on_site = False
    # Actions a list does not offer although a base class brings them (say
    # ``delete_selected``, where rows go another way): applied by get_actions.
    withheld_actions: tuple[str, ...] = ()

    def role_allows(self, request: HttpRequest, page: str) -> bool:
        return roles.allows(request.user, self.opts.label_lower, page)

    def get_object(self, request: HttpRequest, object_id: str, from_field: Any = None) -> Any:
        # Letters, or an id beyond 64 bits (an OverflowError on SQLite): simply no object.
        field = self.opts.pk if from_field is None else self.opts.get_field(from_field)
        if not is_valid_id(field, object_id):
            return None
        return super().get_object(request, object_id, from_field)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.role_allows(request, Page.VIEW) and super().has_view_permission(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.role_allows(request, Page.CHANGE) and super().has_change_permission(
            request, obj
        )

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return self.role_allows(request, Page.ADD) and super().has_add_permission(request, *args)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.role_allows(request, Page.DELETE) and super().has_delete_permission(
            request, obj
        )

    def get_actions(
        self, request: HttpRequest, action_location: ActionLocation = ActionLocation.CHANGE_LIST
    ) -> dict[str, Any]:
        actions = super().get_actions(request, action_location=action_location)
        for name in self.withheld_actions:
            actions.pop(name, None)
        return actions

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet, search_term: str
    ) -> tuple[QuerySet, bool]:
        if self.refuse_search_term(request, search_term):
            return queryset.none(), False
        return super().get_search_results(request, queryset, search_term)

    def refuse_search_term(self, request: HttpRequest, search_term: str) -> bool:
        """True, with a warning for the moderator, when ``search_term`` must not be
        searched: it holds a NUL (no stored text can; PostgreSQL refuses it as a
        parameter), or more than MAX_SEARCH_TERM_LENGTH characters or
        MAX_SEARCH_WORDS words."""
        problem = search_term_problem(search_term)
        if problem is None:
            return False
        self.message_user(request, f"{problem}: nothing was searched.", messages.WARNING)
        return True

    def response_action(
        self, request: HttpRequest, queryset: QuerySet, *args: Any, **kwargs: Any
    ) -> HttpResponse | None:
        # The changelist's checkboxes only ever send ids; Django filters by
        # whatever arrives, and "abc" or 10**30 failed in the query (a 500).
        selected = request.POST.getlist(helpers.ACTION_CHECKBOX_NAME)
        if not all(is_valid_id(self.opts.pk, value) for value in selected):
            raise BadRequest("The selection holds something that is not an id.")
        return super().response_action(request, queryset, *args, **kwargs)


class VersionHistoryAdmin(SimpleHistoryAdmin):
    """django-simple-history's version pages (History button), read-only unless
    the role policy lets the account revert (``Page.REVERT``: superusers, and
    only where the policy says so) and it may change the object.

    simple-history's page of one version saves its form on POST for anyone who
    may view the object, with the whole model form (for an account: superuser
    flag, groups, permissions, e-mail): a moderator made themselves superuser
    that way. The site's gate refuses that POST; this refuses it again, shows
    the version read-only, and hides the Revert button. Object and version ids
    that are not ids are a 404 (simple-history looked them up unchecked).
    """

    def may_revert(self, request: HttpRequest, obj: Any = None) -> bool:
        return roles.allows(
            request.user, self.opts.label_lower, Page.REVERT
        ) and self.has_change_permission(request, obj)

    def revert_disabled(self, request: HttpRequest, obj: Any = None) -> bool:
        return not self.may_revert(request, obj)

    def history_view(
        self, request: HttpRequest, object_id: str, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        if not is_valid_id(self.opts.pk, unquote(object_id)):
            raise Http404("No such object.")
        return super().history_view(request, object_id, extra_context)

    def history_form_view(
        self,
        request: HttpRequest,
        object_id: str,
        version_id: str,
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        versions = getattr(self.model, self.opts.simple_history_manager_attribute)
        if not (
            is_valid_id(self.opts.pk, unquote(object_id))
            and is_valid_id(versions.model._meta.pk, version_id)
        ):
            raise Http404("No such version.")
        obj = self.get_object(request, unquote(object_id))
        if not self.may_revert(request, obj):
            if request.method not in ("GET", "HEAD"):
                raise PermissionDenied
            request._version_read_only = True
        return super().history_form_view(request, object_id, version_id, extra_context)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if getattr(request, "_version_read_only", False):
            return flatten_fieldsets(self.get_fieldsets(request, obj))
        return super().get_readonly_fields(request, obj)


class ReadOnlyAdminMixin:
    """A record nobody writes through the admin, superusers included: it is
    written only by the services whose work it records (edit log, audit log,
    jobs). Without delete permission Django also drops ``delete_selected``."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
