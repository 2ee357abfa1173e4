"""Deleting accounts from the users list: the preview with counts, a reason,
then the service.

Every way the users list offers to delete a user ends here: the changelist
action ``delete_accounts``, the "Delete account" button of a user's page and
Django's own ``<id>/delete/`` URL. The last two only show the preview; the
deletion happens on the POST of the preview's form, which goes back to the
changelist as the action's confirmation (selected ids, ``action``, ``post=yes``
and the CSRF token, like Django's ``delete_selected``).

The page and its limits are the admin's one account-deletion confirmation
(``account_deletion``), shared with the cases. Each deletion is
``messaging.services.delete_account``, which is atomic and writes the audit entry
(who, whom, why, counts); nothing here writes another. More than
DELETE_SYNC_LIMIT accounts become a background job (``jobs``: one transaction per
account, safe to retry) and the moderator is sent to the job's page at once.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING

from django import forms
from django.contrib import messages
from django.contrib.admin import helpers
from django.contrib.admin.utils import unquote
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from unfold.widgets import UnfoldAdminTextareaWidget

from admin_ext.admin.account_deletion import (
    DELETE_SYNC_LIMIT,
    MAX_ACCOUNTS_PER_REQUEST,
    DeletionSubject,
    preview_deletion,
    render_deletion_confirmation,
)
from admin_ext.admin.base import admin_url, missing_account_redirect, selected_ids, valid_ids
from audit.models import AuditEntry
from jobs.models import Job
from jobs.services import start_job
from messaging.services import AccountDeletionOutcome, delete_accounts

if TYPE_CHECKING:
    from django.contrib.admin import ModelAdmin

logger = logging.getLogger(__name__)

ACTION_NAME = "delete_accounts"
# The preview's form sends every selected id in this one field: a field per id
# would pass Django's DATA_UPLOAD_MAX_NUMBER_FIELDS (1,000) for a large selection.
ACCOUNT_IDS_FIELD = "account_ids"
MAX_REASON_LENGTH = 2000


class AccountDeletionForm(forms.Form):
    reason = forms.CharField(
        label="Reason",
        max_length=MAX_REASON_LENGTH,
        help_text="Kept in the audit log with the counts, under your name.",
        error_messages={"required": "Give a reason: it is kept in the audit log."},
        widget=UnfoldAdminTextareaWidget(attrs={"rows": 3}),
    )


def require_delete_permission(model_admin: ModelAdmin, request: HttpRequest) -> None:
    # Checked on the server by every handler, whatever the page offered.
    if not model_admin.has_delete_permission(request):
        raise PermissionDenied


# --- the three entry points ---------------------------------------------------------


def delete_accounts_action(
    model_admin: ModelAdmin, request: HttpRequest, queryset: QuerySet
) -> HttpResponse | None:
    """The changelist action: the preview on the first POST, the deletion on the
    confirmation POST (``post=yes``) from the preview page."""
    require_delete_permission(model_admin, request)
    user_ids = _selected_user_ids(request, queryset)
    if len(user_ids) > MAX_ACCOUNTS_PER_REQUEST:
        model_admin.message_user(
            request,
            f"Select at most {MAX_ACCOUNTS_PER_REQUEST:,} accounts at a time. Nothing was deleted.",
            messages.ERROR,
        )
        return None
    if request.method == "POST" and request.POST.get("post") == "yes":
        return confirm_account_deletions(model_admin, request, user_ids)
    return render_account_deletion_preview(model_admin, request, user_ids)


def account_deletion_preview_view(
    model_admin: ModelAdmin, request: HttpRequest, object_id: str
) -> HttpResponse:
    """The preview for one user (the change page's button, ``<id>/delete/``).

    These URLs are plain links (a GET, no CSRF token), so they only ever show
    the page, whatever the method: the deletion is the POST of its form.
    """
    require_delete_permission(model_admin, request)
    user = model_admin.get_object(request, unquote(object_id))
    if user is None:
        return missing_account_redirect(model_admin, request, object_id)
    return render_account_deletion_preview(
        model_admin,
        request,
        [user.pk],
        cancel_url=admin_url(model_admin, "change", user.pk),
    )


# --- preview ----------------------------------------------------------------------


def render_account_deletion_preview(
    model_admin: ModelAdmin,
    request: HttpRequest,
    user_ids: Sequence[int],
    *,
    form: AccountDeletionForm | None = None,
    cancel_url: str | None = None,
) -> HttpResponse:
    """The intermediate page (``account_deletion``): the counts of what would go,
    the accounts this moderator may not delete and why, a reason and a confirm
    button posting the ids back to the changelist."""
    user_model = get_user_model()
    users = list(user_model.objects.filter(pk__in=user_ids).order_by("username"))
    subjects = [
        DeletionSubject(
            user=user,
            name=user.get_username(),
            url=admin_url(model_admin, "change", user.pk),
            detail=user.get_full_name(),
        )
        for user in users
    ]
    preview = preview_deletion(actor=request.user, subjects=subjects)
    changelist_url = _changelist_url(model_admin)
    hidden_fields: list[tuple[str, object]] = []
    if users:
        # Django's changelist runs an action only if some object is selected.
        hidden_fields = [
            (helpers.ACTION_CHECKBOX_NAME, users[0].pk),
            (ACCOUNT_IDS_FIELD, ",".join(str(user.pk) for user in users)),
        ]
    return render_deletion_confirmation(
        model_admin,
        request,
        preview,
        title="Delete accounts" if len(users) != 1 else f"Delete the account “{users[0]}”",
        hidden_fields=[*hidden_fields, ("action", ACTION_NAME), ("post", "yes")],
        # The confirmation goes to the changelist without its filters, so a user
        # who no longer matches them is still the one that was selected.
        form_action=changelist_url,
        cancel_url=cancel_url or changelist_url,
        reason_form=form or AccountDeletionForm(),
        runs_as_job=len(user_ids) > DELETE_SYNC_LIMIT,
        already_deleted=_names_of_deleted_accounts(
            sorted(set(user_ids) - {user.pk for user in users})
        ),
    )


# --- confirmation ---------------------------------------------------------------------


def confirm_account_deletions(
    model_admin: ModelAdmin, request: HttpRequest, user_ids: Sequence[int]
) -> HttpResponse:
    form = AccountDeletionForm(request.POST)
    if not form.is_valid():  # a blank reason (spaces are stripped) deletes nothing
        return render_account_deletion_preview(model_admin, request, user_ids, form=form)
    reason = form.cleaned_data["reason"]
    if len(user_ids) > DELETE_SYNC_LIMIT:
        return start_account_deletion_job(model_admin, request, user_ids, reason=reason)
    outcome = delete_accounts(actor=request.user, user_ids=user_ids, reason=reason)
    report_outcome(model_admin, request, outcome)
    return HttpResponseRedirect(_changelist_url(model_admin))


def start_account_deletion_job(
    model_admin: ModelAdmin, request: HttpRequest, user_ids: Sequence[int], *, reason: str
) -> HttpResponse:
    """Queue the deletion of a large selection and send the moderator to its page.

    Nothing is deleted in the request. The job (``messaging.jobs.run_account_deletion``)
    runs ``delete_accounts`` one account at a time, each in its own transaction
    and checked again against the rules then, with this moderator as the actor.
    """
    count = len(user_ids)
    job = start_job(
        kind=Job.Kind.ACCOUNT_DELETION,
        started_by=request.user,
        params={"user_ids": list(user_ids), "reason": reason},
        total=count,
        description=f"Delete {count:,} accounts",
    )
    model_admin.message_user(
        request,
        f"Deleting {count:,} accounts in the background (job #{job.pk}). Each account "
        "goes in its own transaction, with an audit entry; this page shows the progress.",
        messages.SUCCESS,
    )
    if not request.user.has_perm("jobs.view_job"):
        return HttpResponseRedirect(_changelist_url(model_admin))
    return HttpResponseRedirect(
        reverse(f"{model_admin.admin_site.name}:jobs_job_change", args=[job.pk])
    )


def report_outcome(
    model_admin: ModelAdmin, request: HttpRequest, outcome: AccountDeletionOutcome
) -> None:
    if outcome.deleted:
        count = len(outcome.deleted)
        model_admin.message_user(
            request,
            f"Deleted {count} account{'s' if count != 1 else ''} and all their data: "
            f"{', '.join(sorted(outcome.deleted))}.",
            messages.SUCCESS,
        )
    if outcome.refused:
        model_admin.message_user(
            request,
            "Not deleted: "
            + "; ".join(f"{name} ({reason})" for name, reason in sorted(outcome.refused))
            + ".",
            messages.ERROR,
        )
    if outcome.already_deleted_ids:
        already_deleted = _names_of_deleted_accounts(outcome.already_deleted_ids)
        model_admin.message_user(
            request, f"Already deleted: {', '.join(already_deleted)}.", messages.WARNING
        )
    for name, error in outcome.failed:
        model_admin.message_user(request, f"Could not delete {name}: {error}", messages.ERROR)
    if not (outcome.deleted or outcome.refused or outcome.already_deleted_ids or outcome.failed):
        model_admin.message_user(request, "No account was selected.", messages.WARNING)


# --- helpers ------------------------------------------------------------------------


def _changelist_url(model_admin: ModelAdmin) -> str:
    return admin_url(model_admin, "changelist")


def _selected_user_ids(request: HttpRequest, queryset: QuerySet) -> list[int]:
    """The ids the moderator selected, including those deleted since the page was
    shown (so they can be reported as such)."""
    if ACCOUNT_IDS_FIELD in request.POST:
        # The preview's form: the ids it showed, in one field.
        return valid_ids(queryset.model._meta.pk, request.POST[ACCOUNT_IDS_FIELD].split(","))
    return selected_ids(request, queryset, limit=MAX_ACCOUNTS_PER_REQUEST)


def _names_of_deleted_accounts(user_ids: Sequence[int]) -> list[str]:
    """Usernames of accounts that no longer exist, from their audit entries (one
    query); the bare id when there is none."""
    if not user_ids:
        return []
    usernames = AuditEntry.objects.usernames_of_deleted_accounts(user_ids)
    return [usernames.get(user_id) or f"#{user_id}" for user_id in user_ids]
