"""What moderators do to a message from its page: hide or restore it, warn its
author, put it in its author's open case (opened if there is none). The bulk
versions of the same actions, on the messages list, are ``message_bulk``.

Each form POSTs (CSRF) to a URL of its own (``MessageAdmin.get_urls``), declared
in the role policy; the handler only validates input and calls the
``moderation.services`` function, which checks the permission again, writes
and records the audit entry with the moderator's reason. A refused form comes
back on the message's page with its errors and the moderator's input kept.
When the message is reported in an open case, the hide, restore or warning is
that case's (its audit entry carries the case, so the case's timeline shows it).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseNotAllowed,
    HttpResponseRedirect,
    QueryDict,
)
from django.urls import reverse
from django.utils.html import format_html
from unfold.widgets import UnfoldAdminSelectWidget, UnfoldAdminTextareaWidget

from admin_ext.admin.base import is_valid_id
from admin_ext.admin.case_forms import CHANGE_CASE, SanctionEndForm, reason_field
from messaging.models import Message
from moderation.durations import until_words
from moderation.models import MAX_COMMENT_LENGTH, Report
from moderation.selectors import RECENT_EDITS, message_moderation, open_case_reporting
from moderation.services import (
    MAX_WARNING_LENGTH,
    hide_message,
    open_case_for_message,
    restore_message,
    warn_user,
)

if TYPE_CHECKING:
    from django.contrib.admin import ModelAdmin
    from django.contrib.auth.models import AbstractBaseUser

# The fragment of the page's actions block (review.html), where a handler returns.
ACTIONS_FRAGMENT = "message-actions"


class ReasonForm(forms.Form):
    """Hide or restore: the reason is all there is."""

    reason = reason_field()


class WarnAuthorForm(SanctionEndForm):
    reason = reason_field()
    warning = forms.CharField(
        label="Warning to the author",
        max_length=MAX_WARNING_LENGTH,
        widget=UnfoldAdminTextareaWidget(attrs={"rows": 3}),
        help_text="Shown to them, exactly as written, on their inbox until they "
        "acknowledge it; not kept in the audit log. It counts as a strike for the "
        "time chosen below.",
    )

    field_order = ["reason", "warning", "duration", "until_date"]


class OpenCaseForm(forms.Form):
    report_reason = forms.ChoiceField(
        label="What it is",
        choices=Report.Reason.choices,
        initial=Report.Reason.OTHER,
        widget=UnfoldAdminSelectWidget,
    )
    # A report's comment is shorter than other reasons (MAX_COMMENT_LENGTH).
    reason = forms.CharField(
        label="Reason",
        max_length=MAX_COMMENT_LENGTH,
        widget=UnfoldAdminTextareaWidget(attrs={"rows": 2}),
        help_text="Your report's comment on the case, and the reason in the audit log.",
    )


@dataclass(frozen=True)
class MessageAction:
    """One action of the page: its form and what it does with it."""

    label: str
    form_class: type[forms.Form]
    # (message, moderator, cleaned data) -> (level, text) for the moderator.
    run: Callable[[Message, AbstractBaseUser, dict[str, Any]], tuple[int, str]]


def _hide(message: Message, moderator: AbstractBaseUser, data: dict[str, Any]) -> tuple[int, str]:
    case = open_case_reporting(message)
    if hide_message(message, moderator=moderator, reason=data["reason"], case=case):
        return messages.SUCCESS, f"Message #{message.pk} is hidden from its readers."
    state = "is deleted" if message.is_tombstone else "was hidden already"
    return messages.WARNING, f"Message #{message.pk} {state}: nothing to hide."


def _restore(
    message: Message, moderator: AbstractBaseUser, data: dict[str, Any]
) -> tuple[int, str]:
    case = open_case_reporting(message)
    if restore_message(message, moderator=moderator, reason=data["reason"], case=case):
        return messages.SUCCESS, f"Message #{message.pk} is shown again to its readers."
    return messages.WARNING, f"Message #{message.pk} was not hidden: nothing to restore."


def _warn(message: Message, moderator: AbstractBaseUser, data: dict[str, Any]) -> tuple[int, str]:
    author = message.sender
    if author is None:
        raise ValidationError("The author's account no longer exists: there is nobody to warn.")
    warn_user(
        author,
        moderator=moderator,
        reason=data["reason"],
        warning=data["warning"],
        case=open_case_reporting(message),
        ends_at=data["ends_at"],
    )
    return (
        messages.SUCCESS,
        f"Warning sent to {author.get_username()}: a strike {until_words(data['ends_at'])}.",
    )


def _open_case(
    message: Message, moderator: AbstractBaseUser, data: dict[str, Any]
) -> tuple[int, str]:
    report = open_case_for_message(
        message, moderator=moderator, reason=data["reason"], report_reason=data["report_reason"]
    )
    case = report.case
    return messages.SUCCESS, format_html(
        'Message #{} is in <a href="{}" class="msgadmin-link">case #{}</a> ({}) now.',
        message.pk,
        reverse("admin:moderation_case_change", args=[case.pk]),
        case.pk,
        case.reported_name,
    )


# The page's actions by URL name (``messaging_message_<name>``; roles.MODEL_PAGES).
ACTIONS: dict[str, MessageAction] = {
    "hide": MessageAction("Hide", ReasonForm, _hide),
    "restore": MessageAction("Restore", ReasonForm, _restore),
    "warn": MessageAction("Warn the author", WarnAuthorForm, _warn),
    "open_case": MessageAction("Open a case", OpenCaseForm, _open_case),
}


def empty_forms() -> dict[str, forms.Form]:
    return {name: action.form_class(prefix=name) for name, action in ACTIONS.items()}


def message_action_view(
    model_admin: ModelAdmin, request: HttpRequest, object_id: str, *, name: str
) -> HttpResponse:
    """The POST of one action form of a message's page."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    if not request.user.has_perm(CHANGE_CASE):
        raise PermissionDenied
    message = get_message(model_admin, request, object_id)
    action = ACTIONS[name]
    form = action.form_class(request.POST, prefix=name)
    if form.is_valid():
        try:
            level, text = action.run(message, request.user, form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            model_admin.message_user(request, text, level)
            return HttpResponseRedirect(message_page_url(message.pk, ACTIONS_FRAGMENT))
    return show_page_with_form(model_admin, request, object_id, name=name, form=form)


def get_message(model_admin: ModelAdmin, request: HttpRequest, object_id: str) -> Message:
    object_id = unquote(object_id)
    message = None
    if is_valid_id(Message._meta.pk, object_id):
        message = model_admin.get_queryset(request).filter(pk=object_id).first()
    if message is None:
        raise Http404("No such message.")
    return message


def show_page_with_form(
    model_admin: ModelAdmin, request: HttpRequest, object_id: str, *, name: str, form: forms.Form
) -> HttpResponse:
    """The message's page as a GET shows it, with ``form`` (refused) in place of
    the empty one and open, so the moderator sees why and keeps their input."""
    page_request = copy.copy(request)
    page_request.method = "GET"
    page_request.POST = QueryDict()
    page_request.message_action_forms = {name: form}
    page_request.message_action_open = name
    return model_admin.change_view(page_request, object_id)


def message_page_url(message_id: int, fragment: str = "") -> str:
    url = reverse("admin:messaging_message_change", args=[message_id])
    return f"{url}#{fragment}" if fragment else url


# --- what the page shows (review.html) ------------------------------------------------


@dataclass(frozen=True)
class ActionForm:
    """One action form of the page, as the template draws it."""

    name: str
    label: str
    form: forms.Form
    url: str
    is_open: bool


def review_context(request: HttpRequest, message: Message) -> dict[str, Any]:
    """The page's review block: its reports and cases (two queries), and the
    action forms that apply to the message as it is now (refused ones bound)."""
    moderation = message_moderation(message)
    context: dict[str, Any] = {
        "message_reports": moderation.reports,
        "author_open_case": moderation.open_case,
        "report_cases": list(
            {report.case_id: report.case for report in moderation.reports}.values()
        ),
        "can_act": request.user.has_perm(CHANGE_CASE),
        "recent_edits": moderation.recent_edits[:RECENT_EDITS],
        "more_edits": len(moderation.recent_edits) > RECENT_EDITS,
    }
    if not context["can_act"] or message.is_tombstone:
        context["action_forms"] = []
        return context
    bound = getattr(request, "message_action_forms", {})
    opened = getattr(request, "message_action_open", None)
    names = ["restore" if message.is_hidden else "hide"]
    if message.sender_id is not None:
        names += ["warn", "open_case"]
    labels = {
        "open_case": f"Add to case #{moderation.open_case.pk}"
        if moderation.open_case
        else "Open a case"
    }
    context["action_forms"] = [
        ActionForm(
            name=name,
            label=labels.get(name, ACTIONS[name].label),
            form=bound.get(name) or ACTIONS[name].form_class(prefix=name),
            url=reverse(f"admin:messaging_message_{name}", args=[message.pk]),
            is_open=name == opened,
        )
        for name in names
    ]
    return context
