"""Changelist filters of the moderators' admin that no field filter expresses.

Each says what it selects as conditions an export can carry (``ExportableFilter``):
lookups, or named rules of the domain (``MessageQuerySet.by_unread``,
``by_replies``, ``messaging.selectors.by_unread_messages``) that the filter and
the export both call, so each rule lives in one place.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.validators import EMPTY_VALUES
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from unfold.contrib.filters import admin as unfold_filters
from unfold.contrib.filters.admin import RadioFilter, RangeDateFilter
from unfold.contrib.filters.forms import HorizontalRadioForm, RadioForm
from unfold.utils import parse_date_str, parse_datetime_str

from admin_ext.admin.base import is_valid_id
from audit.models import AuditEntry
from messaging.selectors import by_unread_messages

YES = "1"
NO = "0"


class ExportableFilter:
    """A list filter whose selection is conditions an export can carry without
    the admin (``exports.rules``: lookups and named domain rules).

    ``export_conditions()`` names them; ``queryset`` applies the same ones, so a
    list and its export (streamed, or rebuilt by a background job) always select
    the same rows. Django's own field filters need no such method: what they apply
    is their ``used_parameters`` (admin_ext.exports.selection).
    """

    def export_conditions(self) -> list[tuple[str, Any]]:
        raise NotImplementedError


class YesNoFilter(ExportableFilter, RadioFilter):
    """A horizontal All / Yes / No choice; subclasses say what Yes and No select,
    with the domain rule named like the parameter (``exports.rules``)."""

    form_class = HorizontalRadioForm
    answers: tuple[tuple[str, str], tuple[str, str]] = ((YES, "Yes"), (NO, "No"))

    def lookups(self, request: HttpRequest, model_admin: object) -> list[tuple[str, str]]:
        return list(self.answers)

    def answer(self) -> bool | None:
        (yes, _), (no, _) = self.answers
        return {yes: True, no: False}.get(self.value() or "")

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        answer = self.answer()
        return queryset if answer is None else self.select(queryset, answer)

    def export_conditions(self) -> list[tuple[str, Any]]:
        answer = self.answer()
        return [] if answer is None else [(self.parameter_name, answer)]

    def select(self, queryset: QuerySet, answer: bool) -> QuerySet:
        raise NotImplementedError


class UnreadFilter(YesNoFilter):
    """Unread as the ``Message.unread`` manager defines it (``by_unread``), so the
    admin and the inboxes never disagree on what "unread" means."""

    title = "unread"
    parameter_name = "unread"

    def select(self, queryset: QuerySet, answer: bool) -> QuerySet:
        return queryset.by_unread(answer)


class HasRepliesFilter(YesNoFilter):
    """Messages someone answered: an EXISTS over the parent_message index, never a
    JOIN and GROUP BY over the table."""

    title = "has replies"
    parameter_name = "has_replies"

    def select(self, queryset: QuerySet, answer: bool) -> QuerySet:
        return queryset.by_replies(answer)


class HasUnreadFilter(YesNoFilter):
    """Accounts with a message they have not read (``by_unread_messages``)."""

    title = "unread messages"
    parameter_name = "has_unread"
    form_class = RadioForm
    answers = (("yes", "Has unread messages"), ("no", "No unread messages"))

    def select(self, queryset: QuerySet, answer: bool) -> QuerySet:
        return by_unread_messages(queryset, answer)


class RangeDateTimeFilter(ExportableFilter, unfold_filters.RangeDateTimeFilter):
    """unfold's date-time range, read in the current time zone.

    unfold parses the bounds into naive datetimes, which Django (USE_TZ) can only
    compare after a "naive datetime" RuntimeWarning; here they are made aware the
    way Django's own form fields do. A bound that does not parse is ignored.
    """

    def bounds(self) -> dict[str, datetime.datetime]:
        bounds = {}
        for side, lookup in (("from", "gte"), ("to", "lte")):
            date_value = self.used_parameters.get(f"{self.parameter_name}_{side}_0")
            time_value = self.used_parameters.get(f"{self.parameter_name}_{side}_1")
            if date_value in EMPTY_VALUES or time_value in EMPTY_VALUES:
                continue
            moment = parse_datetime_str(f"{date_value} {time_value}")
            if moment is None:
                continue
            if settings.USE_TZ and timezone.is_naive(moment):
                moment = timezone.make_aware(moment)
            bounds[f"{self.parameter_name}__{lookup}"] = moment
        return bounds

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        return queryset.filter(**self.bounds())

    def export_conditions(self) -> list[tuple[str, Any]]:
        return list(self.bounds().items())


class JoinedBetweenFilter(ExportableFilter, RangeDateFilter):
    """unfold's date range on ``date_joined`` (a datetime), both days included.

    The stock filter compares the datetime with a bare date: midnight, so the
    last day was left out (and Django warns about the naive datetime).
    """

    def bounds(self) -> dict[str, datetime.date] | None:
        """The days, or None when one does not parse (unfold's form says so, and
        the list is not filtered by it)."""
        bounds = {}
        for suffix, lookup in (("_from", "gte"), ("_to", "lte")):
            value = self.used_parameters.get(f"{self.parameter_name}{suffix}")
            if value in EMPTY_VALUES or not isinstance(value, str):
                continue
            day = parse_date_str(value)
            if day is None:
                return None
            bounds[f"{self.field_path}__date__{lookup}"] = day
        return bounds

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet | None:
        bounds = self.bounds()
        return None if bounds is None else queryset.filter(**bounds)

    def export_conditions(self) -> list[tuple[str, Any]]:
        return list((self.bounds() or {}).items())


class AutocompleteFilter(unfold_filters.AutocompleteSelectFilter):
    """unfold's autocomplete filter on a relation (sender, editor, actor), refusing
    a value that is not an id of the related model, as Django's changelist does
    with a bad lookup (a redirect with ``?e=1``).

    Its widget looks the selected value up with ``pk__in``, outside the changelist's
    own checks: ``?sender__id__exact=`` followed by 30 digits was a server error
    on SQLite (OverflowError) instead of an empty list.
    """

    def __init__(self, field: Any, request: HttpRequest, *args: Any, **kwargs: Any) -> None:
        super().__init__(field, request, *args, **kwargs)
        for value in self.lookup_val or ():
            if not is_valid_id(field.target_field, value):
                raise IncorrectLookupParameters(f"{value!r} is not an id of {field.name}.")


class AuditTargetFilter(ExportableFilter, unfold_filters.TextFilter):
    """The audit entries about one person: ``#123`` for the account id, anything
    else for the username exactly as the entry kept it.

    Entries keep their target as text (the account may be gone), so both work
    for deleted accounts too. The id is the sure way (audit_target_idx; a
    username can be taken again once its account is deleted); a username has no
    index and is compared row by row, the log read newest first until a page is
    full.
    """

    title = "target user"
    parameter_name = "target"

    def export_conditions(self) -> list[tuple[str, Any]]:
        value = (self.value() or "").strip()
        if not value:
            return []
        if "\x00" in value:  # no username holds one; PostgreSQL refuses it
            raise IncorrectLookupParameters("A username cannot contain a NUL character.")
        if value.startswith("#"):
            user_id = value[1:].strip()
            if not is_valid_id(AuditEntry._meta.get_field("target_user_id"), user_id):
                raise IncorrectLookupParameters(f"{value!r} is not an account id.")
            return [("target_user_id", int(user_id))]
        return [("target_username", value)]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        return queryset.filter(**dict(self.export_conditions()))


class AuditCaseFilter(ExportableFilter, unfold_filters.TextFilter):
    """The audit entries of one moderation case, its timeline (audit_case_idx): a
    case id, with or without its "#". The parameter is Django's own spelling of
    the lookup, so ``?case_id__exact=12`` (a case page's link) fills this field.
    """

    title = "case"
    parameter_name = "case_id__exact"

    def export_conditions(self) -> list[tuple[str, Any]]:
        value = (self.value() or "").strip().removeprefix("#").strip()
        if not value:
            return []
        if not is_valid_id(AuditEntry._meta.get_field("case_id"), value):
            raise IncorrectLookupParameters(f"{self.value()!r} is not a case id.")
        return [("case_id", int(value))]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        return queryset.filter(**dict(self.export_conditions()))
