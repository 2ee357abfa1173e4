"""A person's page for moderators: the user's admin page with what the desk knows
about them above the account's own fields.

Their cases, the reports against them and by them, their strike history (hides,
warnings, suspensions and lifts, from the audit log), counts, recent messages
and notes, read by ``moderation.person_selectors.person_context`` in a fixed
number of queries; the account's state (active or suspended, since when and by
whom); and the forms that act on the account (``person_actions``: warn, suspend
or lift, each with a reason) beside the note form. Deleting the account is the
page's one "Delete account" button, which opens the deletion preview.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse

from admin_ext.admin.filters import YesNoFilter
from admin_ext.admin.person_actions import ACTIONS_ANCHOR, may_act_on_people
from admin_ext.admin.person_forms import PERSON_FORMS
from messaging.services import deletion_refusal
from moderation.person_selectors import PERSON_LIST_LIMIT, by_suspension, person_context

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

ACTIVE = "active"
SUSPENDED = "suspended"
# The account's state in the desk's words: is_active is what a suspension sets.
STATE_LABELS = {ACTIVE: "Active", SUSPENDED: "Suspended"}
# The help text of is_active on the account's page, replacing Django's
# "Unselect this instead of deleting accounts", which contradicts the desk's
# deletion (the account and everything they wrote go, through the preview).
ACTIVE_HELP = (
    "Unticked, the account is suspended: the person cannot log in and is told so "
    "when they try. Moderators suspend and lift from the person's page, with a reason "
    "kept in the audit log; an account is deleted with “Delete account”."
)


def account_state(user: AbstractBaseUser) -> str:
    return ACTIVE if user.is_active else SUSPENDED


class SuspendedFilter(YesNoFilter):
    """Suspended accounts, or the others (``by_suspension``, which the export
    applies too)."""

    title = "suspended"
    parameter_name = "suspended"
    answers = (("yes", "Suspended"), ("no", "Active"))

    def select(self, queryset: QuerySet, answer: bool) -> QuerySet:
        return by_suspension(queryset, answer)


def person_page_context(
    request: HttpRequest, user: AbstractBaseUser, *, site_name: str
) -> dict[str, Any]:
    """The context of ``admin_ext/users/person_context.html``."""
    may_act = may_act_on_people(request)
    refusal = deletion_refusal(actor=request.user, user=user, verb="suspend")
    context = person_context(user, with_notes=False)  # the notes come with their form
    forms: dict[str, Any] = {}
    if may_act:
        wanted = ["warn"]
        if refusal is None:
            wanted.append("suspend" if user.is_active else "lift_suspension")
        for name in wanted:
            form_class, prefix = PERSON_FORMS[name]
            forms[name] = {
                "form": form_class(prefix=prefix),
                "url": reverse(f"{site_name}:auth_user_{name}", args=[user.pk]),
            }
    return {
        "person": user,
        "person_context": context,
        "person_state": account_state(user),
        "person_state_label": STATE_LABELS[account_state(user)],
        "person_forms": forms,
        "person_may_act": may_act,
        # Why suspending is not offered (a staff account, for a moderator): the
        # service refuses by the rules of deletion (deletion_refusal).
        "person_suspension_refusal": refusal if may_act else None,
        "person_list_limit": PERSON_LIST_LIMIT,
        "person_actions_anchor": ACTIONS_ANCHOR,
    }
