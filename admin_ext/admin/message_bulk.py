"""The messages list's bulk actions: hide, restore, warn their authors, open a
case. Each asks for its reason (and the warning, or what the messages are) on
an intermediate page that POSTs back to the list, then runs the page's action
(``message_actions.ACTIONS``) once per message, each in its own transaction
through its service, so one refusal does not undo the others; every message
(every author, for a warning) gets its own outcome message.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from django import forms
from django.contrib import messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from unfold.decorators import action

from admin_ext.admin.base import selected_ids
from admin_ext.admin.case_forms import CHANGE_CASE
from admin_ext.admin.message_actions import ACTIONS
from admin_ext.admin.message_text import count_messages
from messaging.models import Message

if TYPE_CHECKING:
    from django.contrib.admin import ModelAdmin

# Each message is acted on in the request, one transaction (a few queries) each.
MAX_MESSAGES_PER_BULK_ACTION = 100
BULK_TEMPLATE = "admin_ext/messages/bulk_action.html"
# Set by the intermediate page: the selection is to be acted on now.
APPLY_FIELD = "apply"

# Changelist action name -> (the page's action, the button and title).
BULK_ACTIONS = {
    "hide_messages": ("hide", "Hide"),
    "restore_messages": ("restore", "Restore"),
    "warn_authors": ("warn", "Warn the authors of"),
    "open_cases": ("open_case", "Open a case for"),
}


def run_bulk_action(
    model_admin: ModelAdmin, request: HttpRequest, queryset: QuerySet, *, bulk_name: str
) -> HttpResponse | None:
    """The intermediate page, then the action on each selected message. The
    selection is read by id, not through the list's filters, so a message that
    changed since the list was shown gets its own outcome rather than vanishing."""
    if not request.user.has_perm(CHANGE_CASE):
        raise PermissionDenied
    message_ids = selected_ids(request, queryset, limit=MAX_MESSAGES_PER_BULK_ACTION)
    if len(message_ids) > MAX_MESSAGES_PER_BULK_ACTION:
        model_admin.message_user(
            request,
            f"Act on at most {MAX_MESSAGES_PER_BULK_ACTION} messages at once: nothing was "
            "done. Narrow the selection with the filters or the search.",
            messages.ERROR,
        )
        return None
    selected = list(
        Message.objects.filter(pk__in=message_ids)
        .select_related("sender", "receiver")
        .order_by("-timestamp", "-id")
    )
    if not selected:
        model_admin.message_user(request, "None of the selected messages exists.", messages.WARNING)
        return None
    name = BULK_ACTIONS[bulk_name][0]
    page_action = ACTIONS[name]
    if request.POST.get(APPLY_FIELD) != "yes":
        form = page_action.form_class(prefix=name)
        return render_bulk_page(model_admin, request, selected, bulk_name=bulk_name, form=form)
    form = page_action.form_class(request.POST, prefix=name)
    if not form.is_valid():
        return render_bulk_page(model_admin, request, selected, bulk_name=bulk_name, form=form)
    warned_authors: set[int] = set()
    for message in selected:
        if name == "warn":  # one warning per author, however many of their messages
            if message.sender_id in warned_authors:
                continue
            warned_authors.add(message.sender_id)
        try:
            level, text = page_action.run(message, request.user, form.cleaned_data)
        except ValidationError as error:
            level, text = messages.ERROR, f"Message #{message.pk}: {' '.join(error.messages)}"
        model_admin.message_user(request, text, level)
    return None


def bulk_hidden_fields(bulk_name: str, selected: Sequence[Message]) -> list[tuple[str, str]]:
    """What the intermediate page posts back to the changelist to run the action."""
    return [
        ("action", bulk_name),
        ("select_across", "0"),
        (APPLY_FIELD, "yes"),
        *((helpers.ACTION_CHECKBOX_NAME, str(message.pk)) for message in selected),
    ]


def render_bulk_page(
    model_admin: ModelAdmin,
    request: HttpRequest,
    selected: Sequence[Message],
    *,
    bulk_name: str,
    form: forms.Form,
) -> TemplateResponse:
    verb = BULK_ACTIONS[bulk_name][1]
    request.current_app = model_admin.admin_site.name
    context = {
        **model_admin.admin_site.each_context(request),
        "title": f"{verb} {count_messages(len(selected))}",
        "subtitle": None,
        "opts": model_admin.opts,
        "selected_messages": selected,
        "bulk_name": bulk_name,
        "button_label": f"{verb} {count_messages(len(selected))}",
        "action_form": form,
        "hidden_fields": bulk_hidden_fields(bulk_name, selected),
        "form_action": request.get_full_path(),
        "cancel_url": reverse(f"{model_admin.admin_site.name}:messaging_message_changelist"),
    }
    return TemplateResponse(request, BULK_TEMPLATE, context)


# --- the changelist actions (MessageAdmin.actions) ----------------------------------------


@action(description="Hide selected messages", permissions=["act"])
def hide_messages(
    model_admin: ModelAdmin, request: HttpRequest, queryset: QuerySet
) -> HttpResponse | None:
    return run_bulk_action(model_admin, request, queryset, bulk_name="hide_messages")


@action(description="Restore selected messages", permissions=["act"])
def restore_messages(
    model_admin: ModelAdmin, request: HttpRequest, queryset: QuerySet
) -> HttpResponse | None:
    return run_bulk_action(model_admin, request, queryset, bulk_name="restore_messages")


@action(description="Warn their authors", permissions=["act"])
def warn_authors(
    model_admin: ModelAdmin, request: HttpRequest, queryset: QuerySet
) -> HttpResponse | None:
    return run_bulk_action(model_admin, request, queryset, bulk_name="warn_authors")


@action(description="Open a case (or add to the author's open case)", permissions=["act"])
def open_cases(
    model_admin: ModelAdmin, request: HttpRequest, queryset: QuerySet
) -> HttpResponse | None:
    return run_bulk_action(model_admin, request, queryset, bulk_name="open_cases")
