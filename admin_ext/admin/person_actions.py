"""What moderators do to a person from their page (``person_page``): warn them,
suspend the account, lift the suspension. Notes are added by the case admin's
``user-notes/`` handler; deleting goes through the one deletion preview.

Each handler only validates its form and calls a ``moderation.services``
function, which checks the permission again, writes, and records the audit
entry with the reason. A GET shows the form on a page of its own (what a
refused POST shows too, with its errors and the moderator's words kept); only
a POST with a CSRF token acts. All need ``moderation.change_case``, the
permission to act on cases, as the services do.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse

from admin_ext.admin.base import admin_url, is_valid_id, missing_account_redirect
from admin_ext.admin.case_forms import CHANGE_CASE
from admin_ext.admin.person_forms import PERSON_FORMS
from moderation.durations import until_words
from moderation.services import lift_suspension, suspend_user, warn_user

if TYPE_CHECKING:
    from django.contrib.admin import ModelAdmin
    from django.contrib.auth.models import AbstractBaseUser

ACTION_TEMPLATE = "admin_ext/users/person_action.html"
# Where the person's page shows its actions.
ACTIONS_ANCHOR = "person-actions"

# What each action's page is called, and its button.
TITLES = {
    "warn": ("Warn {name}", "Send the warning"),
    "suspend": ("Suspend {name}", "Suspend the account"),
    "lift_suspension": ("Lift the suspension of {name}", "Lift the suspension"),
}

# The outcome of an action: what to tell the moderator, and how.
Outcome = tuple[str, int]


def _warn(user: AbstractBaseUser, moderator: Any, data: dict[str, Any]) -> Outcome:
    warn_user(
        user,
        moderator=moderator,
        reason=data["reason"],
        warning=data["warning"],
        ends_at=data["ends_at"],
    )
    return (
        f"Warning sent to {user.get_username()}: a strike {until_words(data['ends_at'])}.",
        messages.SUCCESS,
    )


def _suspend(user: AbstractBaseUser, moderator: Any, data: dict[str, Any]) -> Outcome:
    name = user.get_username()
    if suspend_user(
        user,
        moderator=moderator,
        reason=data["reason"],
        warning=data["warning"],
        ends_at=data["ends_at"],
    ):
        return (
            f"{name} is suspended {until_words(data['ends_at'])}: they cannot log in, "
            "and are told so when they try.",
            messages.SUCCESS,
        )
    return f"{name} was already suspended: nothing changed.", messages.WARNING


def _lift(user: AbstractBaseUser, moderator: Any, data: dict[str, Any]) -> Outcome:
    name = user.get_username()
    if lift_suspension(user, moderator=moderator, reason=data["reason"]):
        return f"Suspension lifted: {name} can log in again.", messages.SUCCESS
    return f"{name} was not suspended: nothing to lift.", messages.WARNING


RUNNERS: dict[str, Callable[[AbstractBaseUser, Any, dict[str, Any]], Outcome]] = {
    "warn": _warn,
    "suspend": _suspend,
    "lift_suspension": _lift,
}


def may_act_on_people(request: HttpRequest) -> bool:
    return request.user.has_perm(CHANGE_CASE)


def person_action_view(
    model_admin: ModelAdmin, request: HttpRequest, object_id: str, *, name: str
) -> HttpResponse:
    """The page of the action ``name`` (GET), or the action (POST)."""
    if not may_act_on_people(request):
        raise PermissionDenied
    object_id = unquote(object_id)
    user = None
    if is_valid_id(model_admin.opts.pk, object_id):
        user = model_admin.get_object(request, object_id)
    if user is None:
        return missing_account_redirect(model_admin, request, object_id)
    if not model_admin.has_view_permission(request, user):
        raise PermissionDenied
    form_class, prefix = PERSON_FORMS[name]
    if request.method != "POST":
        return render_action_page(model_admin, request, user, name, form_class(prefix=prefix))
    form = form_class(request.POST, prefix=prefix)
    if form.is_valid():
        try:
            text, level = RUNNERS[name](user, request.user, form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            model_admin.message_user(request, text, level)
            return HttpResponseRedirect(person_url(model_admin, user, ACTIONS_ANCHOR))
    return render_action_page(model_admin, request, user, name, form)


def render_action_page(
    model_admin: ModelAdmin,
    request: HttpRequest,
    user: AbstractBaseUser,
    name: str,
    form: forms.Form,
) -> HttpResponse:
    title, button = TITLES[name]
    request.current_app = model_admin.admin_site.name
    context = {
        **model_admin.admin_site.each_context(request),
        "title": title.format(name=user.get_username()),
        "opts": model_admin.opts,
        "original": user,
        "person": user,
        "person_action": name,
        "person_form": form,
        "submit_label": button,
        "form_action": request.path,
        "cancel_url": person_url(model_admin, user),
    }
    return TemplateResponse(request, ACTION_TEMPLATE, context)


def person_url(model_admin: ModelAdmin, user: AbstractBaseUser, fragment: str = "") -> str:
    url = admin_url(model_admin, "change", user.pk)
    return f"{url}#{fragment}" if fragment else url
