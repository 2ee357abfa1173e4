"""The queue's bulk action, "Act on selected cases": the action form of the case
page on an intermediate page, then ``act_on_case`` once per selected case, each
in its own transaction, so one refusal does not undo the others. Deleting
accounts goes through the same confirmation page as from a case
(``case_deletion``), for at most ``DELETE_SYNC_LIMIT`` cases: a case deletes
its account in the request, so the queue keeps to the admin's limit for that.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from django.contrib import messages
from django.contrib.admin import helpers
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse

from admin_ext.admin.account_deletion import DELETE_SYNC_LIMIT
from admin_ext.admin.base import selected_ids
from admin_ext.admin.case_actions import report_case_outcome, require_permission
from admin_ext.admin.case_deletion import CONFIRM_DELETION_FIELD, confirm_case_deletions
from admin_ext.admin.case_forms import ACT_PREFIX, CHANGE_CASE, CaseActionForm
from moderation.models import Case
from moderation.services import act_on_case, claim_held_by_another

if TYPE_CHECKING:
    from django.contrib.admin import ModelAdmin

ACTION_NAME = "act_on_cases"
# A bulk selection holds at most this many cases: each is acted on in the
# request, one transaction each (a hide, a warning and a suspension are a few
# queries apiece).
MAX_CASES_PER_BULK_ACTION = 100
BULK_TEMPLATE = "admin_ext/cases/act_on_cases.html"
# Set by the bulk intermediate page: the selection is to be acted on now.
APPLY_FIELD = "apply"


def act_on_cases_action(
    model_admin: ModelAdmin, request: HttpRequest, queryset: QuerySet
) -> HttpResponse | None:
    """ "Act on selected cases": the intermediate page, then each case in turn.

    The selection is read by id, not through the changelist's filters, so a case
    closed since the page was shown is reported as closed rather than skipped
    silently. None sends the moderator back to the queue (Django's redirect).
    """
    require_permission(request, CHANGE_CASE)
    case_ids = selected_ids(request, queryset, limit=MAX_CASES_PER_BULK_ACTION)
    if len(case_ids) > MAX_CASES_PER_BULK_ACTION:
        model_admin.message_user(
            request,
            f"Act on at most {MAX_CASES_PER_BULK_ACTION} cases at once: nothing was done. "
            "Narrow the selection with the filters or the search.",
            messages.ERROR,
        )
        return None
    cases = list(
        Case.objects.filter(pk__in=case_ids)
        .select_related("reported_user", "claimed_by")
        .order_by("-last_reported_at", "-id")
    )
    # The confirmation only when another moderator holds one of them (their
    # act_on_case is refused without it, each with the holder's name).
    held = any(claim_held_by_another(case, moderator=request.user) for case in cases)
    if not cases:
        model_admin.message_user(request, "None of the selected cases exists.", messages.WARNING)
        return None
    if request.POST.get(APPLY_FIELD) != "yes":
        return render_bulk_page(
            model_admin,
            request,
            cases,
            form=CaseActionForm(prefix=ACT_PREFIX, held_in_selection=held),
        )
    form = CaseActionForm(request.POST, prefix=ACT_PREFIX, held_in_selection=held)
    if form.is_valid() and form.deletes_account and len(cases) > DELETE_SYNC_LIMIT:
        form.add_error(
            "actions",
            f"Delete accounts from the queue for at most {DELETE_SYNC_LIMIT} "
            "cases at once. For more, use the Users list: it deletes them as a background job.",
        )
    if not form.is_valid():
        return render_bulk_page(model_admin, request, cases, form=form)
    if form.deletes_account and request.POST.get(CONFIRM_DELETION_FIELD) != "yes":
        return confirm_case_deletions(
            model_admin,
            request,
            cases,
            form=form,
            form_action=request.get_full_path(),
            cancel_url=request.get_full_path(),
            bulk_fields=bulk_hidden_fields(cases),
        )
    arguments = form.service_arguments()
    for case in cases:
        # act_on_case is atomic: a refusal undoes that case only.
        try:
            outcome = act_on_case(case, moderator=request.user, **arguments)
        except ValidationError as error:
            model_admin.message_user(
                request,
                f"Case #{case.pk} ({case.reported_name}) refused: {' '.join(error.messages)}",
                messages.ERROR,
            )
        else:
            report_case_outcome(model_admin, request, case, outcome, closed=form.closes_case)
    return None


def bulk_hidden_fields(cases: Sequence[Case]) -> list[tuple[str, str]]:
    """What the intermediate page posts back to the changelist to run the action."""
    return [
        ("action", ACTION_NAME),
        ("select_across", "0"),
        (APPLY_FIELD, "yes"),
        *((helpers.ACTION_CHECKBOX_NAME, str(case.pk)) for case in cases),
    ]


def render_bulk_page(
    model_admin: ModelAdmin, request: HttpRequest, cases: Sequence[Case], *, form: CaseActionForm
) -> TemplateResponse:

    request.current_app = model_admin.admin_site.name
    changelist_url = reverse(f"{model_admin.admin_site.name}:moderation_case_changelist")
    context = {
        **model_admin.admin_site.each_context(request),
        "title": f"Act on {len(cases)} case{'s' if len(cases) != 1 else ''}",
        "subtitle": None,
        "opts": model_admin.opts,
        "cases": cases,
        "open_count": sum(case.is_open for case in cases),
        "act_form": form,
        "hidden_fields": bulk_hidden_fields(cases),
        "form_action": request.get_full_path(),
        "cancel_url": changelist_url,
        "max_account_deletions": DELETE_SYNC_LIMIT,
    }
    return TemplateResponse(request, BULK_TEMPLATE, context)
