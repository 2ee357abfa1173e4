"""Confirming an account deletion asked for from a case or from the queue: the
admin's one account-deletion page (``account_deletion``), each account named by
its case, posting back exactly what the moderator submitted plus the
confirmation field. Nothing is deleted before that POST.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from django.http import HttpRequest
from django.template.response import TemplateResponse

from admin_ext.admin.account_deletion import (
    DeletionSubject,
    preview_deletion,
    render_deletion_confirmation,
)
from admin_ext.admin.base import admin_url
from admin_ext.admin.case_forms import ACT_PREFIX, CaseActionForm
from moderation.models import Case

if TYPE_CHECKING:
    from django.contrib.admin import ModelAdmin

# Set by the confirmation page of an account deletion, and only there.
CONFIRM_DELETION_FIELD = "confirm_account_deletion"


def confirm_case_deletions(
    model_admin: ModelAdmin,
    request: HttpRequest,
    cases: Sequence[Case],
    *,
    form: CaseActionForm,
    form_action: str,
    cancel_url: str,
    bulk_fields: Sequence[tuple[str, str]] = (),
) -> TemplateResponse:
    """What deleting each case's account removes, or why it will be refused."""
    subjects = [
        DeletionSubject(
            user=case.reported_user,
            name=case.reported_name,
            url=admin_url(model_admin, "change", case.pk),
            detail=f"case #{case.pk}",
        )
        for case in cases
    ]
    preview = preview_deletion(actor=request.user, subjects=subjects)
    echoed = [
        (key, value)
        for key in request.POST
        if key.startswith(f"{ACT_PREFIX}-")
        for value in request.POST.getlist(key)
    ]
    count = len(preview.deletable)
    return render_deletion_confirmation(
        model_admin,
        request,
        preview,
        title="Delete the account?" if len(cases) == 1 else f"Delete {count} accounts?",
        hidden_fields=[*bulk_fields, *echoed, (CONFIRM_DELETION_FIELD, "yes")],
        form_action=form_action,
        cancel_url=cancel_url,
        reason=form.cleaned_data["reason"],
        closes_cases=True,
    )
