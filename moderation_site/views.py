"""Project-level views that belong to no single app."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect


@login_required
def after_login(request: HttpRequest) -> HttpResponse:
    """Where a login without ``next`` lands: the desk for staff, the inbox for others.

    (unfold's admin login form carries no ``next`` field, so a moderator logging in
    at /admin/login/ directly would otherwise land on the user pages.)
    """
    return redirect("admin:index" if request.user.is_staff else "messaging:inbox")
