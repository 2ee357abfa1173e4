"""Changelist filters of the moderators' admin that no field filter expresses."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.validators import EMPTY_VALUES
from django.db.models import Exists, OuterRef, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from unfold.contrib.filters import admin as unfold_filters
from unfold.contrib.filters.admin import RadioFilter
from unfold.contrib.filters.forms import HorizontalRadioForm
from unfold.utils import parse_datetime_str

from admin_ext.admin.base import is_valid_id
from messaging.models import Message

YES = "1"
NO = "0"


class YesNoFilter(RadioFilter):
    """A horizontal All / Yes / No choice; subclasses say what Yes and No select."""

    form_class = HorizontalRadioForm

    def lookups(self, request: HttpRequest, model_admin: object) -> list[tuple[str, str]]:
        return [(YES, "Yes"), (NO, "No")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() == YES:
            return self.select_yes(queryset)
        if self.value() == NO:
            return self.select_no(queryset)
        return queryset

    def select_yes(self, queryset: QuerySet) -> QuerySet:
        raise NotImplementedError

    def select_no(self, queryset: QuerySet) -> QuerySet:
        raise NotImplementedError


class UnreadFilter(YesNoFilter):
    """Unread as the ``Message.unread`` manager defines it, so the admin and the
    inboxes never disagree on what "unread" means if that definition changes.

    Yes intersects the changelist's queryset with the manager's (``&`` merges
    their WHERE clauses into one query: no subquery, and the database can use
    msg_unread_inbox_idx when a receiver is filtered too). No excludes the
    manager's rows with an anti-join (NOT EXISTS), which stays correct whatever
    extra conditions the manager grows.
    """

    title = "unread"
    parameter_name = "unread"

    def select_yes(self, queryset: QuerySet) -> QuerySet:
        return queryset & Message.unread.all()

    def select_no(self, queryset: QuerySet) -> QuerySet:
        return queryset.filter(~Exists(Message.unread.filter(pk=OuterRef("pk"))))


class HasRepliesFilter(YesNoFilter):
    """Messages someone answered: an EXISTS over the parent_message index, never a
    JOIN and GROUP BY over the table."""

    title = "has replies"
    parameter_name = "has_replies"

    def select_yes(self, queryset: QuerySet) -> QuerySet:
        return queryset.with_replies()

    def select_no(self, queryset: QuerySet) -> QuerySet:
        return queryset.without_replies()


class RangeDateTimeFilter(unfold_filters.RangeDateTimeFilter):
    """unfold's date-time range, read in the current time zone.

    unfold parses the bounds into naive datetimes, which Django (USE_TZ) can only
    compare after a "naive datetime" RuntimeWarning; here they are made aware the
    way Django's own form fields do. A bound that does not parse is ignored.
    """

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
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
        return queryset.filter(**bounds)


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


class AuditTargetFilter(unfold_filters.TextFilter):
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

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        value = (self.value() or "").strip()
        if not value:
            return queryset
        if "\x00" in value:  # no username holds one; PostgreSQL refuses it
            raise IncorrectLookupParameters("A username cannot contain a NUL character.")
        if value.startswith("#"):
            user_id = value[1:].strip()
            field = queryset.model._meta.get_field("target_user_id")
            if not is_valid_id(field, user_id):
                raise IncorrectLookupParameters(f"{value!r} is not an account id.")
            return queryset.filter(target_user_id=int(user_id))
        return queryset.filter(target_username=value)


class AuditCaseFilter(unfold_filters.TextFilter):
    """The audit entries of one moderation case, its timeline (audit_case_idx): a
    case id, with or without its "#". The parameter is Django's own spelling of
    the lookup, so ``?case_id__exact=12`` (a case page's link) fills this field.
    """

    title = "case"
    parameter_name = "case_id__exact"

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        value = (self.value() or "").strip().removeprefix("#").strip()
        if not value:
            return queryset
        if not is_valid_id(queryset.model._meta.get_field("case_id"), value):
            raise IncorrectLookupParameters(f"{self.value()!r} is not a case id.")
        return queryset.filter(case_id=int(value))
