"""How the case page shows what ``moderation.selectors.load_case_page`` read:
each thread indented for its tree, the timeline's details as links, the restore
form of each hidden reported message, and the page's forms (``page_forms``).
Also the notes shown on a user's admin page (``user_notes_context``).

The case page's data is read, in a fixed number of queries, by the selector;
nothing here adds a query to it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from admin_ext.admin import case_forms
from admin_ext.admin.case_actions import claim_holder_to_confirm
from admin_ext.admin.thread_lines import ThreadLine, thread_lines
from audit.describe import Kind, entry_details, entry_object, entry_summary
from audit.models import AuditEntry
from messaging.models import Message
from moderation.evidence import parse_moment
from moderation.models import Case, Note
from moderation.selectors import CasePage, CaseThread

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser


@dataclass
class ThreadView:
    root: Message
    total: int  # messages in the whole thread
    lines: list[ThreadLine]  # the messages shown, indented, and the runs left out


@dataclass
class RestoreItem:
    message: Message
    form: case_forms.RestoreMessageForm


def page_context(
    page: CasePage, *, may_act: bool, restore_form: case_forms.RestoreMessageForm | None
) -> dict[str, Any]:
    """The case page's data and how its templates show it; the restore forms
    only for who may act, ``restore_form`` (a refused one) in place of its
    message's empty form."""
    return {
        "case_page": page,
        "case_threads": [thread_view(thread) for thread in page.threads],
        "case_timeline": [(entry, audit_details(entry)) for entry in page.timeline],
        "case_restorable": restore_items(page.hidden_reported, bound=restore_form)
        if may_act
        else [],
    }


def page_forms(
    request: HttpRequest, case: Case, bound: dict[str, Any], *, may_act: bool
) -> dict[str, Any]:
    """The case page's forms, each for who may use it (None otherwise); ``bound``
    ones (a refused POST) in place of empty ones. The action form asks for
    confirmation when another moderator holds the case."""
    user = case.reported_user
    forms: dict[str, Any] = dict.fromkeys(
        ("case_act_form", "case_lift_form", "case_note_form", "case_retention_form")
    )
    if may_act and case.is_open:
        forms["case_act_form"] = bound.get("act_form") or case_forms.CaseActionForm(
            prefix=case_forms.ACT_PREFIX, claim_holder=claim_holder_to_confirm(request, case)
        )
    if may_act and user is not None and not user.is_active:
        forms["case_lift_form"] = bound.get("lift_form") or case_forms.LiftSuspensionForm(
            prefix=case_forms.LIFT_PREFIX
        )
    if request.user.has_perm(case_forms.ADD_NOTE):
        forms["case_note_form"] = bound.get("note_form") or case_forms.NoteForm(
            prefix=case_forms.NOTE_PREFIX, user_exists=user is not None
        )
    if request.user.is_superuser and not case.is_open:
        retain_until = timezone.localdate(case.retain_until) if case.retain_until else None
        forms["case_retention_form"] = bound.get("retention_form") or case_forms.RetentionForm(
            prefix=case_forms.RETENTION_PREFIX, initial={"retain_until": retain_until}
        )
    return forms


def thread_view(thread: CaseThread) -> ThreadView:
    # A run left out opens on the message page, which shows any stretch of a thread.
    return ThreadView(
        root=thread.root, total=thread.excerpt.total, lines=thread_lines(thread.excerpt)
    )


def audit_details(entry: AuditEntry) -> SafeString | str:
    """An entry's details in a few words, named as the audit log names them
    (``audit.describe``): its message as a link (escaped), a note's number, the
    retention's change, the counts. The case and its person are the page's own.
    No lookup: a message gone since says so on its page."""
    named = entry_object(entry)
    parts: list[SafeString | str] = []
    if named is not None and named.kind == Kind.MESSAGE:
        parts.append(
            format_html(
                '<a href="{}" class="msgadmin-link">message #{}</a>',
                reverse("admin:messaging_message_change", args=[named.pk]),
                named.pk,
            )
        )
    elif named is not None and named.kind == Kind.NOTE:
        parts.append(f"note #{named.pk}")
    if entry.action == AuditEntry.Action.RETENTION_CHANGED:
        details = entry_details(entry)
        moments = [parse_moment(details.get(key)) for key in ("from", "to")]
        shown = [f"{moment:%Y-%m-%d}" if moment else "—" for moment in moments]
        parts.append(format_html("kept until {} → {}", *shown))
    if summary := entry_summary(entry):
        parts.append(summary)
    return format_html_join(" · ", "{}", ((part,) for part in parts)) if parts else ""


def restore_items(
    hidden: list[Message], *, bound: case_forms.RestoreMessageForm | None
) -> list[RestoreItem]:
    """A restore form per hidden reported message; ``bound`` (a refused one) in
    place of its message's empty form. Ids differ per form (auto_id)."""
    bound_id = bound.data.get(f"{case_forms.RESTORE_PREFIX}-message") if bound else None
    items = []
    for message in hidden:
        if bound is not None and str(bound_id) == str(message.pk):
            form = bound
        else:
            form = case_forms.RestoreMessageForm(
                prefix=case_forms.RESTORE_PREFIX,
                initial={"message": message.pk},
                auto_id=f"id_restore_{message.pk}_%s",
            )
        items.append(RestoreItem(message=message, form=form))
    return items


def user_notes_context(request: HttpRequest, user: AbstractBaseUser) -> dict[str, Any]:
    """The context of ``admin_ext/cases/user_notes.html`` on a user's admin page:
    every note about the person (on the account and on their cases), newest
    first, one query; the form to add one to the account when allowed."""
    if not request.user.has_perm("moderation.view_note"):
        return {"moderation_notes": None}
    return {
        "moderation_notes": list(Note.objects.about(user.pk)),
        "moderation_note_form": case_forms.UserNoteForm(prefix=case_forms.NOTE_PREFIX)
        if request.user.has_perm(case_forms.ADD_NOTE)
        else None,
        "moderation_note_url": reverse("admin:moderation_case_add_user_note", args=[user.pk]),
    }
