"""The desk's admin site: unfold's, with the role policy enforced on every page.

Every URL pattern the site serves, its own and those of every registered
ModelAdmin (Django's pages, and those that django-simple-history,
django-import-export, unfold or the desk add), is wrapped by ``gate``, which
asks ``moderation_site.roles`` whether the account's role may have what the
request asks for, before the view runs. What the policy does not list is
refused to everyone (403). Views keep their own checks (Django's model
permissions, per-object rules), which apply inside what the policy allows.

With ``settings.STAFF_2FA`` on, the site also asks for the second factor
(``admin_ext.second_factor``): ``has_permission`` needs a verified session, and
a staff account signed in without one is sent to the code (or, without an
authenticator yet, to its setup) from any admin page, ``next`` kept.

The gate also refuses a NUL character anywhere in the query string (400): no
stored text can hold one and PostgreSQL refuses it as a parameter, so a filter
or search holding one was a server error.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib.auth.views import LoginView, redirect_to_login
from django.core.exceptions import BadRequest, PermissionDenied
from django.core.paginator import InvalidPage
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import URLPattern, URLResolver, reverse
from unfold.sites import UnfoldAdminSite

from admin_ext.second_factor.selectors import is_verified, needs_second_factor
from admin_ext.second_factor.views import second_factor_redirect, second_factor_urls
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
    def search(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        """The command palette's search: unfold's palette, the desk's answers
        (``admin_ext.command_search``: bounded, by role, never cached). Its page
        number is checked first: ``?page=abc``, 0 or past the last page is a 404."""
        page = request.GET.get("page", "1")
        if not (page.isdecimal() and int(page) >= 1):
            raise Http404("No such page of search results.")
        # Imported here: it reads through the model admins, whose package
        # registers them with this site as it loads.
        from admin_ext import command_search

        try:
            return command_search.search_response(self, request, page_number=int(page))
        except InvalidPage as error:  # past the last page
            raise Http404("No such page of search results.") from error

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
        if needs_second_factor(request.user):
            return self.second_factor_redirect(request)
        return redirect_to_login(
            request.get_full_path(), reverse("admin:login", current_app=self.name)
        )

    # --- The second factor (settings.STAFF_2FA; admin_ext.second_factor) ---------

    def has_permission(self, request: HttpRequest) -> bool:
        if not super().has_permission(request):
            return False
        return not settings.STAFF_2FA or is_verified(request.user)

    def extra_urls(self) -> list[URLPattern]:
        # unfold's hook: placed before Django's pages (and their catch-all), and
        # gated like them; their names are roles.OPEN_PAGES.
        return second_factor_urls(self)

    def admin_view(self, view: Callable[..., HttpResponse], cacheable: bool = False) -> Any:
        """Django's, except that a staff session without its second factor goes
        to it rather than to the login page, and may still log out."""
        checked = super().admin_view(view, cacheable)
        is_logout = view == self.logout

        @wraps(checked)
        def second_factor_first(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if needs_second_factor(request.user):
                if is_logout:
                    return view(request, *args, **kwargs)  # LogoutView: POST, CSRF
                return self.second_factor_redirect(request)
            return checked(request, *args, **kwargs)

        return second_factor_first

    def login(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> Any:
        # Django shows the login form to anyone without has_permission: a staff
        # session that passed its password goes on to the code instead. A POST
        # still logs in (another account, say).
        if request.method == "GET" and needs_second_factor(request.user):
            next_url = LoginView().get_redirect_url(request) or reverse(
                "admin:index", current_app=self.name
            )
            return self.second_factor_redirect(request, next_url=next_url)
        return super().login(request, extra_context)

    def second_factor_redirect(
        self, request: HttpRequest, *, next_url: str | None = None
    ) -> HttpResponse:
        return second_factor_redirect(
            request, site_name=self.name, next_url=next_url or request.get_full_path()
        )


def _patterns(resolver: URLResolver) -> Iterator[URLPattern]:
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            yield from _patterns(entry)
        else:
            yield entry
