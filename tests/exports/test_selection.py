"""An export described as plain data (exports/selection.py): what a job's params
hold and give back, the rows they select without the admin, what they refuse
with a message, and what a finished job forgets."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from exports.resources import UnknownExportField
from exports.rules import ExportRefused
from exports.selection import (
    SELECTION_FORGOTTEN,
    AuditedSelection,
    ExportSelection,
    forgotten,
)
from messaging.models import Message
from tests.factories import MessageFactory

pytestmark = pytest.mark.django_db


def selection(**changes) -> ExportSelection:
    fields = {"model": "messaging.message", "resource": "MessageResource", "fields": ("id",)}
    return ExportSelection(**{**fields, **changes})


def test_params_give_back_the_same_selection():
    original = selection(
        filters=(("unread", True), ("sender__id__exact", "3"), ("sender__id__exact", "4")),
        text_filters=(("target_username", "zeno"),),
        search="needle",
        ordering=("-timestamp", "-id"),
        audit=AuditedSelection(filters="unread=1", search=True, text_filters=("target",)),
    )

    assert ExportSelection.from_params(original.to_params()) == original


def test_a_moment_is_kept_as_iso_text_and_selects_the_same_rows(alice, bob):
    old = MessageFactory(sender=alice, receiver=bob)
    Message.objects.filter(pk=old.pk).update(timestamp=timezone.now() - datetime.timedelta(days=2))
    new = MessageFactory(sender=alice, receiver=bob)
    since = selection(filters=(("timestamp__gte", timezone.now() - datetime.timedelta(days=1)),))

    params = since.to_params()

    assert isinstance(params["filters"][0][1], str)
    assert list(ExportSelection.from_params(params).rows()) == list(since.rows()) == [new]


def test_the_rows_apply_conditions_lookups_search_and_ordering(alice, bob, carol):
    MessageFactory(sender=alice, receiver=bob, content="needle, read")
    unread_needles = [
        MessageFactory(sender=sender, receiver=bob, content=f"needle {number}")
        for number, sender in enumerate([alice, carol, alice])
    ]
    Message.objects.filter(content="needle, read").update(read=True)
    MessageFactory(sender=alice, receiver=bob, content="no match")

    rows = selection(
        filters=(("unread", True), ("sender__id__exact", str(alice.pk))),
        search="needle",
        ordering=("id",),
    ).rows()

    assert list(rows) == [unread_needles[0], unread_needles[2]]


def test_values_given_twice_select_either(alice, bob, carol):
    MessageFactory(sender=alice, receiver=bob)
    MessageFactory(sender=carol, receiver=bob)
    MessageFactory(sender=bob, receiver=alice)

    rows = selection(
        filters=(("sender__id__exact", str(alice.pk)), ("sender__id__exact", str(carol.pk)))
    ).rows()

    assert {message.sender_id for message in rows} == {alice.pk, carol.pk}


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"model": "auth.permission"}, "has no CSV export"),
        ({"filters": (("sender__password__startswith", "pbkdf2"),)}, "cannot be filtered by"),
        ({"filters": (("sender__id__exact", "abc"),)}, "cannot select rows by"),
        ({"filters": (("unread", "yes"),)}, "takes yes or no"),
        ({"ordering": ("sender__password",)}, "cannot be sorted by"),
    ],
)
def test_what_the_rules_do_not_allow_is_refused_with_a_message(changes, reason):
    with pytest.raises(ExportRefused, match=reason):
        selection(**changes).rows()


def test_a_column_the_resource_lacks_is_refused():
    with pytest.raises(UnknownExportField, match="password"):
        selection(model="auth.user", resource="UserResource", fields=("password",)).columns()


def test_a_resource_of_another_model_is_refused():
    with pytest.raises(UnknownExportField, match="Unknown export resource"):
        selection(resource="UserResource").columns()


@pytest.mark.parametrize(
    ("params", "reason"),
    [
        ({SELECTION_FORGOTTEN: True}, "export again from the list"),
        ({"filters": "unread=1&q=zeno"}, "queued by an earlier version"),
        ({"format": "xlsx"}, "only CSV"),
        ({"filters": [["unread"]]}, "not \\(name, value\\) pairs"),
        ({"fields": "id"}, "not a list"),
    ],
)
def test_params_it_cannot_run_are_refused_with_a_message(params, reason):
    with pytest.raises(ExportRefused, match=reason):
        ExportSelection.from_params({**selection().to_params(), **params})


def test_an_earlier_versions_job_without_filters_still_runs():
    params = {"model": "messaging.message", "resource": "MessageResource", "fields": ["id"]}

    restored = ExportSelection.from_params({**params, "filters": "", "format": "csv"})

    assert restored == selection()


def test_a_finished_job_forgets_the_search_and_typed_filters_and_refuses_a_retry():
    params = selection(
        filters=(("action__exact", "account_deleted"),),
        text_filters=(("target_username", "zeno"),),
        search="zeno",
        audit=AuditedSelection(filters="action__exact=account_deleted", text_filters=("target",)),
    ).to_params()

    kept = forgotten(params)

    assert "zeno" not in str(kept)
    assert kept["filters"] == [["action__exact", "account_deleted"]]
    assert kept[SELECTION_FORGOTTEN] is True
    with pytest.raises(ExportRefused, match="forgotten"):
        ExportSelection.from_params(kept)


def test_a_job_that_selected_by_ids_alone_keeps_everything_it_needs():
    params = selection(filters=(("sender__id__exact", "3"),)).to_params()

    kept = forgotten(params)

    assert SELECTION_FORGOTTEN not in kept
    assert ExportSelection.from_params(kept) == ExportSelection.from_params(params)


def test_an_earlier_versions_query_string_is_forgotten_too():
    kept = forgotten({"model": "messaging.message", "filters": "q=zeno&unread=1"})

    assert kept == {"model": "messaging.message", "filters": "", SELECTION_FORGOTTEN: True}


def test_a_list_whose_search_the_admin_refused_exports_no_row(alice, bob):
    MessageFactory(sender=alice, receiver=bob)
    refused_search = selection(selects_nothing=True)

    restored = ExportSelection.from_params(refused_search.to_params())

    assert restored == refused_search
    assert list(restored.rows()) == []
