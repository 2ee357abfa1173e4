"""exports.resources: the columns of each export, whoever calls them."""

from __future__ import annotations

import pytest

from exports.resources import RESOURCES, MessageResource, export_columns
from messaging.models import Message
from tests.factories import MessageFactory

pytestmark = pytest.mark.django_db


def test_import_export_own_export_path_sanitises_too(alice, bob):
    # The admin never builds a Dataset; anyone calling the resource directly
    # still gets neutralised cells (import-export itself only strips "=").
    MessageFactory(sender=alice, receiver=bob, content="@SUM(A1)")

    dataset = MessageResource().export(Message.objects.all())

    assert dataset.dict[0]["content"] == "'@SUM(A1)"
    assert dataset.dict[0]["depth"] == "0"


@pytest.mark.parametrize("resource", RESOURCES)
def test_every_resource_column_is_a_database_path(resource):
    columns = export_columns(resource)

    # values_list raises FieldError for anything that is not a database path.
    list(resource._meta.model.objects.values_list(*(column.path for column in columns)))
    assert [column.name for column in columns] == list(resource().get_export_order())
