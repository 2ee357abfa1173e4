"""The one account-deletion preview and confirmation page of the admin.

The users list (its action, a user's page, Django's ``<id>/delete/``) and the
cases (a case's page, the queue's bulk action) show the same page before
anything is deleted: what deleting each account removes, counted
(``messaging.services.preview_account_deletions``), the accounts this moderator
may not delete and why, then a confirmation that posts back to the page that
asked. Each caller says how it names an account (``DeletionSubject``) and what
its confirmation posts (``hidden_fields``); the deletion itself is
``messaging.services.delete_account(s)``, which is atomic and audited.

The page shows counts, never the rows: Django's stock confirmation collects and
lists every related object (26.9 s and 24 MB for a 100,000-message account).

The limits, one set for every caller:

- up to PREVIEW_DETAIL_LIMIT accounts the preview counts per account, exactly up
  to PREVIEW_COUNT_AT_MOST rows of each kind, tombstones included (1 + N
  queries); above, it shows totals for the whole selection in 6 queries, and the
  tombstones are counted when deleted (each account's audit entry has them); one
  more either way for their open cases;
- up to DELETE_SYNC_LIMIT accounts are deleted in the request; above, the users
  list starts a background job (a case deletes in the request, so the queue
  takes at most this many);
- at most MAX_ACCOUNTS_PER_REQUEST accounts per selection.

Each account's open case is named (one query for the selection): the deletion
closes it (``moderation.retention``), which a moderator should know first.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.template.response import TemplateResponse

from admin_ext.admin.paginators import capped
from messaging.services import (
    PREVIEW_COUNT_AT_MOST,
    AccountDeletionPreview,
    deletion_refusal,
    preview_account_deletions,
    preview_account_deletions_together,
)
from moderation.models import Case

if TYPE_CHECKING:
    from django import forms
    from django.contrib.admin import ModelAdmin
    from django.contrib.auth.models import AbstractUser
    from django.http import HttpRequest

CONFIRMATION_TEMPLATE = "admin_ext/account_deletion/confirm.html"
# More accounts than this are deleted by a background job. Each deletion is its
# own transaction of up to ~30 queries: a handful fits in a request, hundreds
# would hold it for minutes (and time out behind a proxy).
DELETE_SYNC_LIMIT = 10
# A selection holds at most this many accounts (the job's list of ids, the
# preview's one query per kind of data with this many ids).
MAX_ACCOUNTS_PER_REQUEST = 5_000
# Up to this many accounts the preview counts per account, tombstones included,
# at one query per account; above, totals only, at a constant number of queries.
PREVIEW_DETAIL_LIMIT = 50
# A large preview names this many of the accounts it will delete, then "and N more".
PREVIEW_NAMES_SHOWN = 200
ACCOUNT_GONE = "the account no longer exists"

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


@dataclass(frozen=True)
class DeletionSubject:
    """An account a page asks to delete, as that page names it: a user by
    username and full name, a case by the reported name and its number."""

    user: AbstractUser | None  # None: the account is gone already
    name: str
    url: str
    detail: str = ""


@dataclass
class PreviewRow:
    subject: DeletionSubject
    refusal: str | None = None
    # Per PREVIEW_COLUMNS; None where the value is only known once deleted.
    counts: list[int | None] = field(default_factory=list)
    # Their open case (at most one; a list in case a race opened two): the
    # deletion closes it.
    open_cases: list[Case] = field(default_factory=list)


@dataclass
class DeletionPreview:
    """What the page shows. Detailed: every subject with its counts or its
    refusal. Summary (more than PREVIEW_DETAIL_LIMIT): totals, the refused ones
    by name, the others' names."""

    rows: list[PreviewRow]
    deletable: list[PreviewRow]
    is_summary: bool
    totals: list[int | None] = field(default_factory=list)

    @property
    def with_open_case(self) -> list[PreviewRow]:
        return [row for row in self.deletable if row.open_cases]

    @property
    def shown_rows(self) -> list[PreviewRow]:
        return [row for row in self.rows if row.refusal] if self.is_summary else self.rows

    @property
    def deletable_names(self) -> list[str]:
        return [row.subject.name for row in self.deletable[:PREVIEW_NAMES_SHOWN]]

    @property
    def more_deletable_count(self) -> int:
        return max(0, len(self.deletable) - PREVIEW_NAMES_SHOWN)

    @property
    def columns(self) -> list[tuple[str, str]]:
        return [
            SUMMARY_FIRST_COLUMN
            if self.is_summary and name == "messages_deleted"
            else (header, help_text)
            for name, header, help_text in PREVIEW_COLUMNS
        ]


def preview_deletion(
    *, actor: AbstractUser, subjects: Sequence[DeletionSubject]
) -> DeletionPreview:
    """Count what deleting each subject's account removes, or say why ``actor``
    may not (``deletion_refusal``, the rule the deletion itself applies).

    Up to PREVIEW_DETAIL_LIMIT subjects, one row of exact counts each
    (``preview_account_deletions``: 1 + N queries); above, totals for all of
    them together (``preview_account_deletions_together``: 6 queries whatever N).
    Plus one query for the open cases of all of them.
    """
    rows = [
        PreviewRow(
            subject=subject,
            refusal=ACCOUNT_GONE
            if subject.user is None
            else deletion_refusal(actor=actor, user=subject.user),
        )
        for subject in subjects
    ]
    deletable = [row for row in rows if row.refusal is None]
    preview = DeletionPreview(
        rows=rows, deletable=deletable, is_summary=len(rows) > PREVIEW_DETAIL_LIMIT
    )
    _attach_open_cases(deletable)
    if preview.is_summary:
        totals = preview_account_deletions_together([row.subject.user.pk for row in deletable])
        preview.totals = [totals.get(name) for name, _header, _help in PREVIEW_COLUMNS]
        return preview
    counts: dict[int, AccountDeletionPreview] = preview_account_deletions(
        row.subject.user for row in deletable
    )
    for row in deletable:
        account_counts = counts[row.subject.user.pk].as_dict()
        row.counts = [
            capped(account_counts[name], PREVIEW_COUNT_AT_MOST)
            for name, _header, _help in PREVIEW_COLUMNS
        ]
    return preview


def _attach_open_cases(rows: Sequence[PreviewRow]) -> None:
    """Each row's open cases, in one query for the whole selection."""
    by_account: dict[int, list[Case]] = {}
    cases = (
        Case.objects.open()
        .filter(reported_user_id__in=[row.subject.user.pk for row in rows])
        .only("id", "reported_user_id", "report_count")
        .order_by("id")
    )
    for case in cases:
        by_account.setdefault(case.reported_user_id, []).append(case)
    for row in rows:
        row.open_cases = by_account.get(row.subject.user.pk, [])


def render_deletion_confirmation(
    model_admin: ModelAdmin,
    request: HttpRequest,
    preview: DeletionPreview,
    *,
    title: str,
    hidden_fields: Sequence[tuple[str, object]],
    form_action: str,
    cancel_url: str,
    reason_form: forms.Form | None = None,
    reason: str = "",
    runs_as_job: bool = False,
    closes_cases: bool = False,
    already_deleted: Sequence[str] = (),
) -> TemplateResponse:
    """The page: the preview, then a form posting ``hidden_fields`` back to
    ``form_action``. The reason is asked for here (``reason_form``) or was given
    on the page before (``reason``, shown)."""
    request.current_app = model_admin.admin_site.name
    context = {
        **model_admin.admin_site.each_context(request),
        "title": title,
        "subtitle": None,
        "opts": model_admin.opts,
        "preview": preview,
        "deletable_count": len(preview.deletable),
        "hidden_fields": hidden_fields,
        "form_action": form_action,
        "cancel_url": cancel_url,
        "reason_form": reason_form,
        "reason": reason,
        "runs_as_job": runs_as_job,
        "closes_cases": closes_cases,
        "already_deleted": already_deleted,
    }
    return TemplateResponse(request, CONFIRMATION_TEMPLATE, context)
