"""What moderators do to a case from its page: the POST handlers of its forms
(the forms are ``case_forms``; the queue's bulk action is ``case_bulk``).

Every handler here only validates input and calls a ``moderation.services``
function, which checks permissions again, writes, and records the audit entry;
nothing here writes a model or an audit entry itself. All of them are POST
with a CSRF token (Django's admin_view and csrf middleware), checked on the
server before anything is looked at:

- ``<id>/act/`` (act_view): the action form of an open case, ``act_on_case``;
  needs ``moderation.change_case``, and the confirmation that names another
  moderator's claim when there is one (``claim_holder_to_confirm``).
- ``<id>/restore-message/`` and ``<id>/lift-suspension/``: undo a hide or a
  suspension, with the case's id in the audit entry; ``moderation.change_case``.
- ``<id>/notes/`` and ``user-notes/<user id>/``: ``add_note``; ``moderation.add_note``.
- ``<id>/retention/``: ``set_evidence_retention``; superusers only.
- the changelist action ``act_on_cases`` (``case_bulk``): the same action form
  on an intermediate page, then ``act_on_case`` once per case.

Deleting the account is never one click: the form first shows what it would
delete (``case_deletion``) and deletes on the confirmation's POST only. A
refused submission comes back with its errors and the moderator's input kept.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from django import forms
from django.contrib import messages
from django.contrib.admin.utils import unquote
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseNotAllowed,
    HttpResponseRedirect,
)
from django.template.response import TemplateResponse
from django.urls import reverse

from admin_ext.admin.base import is_valid_id
from admin_ext.admin.case_deletion import CONFIRM_DELETION_FIELD, confirm_case_deletions
from admin_ext.admin.case_forms import (
    ACT_PREFIX,
    ADD_NOTE,
    CHANGE_CASE,
    LIFT_PREFIX,
    NOTE_PREFIX,
    RESTORE_PREFIX,
    RETENTION_PREFIX,
    CaseActionForm,
    LiftSuspensionForm,
    NoteForm,
    RestoreMessageForm,
    RetentionForm,
    UserNoteForm,
)
from messaging.models import Message
from moderation.models import Case
from moderation.selectors import reported_message
from moderation.services import (
    CaseActionOutcome,
    act_on_case,
    add_note,
    claim_held_by_another,
    lift_suspension,
    restore_message,
    set_evidence_retention,
)

if TYPE_CHECKING:
    from django.contrib.admin import ModelAdmin

USER_NOTE_TEMPLATE = "admin_ext/cases/user_note_form.html"


def require_permission(request: HttpRequest, permission: str) -> None:
    if not request.user.has_perm(permission):
        raise PermissionDenied


def require_superuser(request: HttpRequest) -> None:
    # No permission says who changes retention: only superusers (the service agrees).
    if not request.user.is_superuser:
        raise PermissionDenied


def get_case(model_admin: ModelAdmin, request: HttpRequest, object_id: str) -> Case:
    case = model_admin.get_object(request, unquote(object_id))
    if case is None:
        raise Http404("No such case.")
    return case


def claim_holder_to_confirm(request: HttpRequest, case: Case) -> str | None:
    """Whom the action form names for confirmation: another live claimant."""
    claim = claim_held_by_another(case, moderator=request.user)
    return claim.holder_name if claim is not None else None


def case_url(model_admin: ModelAdmin, case: Case, fragment: str = "") -> str:
    url = reverse(f"{model_admin.admin_site.name}:moderation_case_change", args=[case.pk])
    return f"{url}#{fragment}" if fragment else url


def act_view(model_admin: ModelAdmin, request: HttpRequest, object_id: str) -> HttpResponse:
    """The action form of the case page: validate, confirm a deletion, act, report."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    require_permission(request, CHANGE_CASE)
    case = get_case(model_admin, request, object_id)
    form = CaseActionForm(
        request.POST, prefix=ACT_PREFIX, claim_holder=claim_holder_to_confirm(request, case)
    )
    if not form.is_valid():
        return model_admin.render_case_page(request, case, act_form=form)
    if form.deletes_account and request.POST.get(CONFIRM_DELETION_FIELD) != "yes":
        return confirm_case_deletions(
            model_admin,
            request,
            [case],
            form=form,
            form_action=request.path,
            cancel_url=case_url(model_admin, case),
        )
    try:
        outcome = act_on_case(case, moderator=request.user, **form.service_arguments())
    except ValidationError as error:
        if Case.objects.filter(pk=case.pk).open().exists():
            form.add_error(None, error)
            return model_admin.render_case_page(request, case, act_form=form)
        # Closed meanwhile (another moderator): there is no form left to correct.
        model_admin.message_user(request, " ".join(error.messages), messages.ERROR)
        return HttpResponseRedirect(case_url(model_admin, case))
    report_case_outcome(model_admin, request, case, outcome, closed=form.closes_case)
    return HttpResponseRedirect(case_url(model_admin, case))


def restore_message_view(
    model_admin: ModelAdmin, request: HttpRequest, object_id: str
) -> HttpResponse:
    """Show a hidden reported message of this case again (``restore_message``)."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    require_permission(request, CHANGE_CASE)
    case = get_case(model_admin, request, object_id)
    form = RestoreMessageForm(request.POST, prefix=RESTORE_PREFIX)
    message_id = request.POST.get(f"{RESTORE_PREFIX}-message", "")
    message = None
    if is_valid_id(Message._meta.pk, message_id):
        message = reported_message(case, Message._meta.pk.to_python(message_id))
    if message is None:
        raise Http404("No such message among this case's reports.")
    return _undo(
        model_admin,
        request,
        case,
        form=form,
        form_name="restore_form",
        undo=lambda reason: restore_message(
            message, moderator=request.user, reason=reason, case=case
        ),
        done=f"Message #{message.pk} is shown again to its readers.",
        nothing=f"Message #{message.pk} was not hidden: nothing to restore.",
    )


def lift_suspension_view(
    model_admin: ModelAdmin, request: HttpRequest, object_id: str
) -> HttpResponse:
    """Let the case's suspended account log in again (``lift_suspension``)."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    require_permission(request, CHANGE_CASE)
    case = get_case(model_admin, request, object_id)
    user = case.reported_user
    if user is None:
        model_admin.message_user(
            request, "The account no longer exists: there is no suspension to lift.", messages.ERROR
        )
        return HttpResponseRedirect(case_url(model_admin, case))
    return _undo(
        model_admin,
        request,
        case,
        form=LiftSuspensionForm(request.POST, prefix=LIFT_PREFIX),
        form_name="lift_form",
        undo=lambda reason: lift_suspension(user, moderator=request.user, reason=reason, case=case),
        done=f"Suspension lifted: {user.get_username()} can log in again.",
        nothing=f"{user.get_username()} was not suspended: nothing to lift.",
    )


def _undo(
    model_admin: ModelAdmin,
    request: HttpRequest,
    case: Case,
    *,
    form: forms.Form,
    form_name: str,
    undo: Callable[[str], bool],
    done: str,
    nothing: str,
) -> HttpResponse:
    """Run an undo service with the form's reason: a refused form comes back on
    the case page with its errors; otherwise say what happened (``undo`` returns
    False when there was nothing to undo)."""
    if not form.is_valid():
        return model_admin.render_case_page(request, case, **{form_name: form})
    try:
        undone = undo(form.cleaned_data["reason"])
    except ValidationError as error:
        form.add_error(None, error)
        return model_admin.render_case_page(request, case, **{form_name: form})
    if undone:
        model_admin.message_user(request, done, messages.SUCCESS)
    else:
        model_admin.message_user(request, nothing, messages.WARNING)
    return HttpResponseRedirect(case_url(model_admin, case, "case-resolution"))


def note_view(model_admin: ModelAdmin, request: HttpRequest, object_id: str) -> HttpResponse:
    """A note on this case or on its user (``add_note``)."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    require_permission(request, ADD_NOTE)
    case = get_case(model_admin, request, object_id)
    user = case.reported_user
    form = NoteForm(request.POST, prefix=NOTE_PREFIX, user_exists=user is not None)
    if not form.is_valid():
        return model_admin.render_case_page(request, case, note_form=form)
    on_user = form.cleaned_data["on"] == NoteForm.ON_USER
    try:
        add_note(
            author=request.user,
            text=form.cleaned_data["text"],
            user=user if on_user else None,
            case=None if on_user else case,
        )
    except ValidationError as error:
        form.add_error(None, error)
        return model_admin.render_case_page(request, case, note_form=form)
    where = f"to {case.reported_name}'s account" if on_user else f"to case #{case.pk}"
    model_admin.message_user(request, f"Note added {where}.", messages.SUCCESS)
    return HttpResponseRedirect(case_url(model_admin, case, "case-notes"))


def retention_view(model_admin: ModelAdmin, request: HttpRequest, object_id: str) -> HttpResponse:
    """Keep a closed case's evidence until another day (superusers only)."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    require_superuser(request)
    case = get_case(model_admin, request, object_id)
    form = RetentionForm(request.POST, prefix=RETENTION_PREFIX)
    if not form.is_valid():
        return model_admin.render_case_page(request, case, retention_form=form)
    try:
        case = set_evidence_retention(
            case,
            actor=request.user,
            retain_until=form.retention_end(),
            reason=form.cleaned_data["reason"],
        )
    except ValidationError as error:
        form.add_error(None, error)
        return model_admin.render_case_page(request, case, retention_form=form)
    model_admin.message_user(
        request,
        f"The evidence of case #{case.pk} is kept until the end of "
        f"{form.cleaned_data['retain_until']:%Y-%m-%d}.",
        messages.SUCCESS,
    )
    return HttpResponseRedirect(case_url(model_admin, case, "case-retention"))


def user_note_view(model_admin: ModelAdmin, request: HttpRequest, user_id: str) -> HttpResponse:
    """A note on an account, from the user's admin page (``user_notes.html``).

    Back to the user's page when added; refused, a small page of its own keeps
    the text with the error (the user's page belongs to another admin).
    """
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    require_permission(request, ADD_NOTE)
    user_model = get_user_model()
    user = None
    if is_valid_id(user_model._meta.pk, user_id):
        user = user_model._default_manager.filter(pk=user_id).first()
    if user is None:
        raise Http404("No such account.")
    form = UserNoteForm(request.POST, prefix=NOTE_PREFIX)
    if form.is_valid():
        try:
            add_note(author=request.user, text=form.cleaned_data["text"], user=user)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            model_admin.message_user(
                request, f"Note added to {user.get_username()}'s account.", messages.SUCCESS
            )
            return HttpResponseRedirect(user_change_url(model_admin, user.pk) + "#moderation-notes")
    request.current_app = model_admin.admin_site.name
    context = {
        **model_admin.admin_site.each_context(request),
        "title": f"Add a note to {user.get_username()}",
        "opts": model_admin.opts,
        "note_user": user,
        "note_form": form,
        "form_action": request.path,
        "cancel_url": user_change_url(model_admin, user.pk),
    }
    return TemplateResponse(request, USER_NOTE_TEMPLATE, context)


def user_change_url(model_admin: ModelAdmin, user_id: int) -> str:
    opts = get_user_model()._meta
    return reverse(
        f"{model_admin.admin_site.name}:{opts.app_label}_{opts.model_name}_change", args=[user_id]
    )


# --- outcome messages ------------------------------------------------------------------


def describe_outcome(case: Case, outcome: CaseActionOutcome, *, closed: bool) -> str:
    done = ", ".join(outcome.done) or "nothing to do"
    skipped = f" (skipped: {', '.join(outcome.skipped)})" if outcome.skipped else ""
    state = "; case closed" if closed else "; case left open"
    return f"Case #{case.pk} ({case.reported_name}): {done}{skipped}{state}."


def report_case_outcome(
    model_admin: ModelAdmin,
    request: HttpRequest,
    case: Case,
    outcome: CaseActionOutcome,
    *,
    closed: bool,
) -> None:

    level = messages.SUCCESS if outcome.done else messages.WARNING
    model_admin.message_user(request, describe_outcome(case, outcome, closed=closed), level)
