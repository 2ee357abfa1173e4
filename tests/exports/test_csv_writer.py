"""The CSV writer of exports (exports/csv_writer.py): formula starts
neutralised in text cells only, the right header and rows from one query, the row
count, and memory that stays at one chunk whatever the number of rows."""

from __future__ import annotations

import csv
import datetime
import io
import tracemalloc
from decimal import Decimal

import pytest
from django.utils import timezone

from exports.csv_writer import (
    CHUNK_SIZE,
    format_cell,
    format_json_cell,
    sanitise_cell,
    stream_csv,
    write_csv,
)
from exports.resources import MessageResource, export_columns
from messaging.models import Message
from tests.factories import MessageFactory, UserFactory, bulk_messages

DANGEROUS = [
    '=HYPERLINK("http://x")',
    "+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(A1)",
    "\t=1",
    "\r=1",
]
LEGIT = [
    "Hello Bob",
    "1+1=2",
    "mail me at bob@example.test",
    "a - b",
    " =1 (a leading space is text)",
    "'quoted already",
    "",
    "<script>alert(1)</script>",
    "שלום 🙂",
]
MESSAGE_HEADER = [
    "id",
    "sender",
    "receiver",
    "content",
    "timestamp",
    "thread_id",
    "parent_id",
    "depth",
    "edited",
    "edited_at",
    "read",
    "is_tombstone",
]


def parse(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


def written(queryset, columns, **kwargs) -> tuple[str, int]:
    file = io.StringIO(newline="")
    rows = write_csv(file, queryset, columns, **kwargs)
    return file.getvalue(), rows


class CountingSink:
    """A file that keeps nothing: what the writer holds is all that is measured."""

    def __init__(self) -> None:
        self.characters = 0

    def write(self, text: str) -> None:
        self.characters += len(text)


# --- sanitising ------------------------------------------------------------------------


@pytest.mark.parametrize("text", DANGEROUS)
def test_a_text_cell_starting_like_a_formula_is_written_behind_a_quote(text):
    assert sanitise_cell(text) == f"'{text}"
    assert format_cell(text) == f"'{text}"


@pytest.mark.parametrize("text", LEGIT)
def test_legitimate_text_is_written_unchanged(text):
    assert sanitise_cell(text) == text
    assert format_cell(text) == text


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (-2, -2),
        (-2.5, -2.5),
        (Decimal("-3.10"), Decimal("-3.10")),
        (0, 0),
        (True, "true"),
        (False, "false"),
        (None, ""),
        (datetime.date(2026, 1, 2), "2026-01-02"),
        (
            datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=datetime.UTC),
            "2026-01-02T03:04:05+00:00",
        ),
    ],
)
def test_numbers_dates_and_booleans_are_not_text_cells(value, expected):
    assert format_cell(value) == expected


def test_a_json_cell_is_json_text_and_never_a_formula():
    assert format_json_cell({"rows": 3, "filters": "q==x"}) == '{"filters": "q==x", "rows": 3}'
    assert format_json_cell(None) == ""
    # A bare negative number is valid JSON and a formula start for a spreadsheet.
    assert format_json_cell(-1) == "'-1"


# --- writing a queryset ----------------------------------------------------------------


@pytest.mark.django_db
def test_the_writer_writes_a_header_and_one_row_per_message_in_queryset_order(alice, bob):
    first = MessageFactory(sender=alice, receiver=bob, content="=1+1")
    second = MessageFactory(sender=bob, receiver=alice, content="plain", parent_message=first)
    columns = export_columns(MessageResource)

    text, rows = written(Message.objects.order_by("id"), columns)

    assert rows == 2
    header, *lines = parse(text)
    assert header == MESSAGE_HEADER
    assert lines == [
        [
            str(first.pk),
            "alice",
            "bob",
            "'=1+1",
            timezone.localtime(first.timestamp).isoformat(),
            str(first.pk),
            "",
            "0",
            "false",
            "",
            "false",
            "false",
        ],
        [
            str(second.pk),
            "bob",
            "alice",
            "plain",
            timezone.localtime(second.timestamp).isoformat(),
            str(first.pk),
            str(first.pk),
            "1",
            "false",
            "",
            "false",
            "false",
        ],
    ]


@pytest.mark.django_db
def test_only_the_chosen_columns_are_written(alice, bob):
    MessageFactory(sender=alice, receiver=bob, content="Hi")

    text, _ = written(Message.objects.all(), export_columns(MessageResource, ["content", "id"]))

    header, line = parse(text)
    assert header == ["id", "content"]  # the resource's order, not the caller's
    assert line[1] == "Hi"


@pytest.mark.django_db
def test_an_empty_queryset_gives_the_header_alone():
    text, rows = written(Message.objects.none(), export_columns(MessageResource))

    assert rows == 0
    assert parse(text) == [MESSAGE_HEADER]


@pytest.mark.django_db
def test_all_rows_come_from_one_query_whatever_their_number(alice, bob, django_assert_num_queries):
    bulk_messages([{"sender": alice, "receiver": bob, "content": f"m{i}"} for i in range(25)])

    with django_assert_num_queries(1):
        _, rows = written(Message.objects.all(), export_columns(MessageResource), chunk_size=10)

    assert rows == 25


@pytest.mark.django_db
def test_progress_is_reported_once_per_chunk(alice, bob):
    bulk_messages([{"sender": alice, "receiver": bob, "content": f"m{i}"} for i in range(25)])
    chunks: list[int] = []

    _, rows = written(
        Message.objects.all(),
        export_columns(MessageResource),
        chunk_size=10,
        on_chunk=chunks.append,
    )

    assert chunks == [10, 10, 5]
    assert rows == 25


@pytest.mark.django_db
def test_the_stream_sends_the_header_before_querying_and_the_same_csv_as_the_file(
    alice, bob, django_assert_num_queries
):
    MessageFactory(sender=alice, receiver=bob, content="Grüße 🙂")
    columns = export_columns(MessageResource)
    stream = stream_csv(Message.objects.all(), columns)

    with django_assert_num_queries(0):
        header = next(stream)
    body = b"".join(stream)

    assert header == (",".join(MESSAGE_HEADER) + "\r\n").encode()
    file_text, _ = written(Message.objects.all(), columns)
    assert (header + body).decode("utf-8") == file_text


# --- memory ----------------------------------------------------------------------------


def peak_memory_of(function) -> int:
    tracemalloc.start()
    try:
        function()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.django_db
def test_memory_stays_at_one_chunk_while_writing_20000_rows():
    alice, bob = UserFactory(username="alice"), UserFactory(username="bob")
    bulk_messages(
        [
            {"sender": alice, "receiver": bob, "content": f"{number} " + "x" * 200}
            for number in range(20_000)
        ]
    )
    columns = export_columns(MessageResource)
    first_rows = Message.objects.order_by("id")[:4_000]
    all_rows = Message.objects.order_by("id")

    def write_all(queryset):
        sink = CountingSink()
        write_csv(sink, queryset, columns)
        return sink

    writer_peak_small = peak_memory_of(lambda: write_all(first_rows))
    writer_peak = peak_memory_of(lambda: write_all(all_rows))
    holding_peak = peak_memory_of(
        lambda: list(all_rows.values_list(*(column.path for column in columns)))
    )

    # About 3 MB here: the driver's chunk of CHUNK_SIZE rows and one chunk of CSV
    # text. Holding the 20,000 rows would take about 15 MB.
    assert CHUNK_SIZE == 2000
    assert writer_peak < 5_000_000
    assert writer_peak < holding_peak / 3
    # Bounded, not growing: five times the rows, about the same peak.
    assert writer_peak < writer_peak_small * 1.5
