"""What moderators do to cases from the admin: forms, their POST handlers, and the
queue's bulk action.

Every handler here only validates input and calls a ``moderation.services``
function, which checks permissions again, writes, and records the audit entry;
nothing here writes a model or an audit entry itself. All of them are POST
with a CSRF token (Django's admin_view and csrf middleware), checked on the
server before anything is looked at:

- ``<id>/act/`` (act_view): the action form of an open case, ``act_on_case``;
  needs ``moderation.change_case``.
- ``<id>/restore-message/`` and ``<id>/lift-suspension/``: undo a hide or a
  suspension, with the case's id in the audit entry; ``moderation.change_case``.
- ``<id>/notes/`` and ``user-notes/<user id>/``: ``add_note``; ``moderation.add_note``.
- ``<id>/retention/``: ``set_evidence_retention``; superusers only.
- the changelist action ``act_on_cases``: the same action form on an
  intermediate page, then ``act_on_case`` once per case, each in its own
  transaction, so one refusal does not undo the others.

Deleting the account is never one click: the form first shows what it would
delete (``preview_account_deletions``, the users list's counts) and deletes on
the confirmation's POST only. A refused submission comes back with its errors
and the moderator's input kept.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import messages
from django.contrib.admin import helpers
from django.contrib.admin.utils import unquote
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseNotAllowed,
    HttpResponseRedirect,
)
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from unfold.widgets import (
    UnfoldAdminCheckboxSelectMultipleWidget,
    UnfoldAdminRadioSelectWidget,
    UnfoldAdminTextareaWidget,
    UnfoldAdminTextInputWidget,
    UnfoldBooleanWidget,
)

from admin_ext.admin.actions import PREVIEW_COLUMNS
from admin_ext.admin.base import is_valid_id
from messaging.models import Message
from messaging.services import deletion_refusal, preview_account_deletions
from moderation.models import MAX_NOTE_LENGTH, Case
from moderation.services import (
    MAX_REASON_LENGTH,
    MAX_WARNING_LENGTH,
    CaseAction,
    CaseActionOutcome,
    act_on_case,
    add_note,
    lift_suspension,
    restore_message,
    set_evidence_retention,
    validate_case_actions,
)

if TYPE_CHECKING:
    from django.contrib.admin import ModelAdmin

CHANGE_CASE = "moderation.change_case"
ADD_NOTE = "moderation.add_note"

ACTION_NAME = "act_on_cases"
# A bulk selection holds at most this many cases: each is acted on in the
# request, one transaction each (a hide, a warning and a suspension are a few
# queries apiece).
MAX_CASES_PER_BULK_ACTION = 100
# Deleting accounts from the queue: at most this many per request (as the users
# list deletes in the request); more belong to the users list's background job.
MAX_ACCOUNT_DELETIONS_PER_REQUEST = 10

BULK_TEMPLATE = "admin_ext/cases/act_on_cases.html"
CONFIRM_DELETION_TEMPLATE = "admin_ext/cases/confirm_account_deletion.html"
USER_NOTE_TEMPLATE = "admin_ext/cases/user_note_form.html"

# The prefix of each form of the case page, so their fields' names and ids differ.
ACT_PREFIX = "act"
NOTE_PREFIX = "note"
RETENTION_PREFIX = "retention"
RESTORE_PREFIX = "restore"
LIFT_PREFIX = "lift"
# Set by the confirmation page of an account deletion, and only there.
CONFIRM_DELETION_FIELD = "confirm_account_deletion"
# Set by the bulk intermediate page: the selection is to be acted on now.
APPLY_FIELD = "apply"

REASON_HELP = "Kept in the audit log under your name, with every action it goes with."


def note_text_field() -> forms.CharField:
    return forms.CharField(
        label="Note",
        max_length=MAX_NOTE_LENGTH,
        widget=UnfoldAdminTextareaWidget(attrs={"rows": 3}),
        help_text="For moderators only; the user never sees it.",
    )


def reason_field(*, help_text: str = REASON_HELP) -> forms.CharField:
    return forms.CharField(
        label="Reason",
        max_length=MAX_REASON_LENGTH,
        help_text=help_text,
        widget=UnfoldAdminTextareaWidget(attrs={"rows": 2}),
    )


# --- forms ----------------------------------------------------------------------------


class CaseActionForm(forms.Form):
    """One submission on one case or a selection: actions, one reason, the warning.

    The fields check what they can say next to themselves; the service's own
    ``validate_case_actions`` has the last word (``act_on_case`` runs it again).
    """

    actions = forms.MultipleChoiceField(
        label="Actions",
        choices=CaseAction.CHOICES,
        widget=UnfoldAdminCheckboxSelectMultipleWidget,
        error_messages={"required": "Choose at least one action."},
        help_text="One or several, done together or not at all. Dismiss and delete "
        "account go alone; deleting the account first shows what it deletes.",
    )
    reason = reason_field()
    warning = forms.CharField(
        label="Warning to the user",
        required=False,
        max_length=MAX_WARNING_LENGTH,
        widget=UnfoldAdminTextareaWidget(attrs={"rows": 3}),
        help_text="Shown to the user, exactly as written, on their inbox until they "
        "acknowledge it. Needed with “Warn the user”; not kept in the audit log.",
    )
    close = forms.BooleanField(
        label="Close the case",
        required=False,
        initial=True,
        widget=UnfoldBooleanWidget,
        help_text="Dismiss and delete account always close it.",
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        actions = cleaned.get("actions") or []
        if CaseAction.WARN in actions and not cleaned.get("warning") and "warning" in cleaned:
            self.add_error("warning", "Write the warning the user will read.")
        if not self.errors:
            try:
                validate_case_actions(
                    actions, reason=cleaned["reason"], warning=cleaned.get("warning", "")
                )
            except ValidationError as error:
                self.add_error(None, error)  # each problem under its own field
        return cleaned

    @property
    def deletes_account(self) -> bool:
        return CaseAction.DELETE_ACCOUNT in self.cleaned_data["actions"]

    @property
    def closes_case(self) -> bool:
        actions = self.cleaned_data["actions"]
        return self.cleaned_data["close"] or any(a in actions for a in CaseAction.ALONE)

    def service_arguments(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "actions": data["actions"],
            "reason": data["reason"],
            "warning": data["warning"] if CaseAction.WARN in data["actions"] else "",
            "close": data["close"],
        }


class RestoreMessageForm(forms.Form):
    """Show one hidden reported message again (one form per message)."""

    message = forms.IntegerField(widget=forms.HiddenInput)
    reason = reason_field()


class LiftSuspensionForm(forms.Form):
    reason = reason_field()


class NoteForm(forms.Form):
    ON_CASE = "case"
    ON_USER = "user"

    text = note_text_field()
    on = forms.ChoiceField(
        label="Add it to",
        choices=[
            (ON_CASE, "This case (kept with its evidence)"),
            (ON_USER, "The user (kept with their account)"),
        ],
        initial=ON_CASE,
        widget=UnfoldAdminRadioSelectWidget,
    )

    def __init__(self, *args: Any, user_exists: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not user_exists:
            self.fields["on"].choices = self.fields["on"].choices[:1]


class UserNoteForm(forms.Form):
    text = note_text_field()


class DateInputWidget(UnfoldAdminTextInputWidget):
    input_type = "date"


class RetentionForm(forms.Form):
    retain_until = forms.DateField(
        label="Keep the evidence until",
        widget=DateInputWidget,
        help_text="Through the end of that day; then the purge deletes the case, "
        "its reports and its notes.",
    )
    reason = reason_field(help_text="Kept in the audit log with the old and new dates.")

    def retention_end(self) -> datetime.datetime:
        """The end of the chosen day, in the desk's time zone."""
        day = self.cleaned_data["retain_until"]
        return timezone.make_aware(datetime.datetime.combine(day, datetime.time.max))


# --- the case page's handlers -------------------------------------------------------------


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


def case_url(model_admin: ModelAdmin, case: Case, fragment: str = "") -> str:
    url = reverse(f"{model_admin.admin_site.name}:moderation_case_change", args=[case.pk])
    return f"{url}#{fragment}" if fragment else url


def act_view(model_admin: ModelAdmin, request: HttpRequest, object_id: str) -> HttpResponse:
    """The action form of the case page: validate, confirm a deletion, act, report."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    require_permission(request, CHANGE_CASE)
    case = get_case(model_admin, request, object_id)
    form = CaseActionForm(request.POST, prefix=ACT_PREFIX)
    if not form.is_valid():
        return model_admin.render_case_page(request, case, act_form=form)
    if form.deletes_account and request.POST.get(CONFIRM_DELETION_FIELD) != "yes":
        return render_deletion_confirmation(
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
    if (
        is_valid_id(Message._meta.pk, message_id)
        and case.reports.filter(reported_message_id=message_id).exists()
    ):
        message = Message.objects.filter(pk=message_id).select_related("sender").first()
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


# --- account deletion confirmation ---------------------------------------------------------


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


# --- the queue's bulk action ------------------------------------------------------------


def selected_case_ids(request: HttpRequest, queryset: QuerySet) -> list[int]:
    """The selected ids, at most one over the cap (enough to refuse). DeskModelAdmin
    answered 400 already for anything that is not an id."""
    if forms.BooleanField().to_python(request.POST.get("select_across")):
        return list(queryset.values_list("pk", flat=True)[: MAX_CASES_PER_BULK_ACTION + 1])
    pk = Case._meta.pk
    values = request.POST.getlist(helpers.ACTION_CHECKBOX_NAME)
    return sorted({pk.to_python(value) for value in values if is_valid_id(pk, value)})


def act_on_cases_action(
    model_admin: ModelAdmin, request: HttpRequest, queryset: QuerySet
) -> HttpResponse | None:
    """ "Act on selected cases": the intermediate page, then each case in turn.

    The selection is read by id, not through the changelist's filters, so a case
    closed since the page was shown is reported as closed rather than skipped
    silently. None sends the moderator back to the queue (Django's redirect).
    """
    require_permission(request, CHANGE_CASE)
    case_ids = selected_case_ids(request, queryset)
    if len(case_ids) > MAX_CASES_PER_BULK_ACTION:
        model_admin.message_user(
            request,
            f"Act on at most {MAX_CASES_PER_BULK_ACTION} cases at once: nothing was done. "
            "Narrow the selection with the filters or the search.",
            messages.ERROR,
        )
        return None
    cases = list(
        Case.objects.filter(pk__in=case_ids)
        .select_related("reported_user")
        .order_by("-last_reported_at", "-id")
    )
    if not cases:
        model_admin.message_user(request, "None of the selected cases exists.", messages.WARNING)
        return None
    if request.POST.get(APPLY_FIELD) != "yes":
        return render_bulk_page(model_admin, request, cases, form=CaseActionForm(prefix=ACT_PREFIX))
    form = CaseActionForm(request.POST, prefix=ACT_PREFIX)
    if form.is_valid() and form.deletes_account and len(cases) > MAX_ACCOUNT_DELETIONS_PER_REQUEST:
        form.add_error(
            "actions",
            f"Delete accounts from the queue for at most {MAX_ACCOUNT_DELETIONS_PER_REQUEST} "
            "cases at once. For more, use the Users list: it deletes them as a background job.",
        )
    if not form.is_valid():
        return render_bulk_page(model_admin, request, cases, form=form)
    if form.deletes_account and request.POST.get(CONFIRM_DELETION_FIELD) != "yes":
        return render_deletion_confirmation(
            model_admin,
            request,
            cases,
            form=form,
            form_action=request.get_full_path(),
            cancel_url=request.get_full_path(),
            bulk_fields=bulk_hidden_fields(cases),
        )
    arguments = form.service_arguments()
    for case in cases:
        # act_on_case is atomic: a refusal undoes that case only.
        try:
            outcome = act_on_case(case, moderator=request.user, **arguments)
        except ValidationError as error:
            model_admin.message_user(
                request,
                f"Case #{case.pk} ({case.reported_name}) refused: {' '.join(error.messages)}",
                messages.ERROR,
            )
        else:
            report_case_outcome(model_admin, request, case, outcome, closed=form.closes_case)
    return None


def bulk_hidden_fields(cases: Sequence[Case]) -> list[tuple[str, str]]:
    """What the intermediate page posts back to the changelist to run the action."""
    return [
        ("action", ACTION_NAME),
        ("select_across", "0"),
        (APPLY_FIELD, "yes"),
        *((helpers.ACTION_CHECKBOX_NAME, str(case.pk)) for case in cases),
    ]


def render_bulk_page(
    model_admin: ModelAdmin, request: HttpRequest, cases: Sequence[Case], *, form: CaseActionForm
) -> TemplateResponse:
    request.current_app = model_admin.admin_site.name
    changelist_url = reverse(f"{model_admin.admin_site.name}:moderation_case_changelist")
    context = {
        **model_admin.admin_site.each_context(request),
        "title": f"Act on {len(cases)} case{'s' if len(cases) != 1 else ''}",
        "subtitle": None,
        "opts": model_admin.opts,
        "cases": cases,
        "open_count": sum(case.is_open for case in cases),
        "act_form": form,
        "hidden_fields": bulk_hidden_fields(cases),
        "form_action": request.get_full_path(),
        "cancel_url": changelist_url,
        "max_account_deletions": MAX_ACCOUNT_DELETIONS_PER_REQUEST,
    }
    return TemplateResponse(request, BULK_TEMPLATE, context)
