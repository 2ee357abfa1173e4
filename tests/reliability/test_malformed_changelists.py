"""Malformed query parameters on every changelist and export page answer a page
or a clear 4xx, never a server error, on SQLite and on PostgreSQL.

The changelists come from the admin site's registry, and their parameters from
what each one reads: every list filter's ``expected_parameters()`` (the filters
a superuser's changelist builds), search, ordering, page, "show all", facets and
the error flag; and, refused since Django would apply them, lookups on the
model's own fields that no filter declares. A ModelAdmin registered later, or a
filter added to one, is covered without touching this file.

Every parameter gets a NUL (alone and inside text), 100,000 digits, and junk for
text, number, date and id fields, one value at a time, as a superuser and as a
moderator. A page costs ~100 ms to render, too slow for every (parameter, value)
pair, so each pair is first run in-process (the ChangeList and its query, not
the template), which sorts it into accepted or refused; then, through the whole
stack, one request per value carries every parameter that accepted it (a page
to render), and each refusal is sent once on its own (a redirect or a 4xx).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.contrib import admin
from django.contrib.admin.options import IS_FACETS_VAR, IncorrectLookupParameters
from django.contrib.admin.views.main import ALL_VAR, ERROR_FLAG, ORDER_VAR, PAGE_VAR, SEARCH_VAR
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.exceptions import BadRequest, PermissionDenied, SuspiciousOperation
from django.db import transaction
from django.http import Http404
from django.test import Client, RequestFactory
from django.urls import NoReverseMatch, reverse

from audit.models import AuditEntry
from jobs.models import Job
from moderation.models import Case
from tests.factories import MessageFactory
from tests.jobs.factories import JobFactory

pytestmark = pytest.mark.django_db

# What every changelist reads besides its filters.
CHANGELIST_PARAMETERS = (SEARCH_VAR, ORDER_VAR, PAGE_VAR, ALL_VAR, IS_FACETS_VAR, ERROR_FLAG)

NUL_VALUES = {"nul": "\x00", "nul-inside-text": "open\x00closed"}
MALFORMED_VALUES = {
    "100000-digits": "9" * 100_000,  # over-long text; past int()'s 4,300 digits
    "not-a-number": "abc",
    "huge-integer": str(10**30),  # converts, but fits no column
    "negative": "-1",
    "commas": ",1,,2,abc,",
    "unicode-and-wildcards": "ünï 😀 \u202e %_%",
    "repeated": ["1", "abc"],  # the parameter twice: filters read one value or a list
}
# Lookups Django would apply from the query string on any field of the model,
# with a value each would fail on: one per field, by kind.
DATE_LOOKUP = ("year", str(10**30))
NUMBER_LOOKUP = ("in", f"1,abc,{10**30}")
TEXT_LOOKUP = ("regex", "(((")

# Refusals Django's handlers turn into an answer: the changelist's redirect to
# "?e=1", 400, 403, 404.
REFUSALS = (IncorrectLookupParameters, SuspiciousOperation, BadRequest, PermissionDenied, Http404)

REGISTERED = sorted(admin.site._registry.items(), key=lambda item: item[0]._meta.label_lower)


def url_of(model: type, page: str) -> str | None:
    try:
        return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{page}")
    except NoReverseMatch:
        return None


EXPORTING = [(model, model_admin) for model, model_admin in REGISTERED if url_of(model, "export")]


def label_of(item: tuple[type, Any]) -> str:
    return item[0]._meta.label_lower


@pytest.fixture
def something_in_every_table(moderator, alice, bob) -> None:
    """An edited message, an open case, a job and an audit entry: so the filters
    run over rows, not an empty table."""
    message = MessageFactory(sender=alice, receiver=bob, content="Hello")
    message.content = "Hello again"
    message.save(update_fields=["content"])
    Case.objects.create(reported_user=alice, account_id=alice.pk, reported_username="alice")
    JobFactory(started_by=moderator, status=Job.Status.FAILED)
    AuditEntry.objects.create(action=AuditEntry.Action.EXPORT, actor=moderator)


@pytest.fixture(params=["superuser", "moderator"])
def staff(request) -> Any:
    return request.getfixturevalue(request.param)


def filter_parameters(model_admin: admin.ModelAdmin, user: Any) -> list[str]:
    """The parameters ``model_admin``'s list filters declare, for ``user``."""
    request = RequestFactory().get(url_of(model_admin.model, "changelist"))
    request.user = user
    changelist = model_admin.get_changelist_instance(request)
    return [name for spec in changelist.filter_specs for name in spec.expected_parameters()]


def undeclared_lookups(model: type, declared: list[str]) -> dict[str, str]:
    """A malformed lookup on each of ``model``'s columns that no filter declares."""
    lookups = {}
    for field in model._meta.concrete_fields:
        if "year" in field.get_lookups():
            lookup, value = DATE_LOOKUP
        elif field.is_relation or field.get_internal_type().endswith(("IntegerField", "AutoField")):
            lookup, value = NUMBER_LOOKUP
        else:
            lookup, value = TEXT_LOOKUP
        if f"{field.attname}__{lookup}" not in declared:
            lookups[f"{field.attname}__{lookup}"] = value
    return lookups


def malformed_queries(parameters: list[str]) -> Iterator[tuple[str, str, Any]]:
    for value_name, value in MALFORMED_VALUES.items():
        for parameter in parameters:
            yield value_name, parameter, value


def in_process(page: Callable[[Any], object], url: str, user: Any, query: dict) -> bool:
    """Whether ``page`` (a changelist's or an export's rows, built from a GET of
    ``url`` with ``query``) accepts the query: False if it refuses it; anything
    else it raises fails the test, with its traceback."""
    request = RequestFactory().get(url, query)
    request.user = user
    request._messages = CookieStorage(request)
    try:
        with transaction.atomic():  # PostgreSQL: a failed query spoils no later one
            page(request)
    except REFUSALS:
        return False
    return True


def changelist_rows(model_admin: admin.ModelAdmin) -> Callable[[Any], object]:
    return lambda request: list(model_admin.get_changelist_instance(request).result_list)


def export_rows(model_admin: admin.ModelAdmin) -> Callable[[Any], object]:
    return lambda request: model_admin.get_export_queryset(request).count()


def sweep(
    browser: Client,
    user: Any,
    url: str,
    page: Callable[[Any], object],
    parameters: list[str],
    undeclared: dict[str, str],
) -> list[tuple[str, object]]:
    """Every malformed query to ``url`` that got neither a page nor a clear
    refusal, as (what was sent, the status)."""
    failures = []

    def send(what: str, query: dict, expected: set[int]) -> None:
        status = browser.get(url, query).status_code
        if status not in expected:
            failures.append((what, status))

    for parameter in parameters:
        for value_name, value in NUL_VALUES.items():
            send(f"{parameter}={value_name}", {parameter: value}, {400})
    send("a NUL as a parameter's name", {"\x00": "1"}, {400})

    accepted, refused = accepted_and_refused(page, url, user, parameters, undeclared)
    for value_name, query in accepted.items():
        send(f"{sorted(query)}={value_name}", query, {200})
    for parameter, value in refused.items():
        send(f"{parameter}={value!r:.20} (refused)", {parameter: value}, {302, 400, 404})
    return failures


def accepted_and_refused(
    page: Callable[[Any], object],
    url: str,
    user: Any,
    parameters: list[str],
    undeclared: dict[str, str],
) -> tuple[dict[str, dict[str, Any]], dict[str, Any]]:
    """Each malformed query sorted in-process: the accepted ones merged into one
    query per value (a page to render each), and one refused value per parameter."""
    accepted: dict[str, dict[str, Any]] = {}
    refused: dict[str, Any] = {}
    for value_name, parameter, value in malformed_queries(parameters):
        if in_process(page, url, user, {parameter: value}):
            accepted.setdefault(value_name, {})[parameter] = value
        else:
            refused.setdefault(parameter, value)
    for parameter, value in undeclared.items():
        if in_process(page, url, user, {parameter: value}):
            accepted[f"undeclared {parameter}"] = {parameter: value}
        else:
            refused[parameter] = value
    return accepted, refused


@pytest.mark.usefixtures("something_in_every_table")
@pytest.mark.parametrize(("model", "model_admin"), REGISTERED, ids=map(label_of, REGISTERED))
def test_malformed_parameters_on_a_changelist_answer_a_page_or_a_4xx(
    client, staff, superuser, model, model_admin
):
    url = url_of(model, "changelist")
    client.force_login(staff)
    if client.get(url).status_code == 403:  # not this role's list: refused whatever is sent
        assert client.get(url, {SEARCH_VAR: "abc", ORDER_VAR: "1"}).status_code == 403
        return
    declared = filter_parameters(model_admin, superuser)

    failures = sweep(
        client,
        staff,
        url,
        changelist_rows(model_admin),
        list(dict.fromkeys([*declared, *CHANGELIST_PARAMETERS])),
        undeclared_lookups(model, declared),
    )

    assert failures == []


@pytest.mark.usefixtures("something_in_every_table")
@pytest.mark.parametrize(("model", "model_admin"), EXPORTING, ids=map(label_of, EXPORTING))
def test_malformed_parameters_on_an_export_page_answer_a_page_or_a_4xx(
    client, staff, superuser, model, model_admin
):
    client.force_login(staff)
    declared = filter_parameters(model_admin, superuser)

    failures = sweep(
        client,
        staff,
        url_of(model, "export"),
        export_rows(model_admin),
        list(dict.fromkeys([*declared, *CHANGELIST_PARAMETERS])),
        undeclared_lookups(model, declared),
    )

    assert failures == []


# The finding: each was a server error on PostgreSQL, which refuses a NUL in a
# query parameter. The admin site refuses it before any view runs.
REPORTED_NUL_URLS = {
    "audit-action-in": ("admin:audit_auditentry_changelist", {"action__in": "\x00"}),
    "audit-action-exact": ("admin:audit_auditentry_changelist", {"action__exact": "\x00"}),
    "audit-export-action-in": ("admin:audit_auditentry_export", {"action__in": "\x00"}),
    "audit-export-action-exact": ("admin:audit_auditentry_export", {"action__exact": "\x00"}),
    "jobs-kind-exact": ("admin:jobs_job_changelist", {"kind__exact": "\x00"}),
}


@pytest.mark.usefixtures("something_in_every_table")
@pytest.mark.parametrize(
    ("url_name", "query"), REPORTED_NUL_URLS.values(), ids=REPORTED_NUL_URLS.keys()
)
def test_a_nul_in_a_reported_filter_is_a_400(client, staff, url_name, query):
    client.force_login(staff)

    assert client.get(reverse(url_name), query).status_code == 400


@pytest.mark.parametrize(
    ("url_name", "query"),
    [
        ("admin:auth_user_changelist", {"date_joined__year": str(10**30)}),
        ("admin:audit_auditentry_changelist", {"reason__regex": "((("}),
    ],
    ids=["users-by-an-impossible-year", "audit-by-a-broken-regex"],
)
def test_a_lookup_no_filter_declares_is_refused_with_a_warning(client, moderator, url_name, query):
    url = reverse(url_name)
    client.force_login(moderator)

    response = client.get(url, query, follow=True)

    assert response.redirect_chain == [(f"{url}?{ERROR_FLAG}=1", 302)]
    (parameter,) = query
    assert [str(message) for message in response.context["messages"]] == [
        f"This list has no filter named {parameter}. The list is shown unfiltered."
    ]
