"""The people's login page, which tells a suspended person that they are.

Django's backend refuses an inactive (suspended) account as it refuses a wrong
password, so a suspended person read "Please enter a correct username and
password", retried until django-axes locked them out, and never saw the
moderators' warning. Here, when the username and the password are right but
the account is suspended, the page says so instead (since when, until a
moderator lifts it, and the warnings the moderators sent), and no session is
created. Without the right password nothing is revealed: the answer is the
usual one.

The rate limit holds: a locked-out username and address get axes' lockout page
whatever the password (the check is axes' own, before any password is
looked at), and a wrong password on a suspended account counts as a failure
like any other. A right password on a suspended account is not a failure: the
person did nothing wrong by trying, and retrying must not lock them out.

Staff log in to the admin at /admin/login/, which keeps its own form.
"""

from __future__ import annotations

from typing import Any

from axes.handlers.proxy import AxesProxyHandler
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.signals import user_login_failed
from django.contrib.auth.views import LoginView
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.views.decorators.debug import sensitive_variables

from moderation.person_selectors import suspension_notice

SUSPENDED_TEMPLATE = "registration/suspended.html"


class SuspensionAwareLoginForm(AuthenticationForm):
    """Django's login form; ``suspended_user`` is the account when the password
    was right but the account is suspended (the form is then invalid)."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "suspended": "This account is suspended.",
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.suspended_user: Any = None

    @sensitive_variables("password")
    def clean(self) -> dict[str, Any]:
        username = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if username is None or not password or not self._may_try(username):
            return super().clean()  # Django's, and axes' lockout when locked out
        account = (
            get_user_model()._default_manager.filter(
                **{get_user_model().USERNAME_FIELD: username}, is_active=False
            )
        ).first()
        if account is None:
            return super().clean()  # an active account, or none: the usual login
        # A suspended account: its password is checked here, once (authenticate()
        # would check it again before refusing, and take twice as long as for
        # anyone else, which would tell that the account is suspended).
        if not account.check_password(password):
            # What authenticate() does when every backend refuses: axes counts it.
            user_login_failed.send(
                sender=__name__,
                credentials={"username": username, "password": "********************"},
                request=self.request,
            )
            raise self.get_invalid_login_error()
        self.suspended_user = account
        raise ValidationError(self.error_messages["suspended"], code="suspended")

    def _may_try(self, username: str) -> bool:
        """Whether axes lets this username try from this address now."""
        return self.request is not None and AxesProxyHandler.is_allowed(
            self.request, {"username": username}
        )


class SuspensionAwareLoginView(LoginView):
    """``/accounts/login/``: Django's login view, with the suspended page."""

    form_class = SuspensionAwareLoginForm

    def form_invalid(self, form: SuspensionAwareLoginForm) -> HttpResponse:
        if form.suspended_user is None:
            return super().form_invalid(form)
        context = {
            **self.get_context_data(form=form),
            "suspended_username": form.suspended_user.get_username(),
            "notice": suspension_notice(form.suspended_user),
        }
        return self.response_class(
            request=self.request, template=[SUSPENDED_TEMPLATE], context=context, using=None
        )
