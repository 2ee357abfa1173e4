"""What the rows of each exportable model may be selected by, without the admin.

An export's rows are its model's rows narrowed by conditions of two kinds, and
by a search:

- **lookups**, plain ORM lookups as the admin's field filters apply them
  (``edited__exact``, ``sender__id__exact``, ``timestamp__gte``): only those
  listed here, each value compared as Django's changelist does;
- **conditions**, named rules of the domain (``unread``, ``has_replies``,
  ``has_unread``) whose one definition is a QuerySet method or selector: the
  admin's list filter calls the same one;
- **search**: the messages' own ``MessageQuerySet.search``, or for the other
  models the admin's search construction (every word in one of the fields,
  case-insensitive) over the same fields as the admin's ``search_fields``
  (tests/exports/test_rules.py holds them equal).

Anything else is refused (``ExportRefused``): a job's params are checked here
again when the job runs, as the changelist checked them when it was queued.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import reduce
from operator import or_
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.utils.text import smart_split, unescape_string_literal

from audit.models import AuditEntry
from messaging.models import Message, MessageHistory
from messaging.selectors import by_unread_messages, with_activity_counts
from moderation.person_selectors import by_suspension


class ExportRefused(ValueError):
    """An export that cannot be run as described: its message says why, for the
    moderator (on the page, or as the job's error)."""


def search_in_fields(queryset: QuerySet, fields: Sequence[str], term: str) -> QuerySet:
    """Django's admin search over plain ``fields`` (``ModelAdmin.get_search_results``):
    each word of ``term`` (a quoted phrase is one word) in one of the fields,
    case-insensitive, every word required."""
    for word in smart_split(term):
        if word.startswith(('"', "'")) and word[0] == word[-1]:
            word = unescape_string_literal(word)
        queryset = queryset.filter(
            reduce(or_, (Q((f"{name}__icontains", word)) for name in fields))
        )
    return queryset


@dataclass(frozen=True)
class ExportRules:
    """How the rows of one model are selected (see the module docstring)."""

    rows: Callable[[], QuerySet]
    lookups: frozenset[str] = frozenset()
    conditions: Mapping[str, Callable[[QuerySet, bool], QuerySet]] = field(default_factory=dict)
    search_fields: tuple[str, ...] = ()
    # The model's own search, when it has one (then search_fields says nothing).
    search_method: Callable[[QuerySet, str], QuerySet] | None = None

    def search(self, queryset: QuerySet, term: str) -> QuerySet:
        if not term.strip():
            return queryset
        if self.search_method is not None:
            return self.search_method(queryset, term)
        if not self.search_fields:
            raise ExportRefused("This list cannot be searched.")
        return search_in_fields(queryset, self.search_fields, term)

    def narrow(self, queryset: QuerySet, name: str, values: Sequence[Any]) -> QuerySet:
        """``queryset`` where ``name`` holds: a condition for each value, or a
        lookup matching any of ``values`` (a filter parameter given twice)."""
        if name in self.conditions:
            for value in values:
                if not isinstance(value, bool):
                    raise ExportRefused(f"The {name} filter takes yes or no, not {value!r}.")
                queryset = self.conditions[name](queryset, value)
            return queryset
        if name not in self.lookups:
            raise ExportRefused(f"This export cannot be filtered by {name}.")
        try:
            return queryset.filter(reduce(or_, (Q((name, value)) for value in values)))
        except (ValidationError, ValueError, TypeError) as error:
            raise ExportRefused(f"{name} cannot select rows by {values!r}: {error}") from error


RULES: dict[str, ExportRules] = {
    "messaging.message": ExportRules(
        rows=Message.objects.all,
        lookups=frozenset(
            {
                "edited__exact",
                "edited__isnull",
                "timestamp__gte",
                "timestamp__lte",
                "sender__id__exact",
                "sender__isnull",
                "receiver__id__exact",
                "receiver__isnull",
            }
        ),
        conditions={
            "unread": lambda messages, is_unread: messages.by_unread(is_unread),
            "has_replies": lambda messages, has_replies: messages.by_replies(has_replies),
        },
        search_method=lambda messages, term: messages.search(term),
    ),
    "messaging.messagehistory": ExportRules(
        rows=MessageHistory.objects.all,
        lookups=frozenset(
            {"edited_at__gte", "edited_at__lte", "edited_by__id__exact", "edited_by__isnull"}
        ),
        search_fields=("old_content", "edited_by__username"),
    ),
    "auth.user": ExportRules(
        # With the list's counts: it may be sorted by them (computed only then).
        rows=lambda: with_activity_counts(get_user_model()._default_manager.all()),
        lookups=frozenset(
            {
                "is_active__exact",
                "is_active__isnull",
                "is_staff__exact",
                "is_staff__isnull",
                "date_joined__date__gte",
                "date_joined__date__lte",
            }
        ),
        conditions={"has_unread": by_unread_messages, "suspended": by_suspension},
        search_fields=("username", "first_name", "last_name", "email"),
    ),
    "audit.auditentry": ExportRules(
        rows=AuditEntry.objects.all,
        lookups=frozenset(
            {
                "action__exact",
                "action__isnull",
                "actor__id__exact",
                "actor__isnull",
                "target_user_id",
                "target_username",
                "case_id",
                "created_at__gte",
                "created_at__lte",
            }
        ),
        search_fields=("target_username", "actor_username", "reason"),
    ),
}


def rules_for(model_label: str) -> ExportRules:
    """The rules of ``model_label`` ("messaging.message"); ExportRefused if it
    has no export."""
    try:
        return RULES[model_label]
    except (KeyError, TypeError):
        raise ExportRefused(f"{model_label!r} has no CSV export.") from None
