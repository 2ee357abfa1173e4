"""The forms of the case page and of the queue's bulk action, and the prefixes
that keep their fields apart on one page.

The forms check what they can say next to their fields; the services of
``moderation.services`` have the last word and run their checks again.
"""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from unfold.widgets import (
    UnfoldAdminCheckboxSelectMultipleWidget,
    UnfoldAdminRadioSelectWidget,
    UnfoldAdminSelectWidget,
    UnfoldAdminTextareaWidget,
    UnfoldAdminTextInputWidget,
    UnfoldBooleanWidget,
)

from moderation import durations
from moderation.models import MAX_NOTE_LENGTH
from moderation.services import (
    MAX_REASON_LENGTH,
    MAX_WARNING_LENGTH,
    CaseAction,
    validate_case_actions,
)

CHANGE_CASE = "moderation.change_case"
ADD_NOTE = "moderation.add_note"

# The prefix of each form of the case page, so their fields' names and ids differ.
ACT_PREFIX = "act"
NOTE_PREFIX = "note"
RETENTION_PREFIX = "retention"
RESTORE_PREFIX = "restore"
LIFT_PREFIX = "lift"

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


class DateInputWidget(UnfoldAdminTextInputWidget):
    input_type = "date"


class SanctionEndForm(forms.Form):
    """The duration of a warning's strike or a suspension (``moderation.durations``),
    mixed into the forms that warn or suspend: ``cleaned_data["ends_at"]`` is its
    end (None: until lifted).

    ``duration_applies`` says whether the submission gives one (a case's action
    form only with warn or suspend): without, the date is not looked at.
    """

    duration = forms.ChoiceField(
        label="For how long",
        choices=durations.CHOICES,
        initial=durations.INDEFINITE,
        required=False,
        widget=UnfoldAdminSelectWidget,
        help_text="A warning's strike or a suspension ends by itself then, within a minute.",
    )
    until_date = forms.DateField(
        label="Until (with “Until a date”)",
        required=False,
        widget=DateInputWidget,
        help_text="Through the end of that day, desk time ({zone}).",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["until_date"]
        field.help_text = field.help_text.format(zone=timezone.get_current_timezone_name())

    def duration_applies(self, cleaned: dict[str, Any]) -> bool:
        return True

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        cleaned["ends_at"] = None
        if "duration" not in cleaned or not self.duration_applies(cleaned):
            return cleaned
        if "until_date" not in cleaned:
            return cleaned  # a malformed date: its field says so
        try:
            cleaned["ends_at"] = durations.ends_at_for(
                cleaned["duration"],
                cleaned["until_date"],
                now=timezone.now(),
                zone=timezone.get_current_timezone(),
            )
        except ValidationError as error:
            field = "duration" if error.code == "unknown_duration" else "until_date"
            self.add_error(field, error)
        return cleaned


class CaseActionForm(SanctionEndForm):
    """One submission on one case or a selection: actions, one reason, the warning,
    and how long a warning's strike or a suspension lasts.

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
    # Only when another moderator holds the case (or one of a bulk selection):
    # act_on_case refuses without it.
    despite_claim = forms.BooleanField(
        label="Act on cases another moderator holds",
        required=False,
        widget=UnfoldBooleanWidget,
        help_text="Without this, a case someone else has claimed is refused.",
    )

    # The duration after the texts it goes with, before closing and confirming.
    field_order = ["actions", "reason", "warning", "duration", "until_date"]

    def __init__(
        self,
        *args: Any,
        claim_holder: str | None = None,
        held_in_selection: bool = False,
        **kwargs: Any,
    ) -> None:
        """``claim_holder``: who else holds the case (the confirmation names
        them); ``held_in_selection``: another holds one of the selected cases."""
        super().__init__(*args, **kwargs)
        if claim_holder is not None:
            self.fields["despite_claim"].label = f"I know {claim_holder} holds this case"
            self.fields["despite_claim"].help_text = "They claimed it; acting anyway is on you."
        elif not held_in_selection:
            del self.fields["despite_claim"]

    def duration_applies(self, cleaned: dict[str, Any]) -> bool:
        actions = cleaned.get("actions") or []
        return CaseAction.WARN in actions or CaseAction.SUSPEND in actions

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
            "despite_claim": data.get("despite_claim", False),
            "ends_at": data["ends_at"],
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
