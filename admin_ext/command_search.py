"""The command palette's answers: people, messages, cases and the desk's pages.

The palette is unfold's (⌘K or Ctrl+K, or the sidebar's search box); the site's
``search`` view (``admin_ext.site``) answers it from here instead of from
unfold's own search, for two reasons. With ``UNFOLD["COMMAND"]["search_models"]``
unfold runs every listed model's admin search with no LIMIT and builds
``str(obj)`` per row; and it caches every answer for five minutes per user and
term, so a deleted person's username and words would outlive their deletion in
the cache (the privacy guarantee scans it). Here each kind is one bounded query
(RESULTS_PER_KIND rows) and nothing is cached.

What a term finds, each kind only for those whose role and permissions open its
pages (the model admin's ``has_view_permission``, which asks the role policy):

- ``123`` or ``#123``: the message, the case and the person with that id;
- the desk's pages whose name holds the term: the sidebar's entries, as the
  sidebar shows them to this account;
- people whose username holds the term (the exact name first);
- cases whose reported username holds it (open ones first);
- messages whose text or usernames hold every word (``MessageQuerySet.search``,
  the messages list's search and its indexes), newest first.
"""

from __future__ import annotations

import re
import time
from typing import TYPE_CHECKING, Any

from django.contrib.auth import get_user_model
from django.core.paginator import Paginator
from django.db import models
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.text import Truncator
from unfold.dataclasses import SearchResult

from admin_ext.admin.base import admin_url, is_valid_id, search_term_problem
from messaging.models import Message
from moderation.models import DELETED_ACCOUNT, Case

if TYPE_CHECKING:
    from django.contrib.admin import AdminSite

# Rows of each kind (people, cases, messages) a term may find: the palette is for
# jumping, the lists are for browsing.
RESULTS_PER_KIND = 5
# The palette asks for pages of results (unfold's template): all fit on one.
RESULTS_PER_PAGE = 100
EXCERPT_CHARS = 80
ID_TERM = re.compile(r"#?(\d{1,19})")  # "123" or "#123"


def search_response(site: AdminSite, request: HttpRequest, *, page_number: int) -> HttpResponse:
    """The palette's results for ``?s=``, in unfold's results template. A term
    that must not be searched answers with why, in place of the results.
    Raises InvalidPage past the last page."""
    term = request.GET.get("s", "").strip()
    if not term:
        return HttpResponse()  # unfold's answer: the palette shows its history
    started = time.monotonic()
    notice = search_term_problem(term)
    results = [] if notice else find(site, request, term)
    paginator = Paginator(results, RESULTS_PER_PAGE)
    return TemplateResponse(
        request,
        "admin_ext/command/results.html",
        {
            "notice": f"{notice}: nothing was searched." if notice else None,
            "search_term": term,
            "page_obj": paginator,
            "results": paginator.page(page_number),
            "page_counter": (page_number - 1) * RESULTS_PER_PAGE,
            "execution_time": time.monotonic() - started,
            "command_show_history": False,
        },
        headers={"HX-Trigger": "search"},
    )


def find(site: AdminSite, request: HttpRequest, term: str) -> list[SearchResult]:
    """Everything ``term`` finds that this account may open, best first."""
    may_view = {
        model: model_admin.has_view_permission(request)
        for model in (Message, Case, get_user_model())
        if (model_admin := _model_admin(site, model)) is not None
    }
    results: list[SearchResult] = []
    if match := ID_TERM.fullmatch(term):
        results += by_id(site, int(match.group(1)), may_view=may_view)
    results += pages(site, request, term)
    if may_view.get(get_user_model()):
        results += [person_result(site, user) for user in people(term)]
    if may_view.get(Case):
        results += [case_result(site, case) for case in cases(term)]
    if may_view.get(Message):
        messages = Message.objects.search(term).order_by("-timestamp", "-id")
        results += [message_result(site, message) for message in _with_names(messages)]
    return results


def by_id(site: AdminSite, pk: int, *, may_view: dict[Any, bool]) -> list[SearchResult]:
    """The message, case and person with id ``pk``, those that exist and may be opened."""
    user_model = get_user_model()
    results = []
    if may_view.get(Message) and is_valid_id(Message._meta.pk, pk):
        results += [message_result(site, m) for m in _with_names(Message.objects.filter(pk=pk))]
    if may_view.get(Case) and is_valid_id(Case._meta.pk, pk):
        results += [case_result(site, case) for case in Case.objects.filter(pk=pk)]
    if may_view.get(user_model) and is_valid_id(user_model._meta.pk, pk):
        results += [person_result(site, user) for user in user_model.objects.filter(pk=pk)]
    return results


def pages(site: Any, request: HttpRequest, term: str) -> list[SearchResult]:
    """The sidebar's entries this account sees, whose title holds ``term``."""
    needle = term.casefold()
    return [
        SearchResult(
            title=str(item["title"]),
            description="page",
            link=str(item.get("link_callback") or item["link"]),
            icon=item.get("icon") or "arrow_forward",
        )
        for group in site.get_sidebar_list(request)
        for item in group["items"]
        if item.get("has_permission", True) and needle in str(item["title"]).casefold()
    ]


def people(term: str) -> list[Any]:
    """Up to RESULTS_PER_KIND accounts whose username holds ``term``: the exact
    name first, then names starting with it, then the rest, alphabetically."""
    closeness = models.Case(
        models.When(username__iexact=term, then=models.Value(0)),
        models.When(username__istartswith=term, then=models.Value(1)),
        default=models.Value(2),
        output_field=models.IntegerField(),
    )
    return list(
        get_user_model()
        .objects.filter(username__icontains=term)
        .annotate(closeness=closeness)
        .order_by("closeness", "username")
        .only("pk", "username", "is_active", "is_staff", "is_superuser")[:RESULTS_PER_KIND]
    )


def cases(term: str) -> list[Case]:
    """Up to RESULTS_PER_KIND cases about someone whose username holds ``term``:
    open ones first, then the most recently reported."""
    # "open" sorts after "closed": descending puts open cases first.
    matching = Case.objects.filter(reported_username__icontains=term)
    return list(matching.order_by("-status", "-last_reported_at", "-id")[:RESULTS_PER_KIND])


def _with_names(messages: Any) -> list[Message]:
    """Up to RESULTS_PER_KIND of ``messages`` with both usernames, in one query."""
    return list(
        messages.select_related("sender", "receiver").only(
            "pk",
            "content",
            "is_hidden",
            "timestamp",
            "sender__username",
            "receiver__username",
        )[:RESULTS_PER_KIND]
    )


def _model_admin(site: AdminSite, model: Any) -> Any:
    return site.get_model_admin(model) if site.is_registered(model) else None


# --- How each kind reads in the palette ------------------------------------------


def person_result(site: AdminSite, user: Any) -> SearchResult:
    traits = ["person"]
    if user.is_superuser:
        traits.append("superuser")
    elif user.is_staff:
        traits.append("staff")
    if not user.is_active:
        traits.append("suspended")
    return SearchResult(
        title=f"{user.get_username()} (#{user.pk})",
        description=", ".join(traits),
        link=admin_url(site.get_model_admin(type(user)), "change", user.pk),
        icon="person",
    )


def case_result(site: AdminSite, case: Case) -> SearchResult:
    state = "open" if case.is_open else (case.get_resolution_display() or "closed").lower()
    return SearchResult(
        title=f"Case #{case.pk}: {case.reported_name}",
        description=f"case, {state}, {case.report_count} report"
        + ("" if case.report_count == 1 else "s"),
        link=admin_url(site.get_model_admin(Case), "change", case.pk),
        icon="flag",
    )


def message_result(site: AdminSite, message: Message) -> SearchResult:
    sender = message.sender.get_username() if message.sender else DELETED_ACCOUNT
    receiver = message.receiver.get_username() if message.receiver else DELETED_ACCOUNT
    text = Truncator(" ".join(message.content.split())).chars(EXCERPT_CHARS) or "(no text)"
    return SearchResult(
        title=f"Message #{message.pk}: {sender} → {receiver}",
        description=f"hidden: {text}" if message.is_hidden else text,
        link=admin_url(site.get_model_admin(Message), "change", message.pk),
        icon="chat",
    )
