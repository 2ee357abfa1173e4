"""The confirmation page of an account deletion, from a case or from the queue:
what deleting each account removes (``preview_account_deletions``, the users
list's counts) and which accounts would be refused and why.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.http import HttpRequest
from django.template.response import TemplateResponse

from admin_ext.admin.actions import PREVIEW_COLUMNS
from admin_ext.admin.case_forms import ACT_PREFIX, CaseActionForm
from messaging.services import deletion_refusal, preview_account_deletions
from moderation.models import Case

if TYPE_CHECKING:
    from django.contrib.admin import ModelAdmin

CONFIRM_DELETION_TEMPLATE = "admin_ext/cases/confirm_account_deletion.html"
# Set by the confirmation page of an account deletion, and only there.
CONFIRM_DELETION_FIELD = "confirm_account_deletion"


@dataclass
class DeletionRow:
    case: Case
    refusal: str | None = None
    counts: list[int] = field(default_factory=list)


def render_deletion_confirmation(
    model_admin: ModelAdmin,
    request: HttpRequest,
    cases: Sequence[Case],
    *,
    form: CaseActionForm,
    form_action: str,
    cancel_url: str,
    bulk_fields: Sequence[tuple[str, str]] = (),
) -> TemplateResponse:
    """What deleting each case's account removes (the users list's counts, 6 + N
    queries for N accounts), and the accounts that will be refused and why.

    The page posts back exactly what the moderator submitted, plus the
    confirmation field; the deletion is that POST.
    """
    users = [case.reported_user for case in cases if case.reported_user is not None]
    rows = []
    for case in cases:
        user = case.reported_user
        if user is None:
            rows.append(DeletionRow(case=case, refusal="the account no longer exists"))
        else:
            rows.append(
                DeletionRow(case=case, refusal=deletion_refusal(actor=request.user, user=user))
            )
    previews = preview_account_deletions(
        row.case.reported_user for row in rows if row.refusal is None
    )
    for row in rows:
        if row.refusal is None:
            counts = previews[row.case.reported_user_id].as_dict()
            row.counts = [counts[name] for name, _header, _help in PREVIEW_COLUMNS]
    deletable = [row for row in rows if row.refusal is None]
    echoed = [
        (key, value)
        for key in request.POST
        if key.startswith(f"{ACT_PREFIX}-")
        for value in request.POST.getlist(key)
    ]
    request.current_app = model_admin.admin_site.name
    context = {
        **model_admin.admin_site.each_context(request),
        "title": "Delete the account?" if len(users) == 1 else f"Delete {len(deletable)} accounts?",
        "subtitle": None,
        "opts": model_admin.opts,
        "rows": rows,
        "deletable_count": len(deletable),
        "columns": [(header, help_text) for _name, header, help_text in PREVIEW_COLUMNS],
        "reason": form.cleaned_data["reason"],
        "hidden_fields": [*bulk_fields, *echoed, (CONFIRM_DELETION_FIELD, "yes")],
        "form_action": form_action,
        "cancel_url": cancel_url,
    }
    return TemplateResponse(request, CONFIRM_DELETION_TEMPLATE, context)
