"""Forms of the moderation pages people use (reporting a message)."""

from __future__ import annotations

from django import forms

from moderation.models import MAX_COMMENT_LENGTH, Report


class ReportForm(forms.Form):
    reason = forms.ChoiceField(
        # A blank first choice, so nobody reports "spam" by not touching the list.
        choices=[("", "Choose a reason…"), *Report.Reason.choices],
        error_messages={"invalid_choice": "Choose a reason from the list."},
    )
    comment = forms.CharField(
        required=False,
        max_length=MAX_COMMENT_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=f"Optional: anything a moderator should know. Up to {MAX_COMMENT_LENGTH:,} "
        "characters.",
    )
