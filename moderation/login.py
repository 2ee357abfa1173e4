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

The page also lets the suspended person appeal the suspension (``moderation.
appeals``), see the appeal's state, answer the moderator's question and read
the decision, all without a session: the page puts a signed token in its forms
(``appeal_token``: the account's and the sanction's ids, its own salt, valid
for APPEAL_TOKEN_MAX_AGE), made only after the right password. The POST views
here check it and write nothing without it. They are not logins: they never
call authenticate(), so django-axes neither counts nor blocks them.

Staff log in to the admin at /admin/login/, which keeps its own form.
"""

from __future__ import annotations

from typing import Any

from axes.handlers.proxy import AxesProxyHandler
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.signals import user_login_failed
from django.contrib.auth.views import LoginView
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_variables
from django.views.decorators.http import require_POST

from moderation.appeals import (
    answer_appeal_question,
    appeal_deadline,
    appeal_of,
    appeal_refusal,
    file_appeal,
)
from moderation.forms import AnswerForm, AppealForm
from moderation.models import Sanction
from moderation.person_selectors import suspension_notice

SUSPENDED_TEMPLATE = "registration/suspended.html"
SUSPENDED_APPEAL_TEMPLATE = "registration/suspended_appeal.html"
APPEAL_TOKEN_SALT = "moderation.login.suspended-appeal"  # noqa: S105 (a salt, not a secret)
# Long enough to write an appeal; after it, the person logs in again for a new one.
APPEAL_TOKEN_MAX_AGE = 60 * 60
EXPIRED_FORM = (
    "This form is no longer valid: it lasts an hour and works only for the account "
    "that logged in. Log in again to appeal or to answer. Nothing was sent."
)


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
            **suspension_appeal_context(form.suspended_user),
        }
        return self.response_class(
            request=self.request, template=[SUSPENDED_TEMPLATE], context=context, using=None
        )


# --- appealing the suspension from the login page ---------------------------------------


def appeal_token(*, user_id: int, sanction_id: int) -> str:
    return signing.dumps({"user": user_id, "sanction": sanction_id}, salt=APPEAL_TOKEN_SALT)


def user_of_token(token: str, *, sanction_id: int) -> int | None:
    """The account id ``token`` was made for, if it is genuine, recent and made
    for ``sanction_id``; None otherwise."""
    try:
        values = signing.loads(token, salt=APPEAL_TOKEN_SALT, max_age=APPEAL_TOKEN_MAX_AGE)
    except signing.BadSignature:  # forged, altered or expired (SignatureExpired)
        return None
    if not isinstance(values, dict) or values.get("sanction") != sanction_id:
        return None
    user_id = values.get("user")
    return user_id if isinstance(user_id, int) else None


def suspension_appeal_context(user: Any, **forms: Any) -> dict[str, Any]:
    """The suspension the login page lets the person appeal (the newest active
    one; None when suspended outside the desk's services), its appeal, why it
    may not be appealed, and the token its forms carry."""
    suspension = (
        Sanction.objects.active()
        .filter(user_id=user.pk, kind=Sanction.Kind.SUSPEND)
        .select_related("appeal")
        .first()
    )
    if suspension is None:
        return {"suspension": None}
    appeal = appeal_of(suspension)
    return {
        "suspension": suspension,
        "appeal": appeal,
        "appeal_refusal": appeal_refusal(suspension, user=user) if appeal is None else None,
        "appeal_deadline": appeal_deadline(suspension),
        "appeal_token": appeal_token(user_id=user.pk, sanction_id=suspension.pk),
        "appeal_form": forms.get("appeal_form") or AppealForm(),
        "answer_form": forms.get("answer_form") or AnswerForm(),
    }


def _token_sanction(request: HttpRequest, sanction_id: int) -> Sanction | None:
    user_id = user_of_token(request.POST.get("token", ""), sanction_id=sanction_id)
    if user_id is None:
        return None
    return (
        Sanction.objects.select_related("user", "appeal")
        .filter(pk=sanction_id, user_id=user_id, kind=Sanction.Kind.SUSPEND)
        .first()
    )


def _appeal_page(
    request: HttpRequest, sanction: Sanction | None, *, status: int = 200, **context: Any
) -> HttpResponse:
    if sanction is None:
        return render(
            request, SUSPENDED_APPEAL_TEMPLATE, {"token_refusal": EXPIRED_FORM}, status=400
        )
    return render(
        request,
        SUSPENDED_APPEAL_TEMPLATE,
        {
            "suspended_username": sanction.user.get_username(),
            **suspension_appeal_context(sanction.user, **context),
            **context,
            # The token posted, not a new one: only the password makes those, so
            # a token cannot be renewed past its hour by posting it again.
            "appeal_token": request.POST.get("token", ""),
        },
        status=status,
    )


@never_cache
@require_POST
def suspended_appeal(request: HttpRequest, sanction_id: int) -> HttpResponse:
    """A suspended person's appeal of their suspension, authorised by the login
    page's token instead of a session."""
    sanction = _token_sanction(request, sanction_id)
    if sanction is None:
        return _appeal_page(request, None)
    form = AppealForm(request.POST)
    if form.is_valid():
        try:
            file_appeal(sanction, user=sanction.user, text=form.cleaned_data["text"])
        except ValidationError as error:
            form.add_error("text" if error.code != "refused" else None, error)
        else:
            return _appeal_page(request, sanction, sent="Your appeal was sent.")
    return _appeal_page(request, sanction, status=400, appeal_form=form)


@never_cache
@require_POST
def suspended_answer(request: HttpRequest, sanction_id: int) -> HttpResponse:
    """The suspended person's answer to the moderator's question on their appeal."""
    sanction = _token_sanction(request, sanction_id)
    appeal = appeal_of(sanction) if sanction is not None else None
    if appeal is None:
        return _appeal_page(request, None)
    form = AnswerForm(request.POST)
    if form.is_valid():
        try:
            answer_appeal_question(appeal, user=sanction.user, answer=form.cleaned_data["answer"])
        except (ValidationError, PermissionDenied) as error:
            form.add_error(None, getattr(error, "messages", None) or str(error))
        else:
            return _appeal_page(request, sanction, sent="Your answer was sent.")
    return _appeal_page(request, sanction, status=400, answer_form=form)
