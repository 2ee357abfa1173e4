"""A superuser resets someone's second factor, from the user's admin page.

The page's "Reset second factor" button is a link (GET): it only shows what
will happen and a form; the reset is that form's POST (CSRF), done by
``services.reset_second_factor``, which checks again and writes the audit
entry. The role policy lets only superusers reach the URL at all.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib import messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse

from admin_ext.admin.base import admin_url, missing_account_redirect
from admin_ext.second_factor import services
from admin_ext.second_factor.selectors import confirmed_authenticator, recovery_codes_left

if TYPE_CHECKING:
    from django.contrib.admin import ModelAdmin

TEMPLATE = "admin_ext/second_factor/reset.html"


def reset_second_factor_view(
    model_admin: ModelAdmin, request: HttpRequest, object_id: str
) -> HttpResponse:
    """GET: the confirmation page; POST: the reset, back to the user's page."""
    if not request.user.is_superuser:
        raise PermissionDenied
    user = model_admin.get_object(request, unquote(object_id))
    if user is None:
        return missing_account_redirect(model_admin, request, object_id)
    change_url = admin_url(model_admin, "change", user.pk)
    if request.method == "POST":
        try:
            services.reset_second_factor(actor=request.user, user=user)
        except ValidationError as error:
            model_admin.message_user(request, " ".join(error.messages), messages.ERROR)
        else:
            model_admin.message_user(
                request,
                f"The second factor of {user.get_username()} was reset: they set up a new "
                "authenticator at their next sign-in, and their recovery codes no longer work.",
                messages.SUCCESS,
            )
        return HttpResponseRedirect(change_url)
    authenticator = confirmed_authenticator(user)
    request.current_app = model_admin.admin_site.name
    context = {
        **model_admin.admin_site.each_context(request),
        "title": f"Reset the second factor of “{user.get_username()}”",
        "subtitle": None,
        "opts": model_admin.opts,
        "account": user,
        "authenticator": authenticator,
        "recovery_codes_left": recovery_codes_left(user) if authenticator else 0,
        "refusal": services.reset_refusal(actor=request.user, user=user),
        "cancel_url": change_url,
    }
    return TemplateResponse(request, TEMPLATE, context)
