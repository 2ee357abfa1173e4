"""What an export's rows may be selected by (exports/rules.py), held equal to
what the admin's lists select: the same search, and every filter a list offers
carried by its export (streamed or as a job) to the same rows."""

from __future__ import annotations

import csv
import io

import pytest
from django.contrib import admin
from django.contrib.admin import FieldListFilter
from django.test import RequestFactory
from django.urls import reverse

from admin_ext.admin.filters import ExportableFilter, YesNoFilter
from audit.models import AuditEntry
from audit.services import record_audit_entry
from exports.resources import RESOURCES
from exports.rules import RULES
from messaging import services
from tests.factories import MessageFactory

pytestmark = pytest.mark.django_db

EXPORTING = {
    label: admin.site.get_model_admin(resource._meta.model)
    for resource in RESOURCES
    for label in [resource._meta.model._meta.label_lower]
}
TERMS = ["alice", "ALI", "bob alice", '"hello there"', "'quoted'", "-", "nothing-matches-this"]


def changelist(model_admin, user, query: dict | None = None):
    request = RequestFactory().get("/", query or {})
    request.user = user
    return model_admin.get_changelist_instance(request)


def test_every_exported_model_has_rules_and_an_admin():
    assert set(RULES) == set(EXPORTING)


@pytest.mark.parametrize("label", [label for label in RULES if RULES[label].search_fields])
def test_the_rules_search_the_admins_search_fields(label):
    assert RULES[label].search_fields == tuple(EXPORTING[label].search_fields)


@pytest.mark.parametrize("label", RULES)
@pytest.mark.parametrize("term", TERMS)
def test_the_export_searches_as_the_list_does(label, term, superuser, alice, bob):
    message = MessageFactory(sender=alice, receiver=bob, content="hello there, quoted")
    services.edit_message(message, editor=alice, content="- bob said")
    record_audit_entry(
        action=AuditEntry.Action.NOTE_ADDED, actor=bob, target_username="alice", reason="hello"
    )
    model_admin = EXPORTING[label]
    rules = RULES[label]

    listed = {row.pk for row in changelist(model_admin, superuser, {"q": term}).queryset}

    assert {row.pk for row in rules.search(rules.rows(), term)} == listed


@pytest.mark.parametrize("label", RULES)
def test_every_filter_of_the_list_is_one_the_export_carries(label, superuser):
    rules = RULES[label]
    for spec in changelist(EXPORTING[label], superuser).filter_specs:
        if isinstance(spec, YesNoFilter):
            assert spec.parameter_name in rules.conditions
        elif isinstance(spec, ExportableFilter):
            continue  # says its own conditions: exercised below and in test_exports
        elif isinstance(spec, FieldListFilter):
            assert set(spec.expected_parameters()) <= rules.lookups, spec


USER_QUERIES = [
    "suspended=yes",
    "suspended=no",
    "is_staff__exact=0",
    "has_unread=yes",
    "has_unread=no",
    "date_joined_from=2000-01-01&date_joined_to=2999-12-31",
    "o=-7",  # sorted by messages sent, an annotation of the list and of the rules
]


@pytest.mark.parametrize("query", USER_QUERIES)
def test_the_user_export_selects_and_sorts_as_its_list(client, superuser, alice, bob, query):
    MessageFactory(sender=alice, receiver=bob)
    MessageFactory.create_batch(2, sender=bob, receiver=alice)
    client.force_login(superuser)
    listed = client.get(f"{reverse('admin:auth_user_changelist')}?{query}")
    listed_ids = [str(user.pk) for user in listed.context["cl"].result_list]

    exported = client.post(
        f"{reverse('admin:auth_user_export')}?{query}",
        {"format": "0", "resource": "0", "userresource_id": "on"},
    )

    text = b"".join(exported.streaming_content).decode()
    assert [row[0] for row in csv.reader(io.StringIO(text))][1:] == listed_ids
