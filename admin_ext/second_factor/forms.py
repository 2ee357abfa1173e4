"""The one field of the second-factor pages: a code, named ``token``."""

from __future__ import annotations

import re

from django import forms
from unfold.widgets import UnfoldAdminTextInputWidget

# An authenticator's code (django-otp's TOTPDevice: 6 digits by default, 8 at
# most); a recovery code (django-otp's StaticToken: base32, lower case).
AUTHENTICATOR_CODE = re.compile(r"[0-9]{6,8}")
RECOVERY_CODE = re.compile(r"[a-z2-7]{8,16}")
MAX_TOKEN_LENGTH = 32  # room for spaces and dashes people type or paste


class TokenForm(forms.Form):
    """A code, without the spaces or dashes people add: an authenticator's code,
    and on the sign-in page (``allow_recovery_code``) a recovery code too.

    What cannot be a code at all is refused here and does not count as a
    failed attempt; what could be one goes to django-otp, which counts it.
    """

    token = forms.CharField(
        label="Code",
        max_length=MAX_TOKEN_LENGTH,
        error_messages={"required": "Enter the code."},
        widget=UnfoldAdminTextInputWidget(
            attrs={
                "autocomplete": "one-time-code",
                "autocapitalize": "none",
                "spellcheck": "false",
                "autofocus": True,
            }
        ),
    )

    def __init__(self, *args: object, allow_recovery_code: bool = True, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.allow_recovery_code = allow_recovery_code
        token = self.fields["token"]
        if allow_recovery_code:
            token.help_text = (
                "The 6-digit code your authenticator app shows now, or one of your recovery codes."
            )
        else:
            token.help_text = "The 6-digit code your authenticator app shows now."
            token.widget.attrs["inputmode"] = "numeric"

    def clean_token(self) -> str:
        token = re.sub(r"[\s-]", "", self.cleaned_data["token"]).lower()
        if AUTHENTICATOR_CODE.fullmatch(token):
            return token
        if self.allow_recovery_code and RECOVERY_CODE.fullmatch(token):
            return token
        if self.allow_recovery_code:
            raise forms.ValidationError(
                "Enter the 6-digit code from your authenticator app, or a recovery code."
            )
        raise forms.ValidationError("Enter the 6-digit code from your authenticator app.")
