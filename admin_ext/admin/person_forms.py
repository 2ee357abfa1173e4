"""The forms of a person's page (the user's admin page): warn, suspend, lift a
suspension. Each has a reason, kept in the audit log; a warning's strike and a
suspension have a duration (``case_forms.SanctionEndForm``). The services of
``moderation.services`` check everything again.
"""

from __future__ import annotations

from django import forms
from unfold.widgets import UnfoldAdminTextareaWidget

from admin_ext.admin.case_forms import SanctionEndForm, reason_field
from moderation.services import MAX_WARNING_LENGTH

# The prefix of each form, so their fields' names and ids differ on one page.
WARN_PREFIX = "warn"
SUSPEND_PREFIX = "suspend"
LIFT_PREFIX = "lift"

REASON_HELP = "Kept in the audit log under your name; the person does not see it."


def warning_field(*, required: bool, label: str, help_text: str) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=required,
        max_length=MAX_WARNING_LENGTH,
        widget=UnfoldAdminTextareaWidget(attrs={"rows": 3}),
        help_text=help_text,
    )


class WarnUserForm(SanctionEndForm):
    warning = warning_field(
        required=True,
        label="Warning to the person",
        help_text="Shown to them, exactly as written, on their inbox until they "
        "acknowledge it (and at login while they are suspended). It counts as a "
        "strike for the time chosen below.",
    )
    reason = reason_field(help_text=REASON_HELP)

    field_order = ["warning", "duration", "until_date", "reason"]


class SuspendUserForm(SanctionEndForm):
    warning = warning_field(
        required=False,
        label="Message to the person (optional)",
        help_text="Sent as a warning: the login page shows it to them while the suspension lasts.",
    )
    reason = reason_field(help_text=REASON_HELP)

    field_order = ["warning", "duration", "until_date", "reason"]


class LiftSuspensionForm(forms.Form):
    reason = reason_field(help_text=REASON_HELP)


# name: (form class, prefix), as the person's page and its handlers know them.
PERSON_FORMS: dict[str, tuple[type[forms.Form], str]] = {
    "warn": (WarnUserForm, WARN_PREFIX),
    "suspend": (SuspendUserForm, SUSPEND_PREFIX),
    "lift_suspension": (LiftSuspensionForm, LIFT_PREFIX),
}
