"""Forms of the moderation pages people use: reporting a message, appealing a
decision and answering a moderator's question on it."""

from __future__ import annotations

from typing import Any

from django import forms

from moderation.models import MAX_APPEAL_LENGTH, MAX_COMMENT_LENGTH, Report


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


class AppealForm(forms.Form):
    text = forms.CharField(
        label="Your appeal",
        max_length=MAX_APPEAL_LENGTH,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="Why the moderators should look at their decision again. A moderator who did "
        f"not take it reads this. You can appeal once. Up to {MAX_APPEAL_LENGTH:,} characters.",
    )

    def __init__(self, *args: Any, automatic: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if automatic:  # a watched-word rule's hide: nobody took it
            self.fields["text"].help_text = self.fields["text"].help_text.replace(
                "A moderator who did not take it reads this.", "A moderator reads this."
            )


class AnswerForm(forms.Form):
    answer = forms.CharField(
        label="Your answer",
        max_length=MAX_APPEAL_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=f"You can answer once. Up to {MAX_APPEAL_LENGTH:,} characters.",
    )
