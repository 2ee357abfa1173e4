"""Deleting accounts from the admin: a preview with counts, a reason, then the service.

Every way the admin offers to delete a user ends here: the changelist action
``delete_accounts``, the "Delete account" button of a user's page and Django's
own ``<id>/delete/`` URL. The last two only show the preview; the deletion
happens on the POST of the preview's form, which goes back to the changelist
as the action's confirmation (selected ids, ``action``, ``post=yes`` and the
CSRF token, like Django's ``delete_selected``).

The preview shows counts, never the rows: Django's stock confirmation collects
and lists every related object (26.9 s and 24 MB for a 100,000-message account).
Each deletion is ``messaging.services.delete_account``, which is atomic and
writes the audit entry (who, whom, why, counts); nothing here writes another.

Size decides how (constants below):

- up to PREVIEW_DETAIL_LIMIT accounts the preview counts per account, exactly,
  tombstones included (6 + N queries); above, it shows totals for the whole
  selection in 5 queries, and the tombstones are counted when deleted (each
  account's audit entry has them);
- up to DELETE_SYNC_LIMIT accounts the confirmation deletes them in the request;
  above, it starts a background job (``jobs``: one transaction per account, safe
  to retry) and sends the moderator to the job's page at once;
- at most MAX_ACCOUNTS_PER_REQUEST accounts per selection.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django import forms
from django.contrib import messages
from django.contrib.admin import helpers
from django.contrib.admin.utils import unquote
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from unfold.widgets import UnfoldAdminTextareaWidget

from admin_ext.admin.base import admin_url, is_valid_id, missing_account_redirect
from audit.models import AuditEntry
from jobs.models import Job
from jobs.services import start_job
from messaging.services import (
    AccountDeletionOutcome,
    AccountDeletionPreview,
    delete_accounts,
    deletion_refusal,
    preview_account_deletions,
    preview_account_deletions_together,
)

if TYPE_CHECKING:
    from django.contrib.admin import ModelAdmin
    from django.contrib.auth.models import AbstractUser

logger = logging.getLogger(__name__)

ACTION_NAME = "delete_accounts"
PREVIEW_TEMPLATE = "admin_ext/users/delete_accounts.html"
# The preview's form sends every selected id in this one field: a field per id
# would pass Django's DATA_UPLOAD_MAX_NUMBER_FIELDS (1,000) for a large selection.
ACCOUNT_IDS_FIELD = "account_ids"
# A confirmed selection of more accounts than this is deleted by a background job.
# Each deletion is its own transaction of up to ~30 queries: a handful fits in a
# request, hundreds would hold it for minutes (and time out behind a proxy).
DELETE_SYNC_LIMIT = 10
# A selection holds at most this many accounts (the job's list of ids, the
# preview's one query per kind of data with this many ids).
MAX_ACCOUNTS_PER_REQUEST = 5_000
# Up to this many accounts the preview counts per account, tombstones included,
# at one query per account; above, totals only, at a constant number of queries.
PREVIEW_DETAIL_LIMIT = 50
# A large preview names this many of the accounts it will delete, then "and N more".
PREVIEW_NAMES_SHOWN = 200
MAX_REASON_LENGTH = 2000

# The preview's columns: AccountDeletionPreview field, header, what it means.
PREVIEW_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("messages_deleted", "Messages deleted", "Their messages that nobody answered"),
    (
        "messages_tombstoned",
        "Kept as tombstones",
        "Their messages with other people's replies below: emptied, shown as "
        "“Message deleted”, so the replies keep their place",
    ),
    (
        "empty_tombstones_removed",
        "Empty tombstones removed",
        "Earlier tombstones that only guarded this person's messages",
    ),
    ("notifications_deleted", "Notifications deleted", "Theirs and those about their messages"),
    ("history_rows_deleted", "Edit history rows deleted", "Earlier texts of their messages"),
    ("versions_deleted", "Stored versions deleted", "Full copies of their messages"),
    (
        "received_messages_kept",
        "Received messages kept",
        "Messages other people sent them: they stay with their senders",
    ),
)

# A large preview's first column: the messages they sent, before the tombstone
# plan splits them into deleted and kept (the plan costs a query per account).
SUMMARY_FIRST_COLUMN = (
    "Messages sent",
    "All go: deleted, or emptied and kept as tombstones where someone replied "
    "(counted when deleted)",
)


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


@dataclass
class PreviewRow:
    user: AbstractUser
    refusal: str | None = None
    # Per PREVIEW_COLUMNS; None where the value is only known once deleted.
    counts: list[int | None] = field(default_factory=list)


def render_account_deletion_preview(
    model_admin: ModelAdmin,
    request: HttpRequest,
    user_ids: Sequence[int],
    *,
    form: AccountDeletionForm | None = None,
    cancel_url: str | None = None,
) -> TemplateResponse:
    """The intermediate page: the counts of what would go, the accounts this
    moderator may not delete and why, a reason and a confirm button.

    Up to PREVIEW_DETAIL_LIMIT accounts, one row of exact counts per account
    (``preview_account_deletions``: 6 + N queries). Above, one row of totals for
    all of them together (``preview_account_deletions_together``: 5 queries whatever N) and the
    refused accounts by name; which messages stay as tombstones is then counted
    when deleted, in each account's audit entry.
    """
    user_model = get_user_model()
    users = list(user_model.objects.filter(pk__in=user_ids).order_by("username"))
    rows = [
        PreviewRow(user=user, refusal=deletion_refusal(actor=request.user, user=user))
        for user in users
    ]
    deletable = [row for row in rows if row.refusal is None]
    is_summary = len(rows) > PREVIEW_DETAIL_LIMIT
    totals: list[int | None] = []
    if is_summary:
        counts = preview_account_deletions_together([row.user.pk for row in deletable])
        totals = [counts.get(name) for name, _header, _help in PREVIEW_COLUMNS]
    else:
        previews: dict[int, AccountDeletionPreview] = preview_account_deletions(
            row.user for row in deletable
        )
        for row in deletable:
            counts = previews[row.user.pk].as_dict()
            row.counts = [counts[name] for name, _header, _help in PREVIEW_COLUMNS]
    missing_ids = sorted(set(user_ids) - {user.pk for user in users})
    changelist_url = _changelist_url(model_admin)
    request.current_app = model_admin.admin_site.name
    context = {
        **model_admin.admin_site.each_context(request),
        "title": "Delete accounts" if len(rows) != 1 else f"Delete the account “{users[0]}”",
        "subtitle": None,
        "opts": model_admin.opts,
        "is_summary": is_summary,
        # Detailed: every account with its counts or its refusal. Summary: the
        # refused ones only (the others are named in deletable_names).
        "rows": [row for row in rows if row.refusal] if is_summary else rows,
        "totals": totals,
        "deletable_count": len(deletable),
        "deletable_names": [row.user.get_username() for row in deletable[:PREVIEW_NAMES_SHOWN]],
        "more_deletable_count": max(0, len(deletable) - PREVIEW_NAMES_SHOWN),
        "runs_as_job": len(user_ids) > DELETE_SYNC_LIMIT,
        "already_deleted": _names_of_deleted_accounts(missing_ids),
        "columns": [
            SUMMARY_FIRST_COLUMN
            if is_summary and name == "messages_deleted"
            else (header, help_text)
            for name, header, help_text in PREVIEW_COLUMNS
        ],
        "form": form or AccountDeletionForm(),
        # The confirmation goes to the changelist without its filters, so a user
        # who no longer matches them is still the one that was selected.
        "form_action": changelist_url,
        "cancel_url": cancel_url or changelist_url,
        "action_name": ACTION_NAME,
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        "account_ids_field": ACCOUNT_IDS_FIELD,
        "account_ids": ",".join(str(user.pk) for user in users),
        # Django's changelist runs an action only if some object is selected.
        "first_account_id": users[0].pk if users else None,
    }
    return TemplateResponse(request, PREVIEW_TEMPLATE, context)


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
        return _parse_ids(queryset, request.POST[ACCOUNT_IDS_FIELD].split(","))
    if forms.BooleanField().to_python(request.POST.get("select_across")):
        # "Select all N": the changelist's queryset, bounded by the caller's check.
        return list(queryset.values_list("pk", flat=True)[: MAX_ACCOUNTS_PER_REQUEST + 1])
    return _parse_ids(queryset, request.POST.getlist(helpers.ACTION_CHECKBOX_NAME))


def _parse_ids(queryset: QuerySet, values: Sequence[str]) -> list[int]:
    # What is not a user id is ignored: a forged "abc" or an id beyond the
    # column's range (which SQLite cannot even compare) selects nobody.
    pk = queryset.model._meta.pk
    return sorted({pk.to_python(value) for value in values if is_valid_id(pk, value)})


def _names_of_deleted_accounts(user_ids: Sequence[int]) -> list[str]:
    """Usernames of accounts that no longer exist, from their audit entries (one
    query); the bare id when there is none."""
    if not user_ids:
        return []
    usernames = dict(
        AuditEntry.objects.filter(
            action=AuditEntry.Action.ACCOUNT_DELETED, target_user_id__in=user_ids
        ).values_list("target_user_id", "target_username")
    )
    return [usernames.get(user_id) or f"#{user_id}" for user_id in user_ids]
