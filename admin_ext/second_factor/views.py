"""The second-factor pages of the admin site: sign in, set up, recovery codes.

They are the admin's login flow, outside the role policy (``roles.OPEN_PAGES``)
and outside ``admin_view`` (whose permission check is what they lead to), so
each checks for itself: an active staff account signed in with its password,
else the login page. With ``STAFF_2FA`` off, or once verified, they only send
the person on to ``next``.
"""

from __future__ import annotations

from base64 import b32encode
from collections.abc import Callable
from functools import wraps
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

import django_otp
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.http import require_GET
from django_otp.plugins.otp_static.models import StaticDevice

from admin_ext.second_factor import services
from admin_ext.second_factor.forms import TokenForm
from admin_ext.second_factor.qr import qr_code_svg
from admin_ext.second_factor.selectors import (
    has_confirmed_authenticator,
    is_staff_account,
    is_verified,
    recovery_codes_left,
)

if TYPE_CHECKING:
    from django.contrib.admin import AdminSite

TEMPLATES = "admin_ext/second_factor"
# The codes made at setup, kept in the session only until the page after the
# setup shows them (once: a reload does not show them again).
RECOVERY_CODES_SESSION_KEY = "second_factor_recovery_codes"
THROTTLED = 429

SiteView = Callable[..., HttpResponse]


def second_factor_urls(site: AdminSite) -> list[URLPattern]:
    """The pages, for the site's ``get_urls`` (their names are in OPEN_PAGES)."""

    def page(view: SiteView) -> Callable[..., HttpResponse]:
        @wraps(view)
        def with_site(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            request.current_app = site.name
            return view(request, site, *args, **kwargs)

        # What admin_view would add: codes and secrets are never cached, and
        # every form checks its CSRF token.
        return csrf_protect(never_cache(with_site))

    return [
        path("second-factor/", page(verify_view), name="second_factor"),
        path("second-factor/setup/", page(setup_view), name="second_factor_setup"),
        path(
            "second-factor/recovery-codes/",
            page(recovery_codes_view),
            name="second_factor_recovery_codes",
        ),
    ]


def second_factor_redirect(request: HttpRequest, *, site_name: str, next_url: str) -> HttpResponse:
    """Where a staff session without its second factor goes instead of an admin
    page: the sign-in code, or the setup when they have no authenticator yet."""
    page = "second_factor" if has_confirmed_authenticator(request.user) else "second_factor_setup"
    return HttpResponseRedirect(
        _with_next(reverse(f"admin:{page}", current_app=site_name), next_url)
    )


# --- the pages ----------------------------------------------------------------------


def verify_view(request: HttpRequest, site: AdminSite) -> HttpResponse:
    """A code from the authenticator app, or a recovery code (used up)."""
    refused = _refuse_unless_staff(request, site)
    if refused is not None:
        return refused
    next_url = _next_url(request, site)
    if not settings.STAFF_2FA or is_verified(request.user):
        return HttpResponseRedirect(next_url)
    if not has_confirmed_authenticator(request.user):
        return HttpResponseRedirect(_with_next(_url(site, "second_factor_setup"), next_url))
    form = TokenForm(request.POST if request.method == "POST" else None)
    status = 200
    if form.is_bound and form.is_valid():
        verification = services.verify_second_factor(
            user=request.user, token=form.cleaned_data["token"]
        )
        if verification.device is not None:
            _sign_in(request, verification.device)
            if isinstance(verification.device, StaticDevice):
                _warn_about_recovery_codes(request)
            return HttpResponseRedirect(next_url)
        form.add_error("token", verification.refusal)
        status = THROTTLED if verification.is_throttled else 200
    context = {
        **_context(request, site, title="Two-step sign-in", next_url=next_url),
        "form": form,
    }
    return TemplateResponse(request, f"{TEMPLATES}/verify.html", context, status=status)


def setup_view(request: HttpRequest, site: AdminSite) -> HttpResponse:
    """The first sign-in: a QR code and the secret, confirmed by a first code."""
    refused = _refuse_unless_staff(request, site)
    if refused is not None:
        return refused
    next_url = _next_url(request, site)
    if not settings.STAFF_2FA:
        return HttpResponseRedirect(next_url)
    if has_confirmed_authenticator(request.user):
        # Only a superuser's reset replaces an authenticator: a password alone
        # must never be enough to add a new one.
        if is_verified(request.user):
            return HttpResponseRedirect(next_url)
        return HttpResponseRedirect(_with_next(_url(site, "second_factor"), next_url))
    form = TokenForm(request.POST if request.method == "POST" else None, allow_recovery_code=False)
    status = 200
    if form.is_bound and form.is_valid():
        enrolment = services.confirm_enrolment(user=request.user, token=form.cleaned_data["token"])
        if enrolment.device is not None:
            _sign_in(request, enrolment.device)
            request.session[RECOVERY_CODES_SESSION_KEY] = enrolment.recovery_codes
            return HttpResponseRedirect(
                _with_next(_url(site, "second_factor_recovery_codes"), next_url)
            )
        form.add_error("token", enrolment.refusal)
        status = THROTTLED if enrolment.is_throttled else 200
    try:
        device = services.start_enrolment(user=request.user)
    except ValidationError:  # confirmed in another tab meanwhile
        return HttpResponseRedirect(_with_next(_url(site, "second_factor"), next_url))
    secret = b32encode(device.bin_key).decode("ascii")
    context = {
        **_context(request, site, title="Set up two-step sign-in", next_url=next_url),
        "form": form,
        "secret": secret,
        "qr_code": qr_code_svg(device.config_url, label="QR code of your authenticator secret"),
    }
    return TemplateResponse(request, f"{TEMPLATES}/setup.html", context, status=status)


@require_GET
def recovery_codes_view(request: HttpRequest, site: AdminSite) -> HttpResponse:
    """The recovery codes made by the setup just confirmed, shown this once."""
    refused = _refuse_unless_staff(request, site)
    if refused is not None:
        return refused
    next_url = _next_url(request, site)
    codes = request.session.pop(RECOVERY_CODES_SESSION_KEY, None)
    if not codes or not is_verified(request.user):
        return HttpResponseRedirect(next_url)
    context = {
        **_context(request, site, title="Your recovery codes", next_url=next_url),
        "recovery_codes": codes,
    }
    return TemplateResponse(request, f"{TEMPLATES}/recovery_codes.html", context)


# --- helpers ------------------------------------------------------------------------


def _refuse_unless_staff(request: HttpRequest, site: AdminSite) -> HttpResponse | None:
    if is_staff_account(request.user):
        return None
    return redirect_to_login(request.get_full_path(), _url(site, "login"))


def _sign_in(request: HttpRequest, device: Any) -> None:
    django_otp.login(request, device)
    # The session now opens the admin: a new key, so that one seen before the
    # code (on a shared machine, say) opens nothing.
    request.session.cycle_key()


def _warn_about_recovery_codes(request: HttpRequest) -> None:
    left = recovery_codes_left(request.user)
    if left:
        text = f"You signed in with a recovery code; it cannot be used again. {left} left."
    else:
        text = (
            "You signed in with your last recovery code. If you lose your authenticator "
            "now, ask a superuser to reset your second factor."
        )
    messages.warning(request, text)


def _next_url(request: HttpRequest, site: AdminSite) -> str:
    """``next`` from the form or the query string if it stays on this site,
    else the admin's index."""
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return _url(site, "index")


def _with_next(url: str, next_url: str) -> str:
    return f"{url}?{urlencode({'next': next_url})}"


def _url(site: AdminSite, name: str) -> str:
    return reverse(f"admin:{name}", current_app=site.name)


def _context(request: HttpRequest, site: AdminSite, *, title: str, next_url: str) -> dict:
    return {
        **site.each_context(request),
        "title": title,
        "subtitle": None,
        "next": next_url,
        "username": request.user.get_username(),
        "logout_url": _url(site, "logout"),
    }
