"""Forms of the user-facing pages. Content is never stripped: what people type
(including a leading tab or space) is stored exactly as typed."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import get_user_model

from messaging.models import MAX_CONTENT_LENGTH


class MessageContentForm(forms.Form):
    content = forms.CharField(
        strip=False,
        max_length=MAX_CONTENT_LENGTH,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=f"Up to {MAX_CONTENT_LENGTH:,} characters.",
    )

    def clean_content(self) -> str:
        content = self.cleaned_data["content"]
        if not content.strip():
            raise forms.ValidationError("A message cannot be empty.")
        return content


class NewMessageForm(MessageContentForm):
    field_order = ["receiver", "content"]
    receiver = forms.CharField(label="To (username)", max_length=150)

    def clean_receiver(self) -> Any:
        username = self.cleaned_data["receiver"].strip()
        user = get_user_model().objects.filter(username=username, is_active=True).first()
        if user is None:
            raise forms.ValidationError(f"There is no active user called “{username}”.")
        return user


class DeleteAccountForm(forms.Form):
    password = forms.CharField(
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        help_text="Enter your password to confirm.",
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError("That password is not correct.")
        return password
