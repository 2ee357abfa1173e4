"""unfold's command search (the ⌘K palette, ``admin:search``) with its page number
checked first.

unfold pages the results with ``int(page)`` and ``Paginator.page(page)``, so
``?page=abc``, ``?page=0`` or a page past the last was a server error. Any page
that is not one of the results is a 404 here; the search itself is unfold's.
"""

from __future__ import annotations

from django.contrib import admin
from django.core.paginator import InvalidPage
from django.http import Http404, HttpRequest, HttpResponse


def command_search(request: HttpRequest) -> HttpResponse:
    page = request.GET.get("page")
    if page is not None and not (page.isdecimal() and int(page) >= 1):
        raise Http404("No such page of search results.")
    try:
        return admin.site.search(request)
    except InvalidPage as error:  # past the last page
        raise Http404("No such page of search results.") from error
