"""Claiming cases in the admin: the case page's Claim and Release buttons
(``<id>/claim/``, ``<id>/release/``, POST), the queue's "Claim selected cases"
action and its "held by" column. The rules are ``moderation.claims``'; every
handler here only calls its services and says what happened.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.utils.html import format_html
from django.utils.safestring import SafeString

from admin_ext.admin.base import selected_ids
from admin_ext.admin.case_actions import case_url, get_case, require_permission
from admin_ext.admin.case_forms import CHANGE_CASE
from moderation.models import Case
from moderation.services import claim_case, claim_of, release_case
from moderation_site.time_format import age_element, format_timestamp

if TYPE_CHECKING:
    from django.contrib.admin import ModelAdmin

ACTION_NAME = "claim_cases"
# Claiming from the queue takes a handful at most; each is its own transaction.
MAX_CASES_PER_CLAIM = 50


def held_by(case: Case) -> SafeString:
    """The queue's column: "alice, 12 min ago" (the time in its title, as the
    queue's other ages), or "—". Reads the case's row and its claimant, joined by
    the queue's query: no query per row."""
    claim = claim_of(case)
    if claim is None:
        return SafeString("—")
    return format_html(
        '<span class="caseadmin-claim">{}, {}</span>', claim.holder_name, age_element(claim.since)
    )


def page_context(request: HttpRequest, case: Case, *, may_act: bool) -> dict[str, Any]:
    """The case page's claim panel: the claim, and which buttons to show."""
    claim = claim_of(case)
    holds = claim is not None and claim.holder_id == request.user.pk
    return {
        "case_claim": claim,
        "case_claim_until": format_timestamp(claim.until) if claim else "",
        "case_may_claim": may_act and case.is_open and (claim is None or holds),
        "case_may_release": may_act and claim is not None and (holds or request.user.is_superuser),
        "case_holds_claim": holds,
    }


def claim_view(model_admin: ModelAdmin, request: HttpRequest, object_id: str) -> HttpResponse:
    def claim(case: Case) -> str:
        return claimed_message(case, claim_case(case, moderator=request.user).until)

    return _post_on_case(model_admin, request, object_id, claim)


def release_view(model_admin: ModelAdmin, request: HttpRequest, object_id: str) -> HttpResponse:
    def release(case: Case) -> str:
        release_case(case, moderator=request.user)
        return f"Case #{case.pk} released: anyone may claim it."

    return _post_on_case(model_admin, request, object_id, release)


def _post_on_case(
    model_admin: ModelAdmin, request: HttpRequest, object_id: str, act: Callable[[Case], str]
) -> HttpResponse:
    """A claim button's POST: ``act`` on the case, its success or refusal said,
    back to the case's page."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    require_permission(request, CHANGE_CASE)
    case = get_case(model_admin, request, object_id)
    try:
        done = act(case)
    except ValidationError as error:
        model_admin.message_user(request, " ".join(error.messages), messages.ERROR)
    else:
        model_admin.message_user(request, done, messages.SUCCESS)
    return HttpResponseRedirect(case_url(model_admin, case))


def claimed_message(case: Case, until: Any) -> str:
    return (
        f"You hold case #{case.pk} ({case.reported_name}) until {format_timestamp(until)}; "
        "each of your actions on it renews the claim."
    )


def claim_cases_action(model_admin: ModelAdmin, request: HttpRequest, queryset: QuerySet) -> None:
    """ "Claim selected cases": each in its own transaction, refusals named."""
    require_permission(request, CHANGE_CASE)
    case_ids = selected_ids(request, queryset, limit=MAX_CASES_PER_CLAIM)
    if len(case_ids) > MAX_CASES_PER_CLAIM:
        model_admin.message_user(
            request,
            f"Claim at most {MAX_CASES_PER_CLAIM} cases at once: nothing was claimed.",
            messages.ERROR,
        )
        return
    cases = list(Case.objects.filter(pk__in=case_ids).order_by("-last_reported_at", "-id"))
    if not cases:
        model_admin.message_user(request, "None of the selected cases exists.", messages.WARNING)
    for case in cases:
        try:
            claim = claim_case(case, moderator=request.user)
        except ValidationError as error:
            model_admin.message_user(request, " ".join(error.messages), messages.ERROR)
        else:
            model_admin.message_user(request, claimed_message(case, claim.until), messages.SUCCESS)
