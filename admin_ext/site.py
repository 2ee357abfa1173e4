"""The desk's admin site: unfold's, with the role policy enforced on every page.

Every URL pattern the site serves, its own and those of every registered
ModelAdmin (Django's pages, and those that django-simple-history,
django-import-export, unfold or the desk add), is wrapped by ``gate``, which
asks ``moderation_site.roles`` whether the account's role may have what the
request asks for, before the view runs. What the policy does not list is
refused to everyone (403). Views keep their own checks (Django's model
permissions, per-object rules), which apply inside what the policy allows.

The gate also refuses a NUL character anywhere in the query string (400): no
stored text can hold one and PostgreSQL refuses it as a parameter, so a filter
or search holding one was a server error.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import BadRequest, PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, URLResolver, reverse
from unfold.sites import UnfoldAdminSite

from moderation_site import roles
from moderation_site.roles import Page

# Methods that read: the same page kind as GET.
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def requested_pages(suffix: str | None, request: HttpRequest) -> list[str]:
    """What a request to the model page ``suffix`` asks for, as policy pages.

    A changelist POST asks for each action it names (and ``change`` for the
    list's editable rows); an object's page and a stored version are read on
    GET and written on POST. Other pages are named by their suffix.
    """
    reading = request.method in _SAFE_METHODS
    if suffix is None:  # "<id>/": Django's redirect to the object's page
        return [Page.VIEW]
    if suffix == "changelist":
        if reading:
            return [Page.LIST]
        asked = [roles.action(name) for name in request.POST.getlist("action") if name]
        if "_save" in request.POST:
            asked.append(Page.CHANGE)
        return asked or [Page.LIST]
    if suffix == "change":
        return [Page.VIEW if reading else Page.CHANGE]
    if suffix == "simple_history":
        return [Page.VERSION if reading else Page.REVERT]
    return [suffix]


def has_nul(request: HttpRequest) -> bool:
    return any(
        "\x00" in key or any("\x00" in value for value in values)
        for key, values in request.GET.lists()
    )


class DeskAdminSite(UnfoldAdminSite):
    def get_urls(self) -> list[URLResolver | URLPattern]:
        urls = super().get_urls()
        models_by_route = {
            f"{model._meta.app_label}/{model._meta.model_name}/": model for model in self._registry
        }
        for entry in urls:
            if isinstance(entry, URLResolver):
                model = models_by_route.get(str(entry.pattern))
                if model is None:  # an include nobody declared: closed
                    for pattern in _patterns(entry):
                        pattern.callback = self.gate(pattern.callback, model_label="", name=None)
                    continue
                prefix = f"{model._meta.app_label}_{model._meta.model_name}_"
                for pattern in _patterns(entry):
                    suffix = (
                        pattern.name.removeprefix(prefix)
                        if pattern.name and pattern.name.startswith(prefix)
                        else pattern.name
                    )
                    pattern.callback = self.gate(
                        pattern.callback, model_label=model._meta.label_lower, name=suffix
                    )
            else:
                entry.callback = self.gate(entry.callback, model_label=None, name=entry.name)
        return urls

    def gate(
        self, view: Callable[..., HttpResponse], *, model_label: str | None, name: str | None
    ) -> Callable[..., HttpResponse]:
        """``view``, answered only when the policy lets the account's role have it.

        ``model_label`` is None for the site's own pages; ``name`` is the page's
        URL name (after ``<app>_<model>_`` for a model's page).
        """

        @wraps(view)
        def gated(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if has_nul(request):
                raise BadRequest("A request parameter cannot contain a NUL character.")
            if model_label is None and (name in roles.OPEN_PAGES or name is None):
                return view(request, *args, **kwargs)  # the login flow; the catch-all
            if not self.has_permission(request):
                return self.login_redirect(request)
            role = roles.role_of(request.user)
            if model_label is None:
                allowed = roles.site_page_allows(role, name)
            else:
                allowed = all(
                    roles.model_page_allows(role, model_label, page)
                    for page in requested_pages(name, request)
                )
            if not allowed:
                raise PermissionDenied
            return view(request, *args, **kwargs)

        gated.desk_policy = (model_label, name)  # type: ignore[attr-defined]
        return gated

    def login_redirect(self, request: HttpRequest) -> HttpResponse:
        """Where someone not signed in to the admin goes instead of a page: what
        Django's ``admin_view`` does, here whatever wraps the view."""
        return redirect_to_login(
            request.get_full_path(), reverse("admin:login", current_app=self.name)
        )


def _patterns(resolver: URLResolver) -> Iterator[URLPattern]:
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            yield from _patterns(entry)
        else:
            yield entry
