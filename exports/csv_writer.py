"""CSV written row by row from the database, with formula starts neutralised.

The one writer of export CSV, for the admin's stream and the background job
alike. Every text cell goes through ``sanitise_cell``: a cell starting with
``=``, ``+``, ``-``, ``@``, a tab or a carriage return is written behind a ``'``.

Never a whole table in memory: rows come from ``values_list(...).iterator()`` (one
query; a server-side cursor on PostgreSQL, chunked reads on SQLite) and leave as
CSV text one chunk at a time, so memory stays at one chunk whatever the size.
"""

from __future__ import annotations

import csv
import datetime
import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import IO, Any

from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.db.models import QuerySet
from django.db.models.constants import LOOKUP_SEP
from django.utils import timezone


@dataclass(frozen=True)
class ExportColumn:
    """One CSV column: the resource field it comes from, its header, its DB path."""

    name: str  # the resource's field name (the export form and job params use it)
    header: str
    path: str  # for values_list: "content", "sender__username", "thread_id"
    is_json: bool = False


# Rows fetched from the database, and written, at a time.
CHUNK_SIZE = 2000

# A spreadsheet reads a cell starting with one of these as a formula (OWASP, "CSV
# Injection"): such text cells are written behind a single quote, which makes
# Excel, LibreOffice and Google Sheets show them as text.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

_FORMULA_START_CHARS = frozenset(FORMULA_STARTS)

# Not text: written as they are (a negative number is a number, not a formula).
_NOT_TEXT = (int, float, Decimal)


def sanitise_cell(text: Any) -> Any:
    """``text`` (a str, or None), behind a single quote if a spreadsheet would run
    it as a formula; an empty or missing value as it is (csv.writer writes None as
    an empty cell).

    The one sanitiser: every text cell of every export passes here, once per cell,
    so it is a set lookup on the first character rather than ``str.startswith``
    with a tuple.
    """
    if text and text[0] in _FORMULA_START_CHARS:
        return f"'{text}"
    return text


def format_cell(value: Any) -> str | int | float | Decimal:
    """How one database value is written: text sanitised, everything else not."""
    if value is None:
        return ""
    if isinstance(value, str):
        return sanitise_cell(value)
    if isinstance(value, bool):  # before int: bool is an int
        return "true" if value else "false"
    if isinstance(value, _NOT_TEXT):
        return value
    if isinstance(value, datetime.datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        return value.isoformat()
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    return sanitise_cell(str(value))


def format_json_cell(value: Any) -> str:
    """A JSON column (already decoded by the database layer), written as JSON text."""
    if value is None:
        return ""
    return sanitise_cell(json.dumps(value, ensure_ascii=False, sort_keys=True))


def _formatters(queryset: QuerySet, columns: Sequence[ExportColumn]) -> list[Callable[[Any], Any]]:
    """One formatter per column, chosen once from the model field behind it, so a
    million rows do not each go through format_cell's chain of type checks (which
    was most of the export's time)."""
    return [
        format_json_cell if column.is_json else _formatter_for(_field_at(queryset, column.path))
        for column in columns
    ]


def _field_at(queryset: QuerySet, path: str) -> models.Field | None:
    model = queryset.model
    field = None
    for name in path.split(LOOKUP_SEP):
        try:
            field = model._meta.get_field(name)
        except FieldDoesNotExist:
            return None
        model = field.related_model or model
    return field


def _keep(value: Any) -> Any:
    return value  # csv.writer writes None as an empty cell


def _formatter_for(field: models.Field | None) -> Callable[[Any], Any]:
    if field is None:
        return format_cell
    if field.is_relation or isinstance(field, models.IntegerField | models.AutoField):
        return _keep
    if isinstance(field, models.BooleanField):
        return _format_boolean
    if isinstance(field, models.DateTimeField):
        zone = timezone.get_current_timezone()

        def format_moment(value: Any) -> Any:
            return value if value is None else value.astimezone(zone).isoformat()

        return format_moment
    if isinstance(field, models.CharField | models.TextField):
        return sanitise_cell
    return format_cell


def _format_boolean(value: Any) -> Any:
    return value if value is None else ("true" if value else "false")


class _TextPieces:
    """What csv.writer writes, kept as the row strings it makes until taken.

    Not io.StringIO: once emptied with seek/truncate it keeps its text as 4 bytes
    a character, which doubled the writer's peak memory.
    """

    def __init__(self) -> None:
        self._pieces: list[str] = []

    def write(self, text: str) -> None:
        self._pieces.append(text)

    def take(self) -> str:
        text = "".join(self._pieces)
        self._pieces.clear()
        return text


def iter_csv_chunks(
    queryset: QuerySet, columns: Sequence[ExportColumn], *, chunk_size: int = CHUNK_SIZE
) -> Iterator[tuple[str, int]]:
    """The CSV as ``(text, rows in it)`` pieces: the header first, then one piece
    per ``chunk_size`` rows. One query, run when the first row piece is asked for."""
    buffer = _TextPieces()
    writer = csv.writer(buffer)
    take = buffer.take

    writer.writerow([column.header for column in columns])
    yield take(), 0

    formatters = _formatters(queryset, columns)
    rows = queryset.values_list(*(column.path for column in columns)).iterator(
        chunk_size=chunk_size
    )
    # Row by row into the buffer, emptied every chunk_size rows: besides the
    # database driver's current chunk, only one chunk of CSV text is in memory.
    pending = 0
    for row in rows:
        writer.writerow([to_cell(value) for to_cell, value in zip(formatters, row, strict=True)])
        pending += 1
        if pending == chunk_size:
            yield take(), pending
            pending = 0
    if pending:
        yield take(), pending


def write_csv(
    file: IO[str],
    queryset: QuerySet,
    columns: Sequence[ExportColumn],
    *,
    chunk_size: int = CHUNK_SIZE,
    on_chunk: Callable[[int], None] | None = None,
) -> int:
    """Write the CSV to ``file`` (text, opened with ``newline=""``); return the rows
    written. ``on_chunk(rows)`` is called after each chunk (a job's progress)."""
    written = 0
    for text, row_count in iter_csv_chunks(queryset, columns, chunk_size=chunk_size):
        file.write(text)
        if row_count:
            written += row_count
            if on_chunk is not None:
                on_chunk(row_count)
    return written


def stream_csv(
    queryset: QuerySet, columns: Sequence[ExportColumn], *, chunk_size: int = CHUNK_SIZE
) -> Iterator[bytes]:
    """The CSV as UTF-8 bytes, piece by piece, for a StreamingHttpResponse."""
    for text, _ in iter_csv_chunks(queryset, columns, chunk_size=chunk_size):
        yield text.encode("utf-8")
