"""The desk's paginator: lists of millions of rows that never count them all.

A changelist counts its rows on every page view to number the pages. At
10,000,000 messages an exact ``COUNT(*)`` costs seconds unfiltered and hundreds
of milliseconds for a filter matching millions (the unread ones), and OFFSET
grows with the page number. So, on PostgreSQL:

- an unfiltered list of a large table takes the planner's estimate of its rows
  (``pg_class.reltuples``, kept fresh by autovacuum), shown "about N";
- a filtered or searched list asks the planner how many rows match (EXPLAIN,
  about a millisecond). Many (over ``FEW_ROWS``): its estimate, "about N", and
  the pages walk the list's index, where matches are dense. Few: their ids and
  sort keys in one query (the filter's own indexes), counted exactly, and each
  page read by its ids. The database would otherwise walk the list's order and
  test every row, which for a username's 7,000 messages among 10,000,000 read
  700,000 rows (1.8 s), because the planner prices a LIKE on a text like a
  comparison of two numbers;
- pages stop at the one holding the ``COUNT_CAP``-th row, so OFFSET never passes
  it: nobody reads a list 10,000 rows deep, they narrow it with a filter or a
  search, which the refusal of a deeper page says.

Elsewhere (SQLite, the default for development) a list counts at most
``COUNT_CAP`` + 1 rows, shown "10,000+" beyond.
"""

from __future__ import annotations

import json
from operator import itemgetter
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.core.paginator import EmptyPage, Paginator
from django.db import connections
from django.db.models import QuerySet
from django.utils.functional import cached_property

# Below this many rows an estimate is too rough to show, and counting is cheap.
ESTIMATE_ABOVE = 500_000
# Rows counted at most, and the depth where pages stop.
COUNT_CAP = 10_000
# At most this many matching rows are read by their ids (PostgreSQL).
FEW_ROWS = 20_000


class ShownCount(int):
    """A count that is a number for the pages and plurals, and reads as what it
    is wherever a template shows it: "10,000+" (capped) or "about 10,152,311"
    (estimated). Django's and unfold's templates show ``cl.result_count`` in
    three places; this keeps them all honest without copying them."""

    def __new__(cls, value: int, *, kind: str) -> ShownCount:
        count = super().__new__(cls, value)
        count.kind = kind
        return count

    def __str__(self) -> str:
        return f"about {int(self):,}" if self.kind == "estimate" else f"{int(self):,}+"

    __repr__ = int.__repr__


def capped(count: int | None, at_most: int) -> int | ShownCount | None:
    """A count that stopped past ``at_most`` (a capped subquery), as it reads:
    "1,000+"."""
    if count is not None and count > at_most:
        return ShownCount(at_most, kind="capped")
    return count


class LargeTablePaginator(Paginator):
    """Numbers pages from an estimate or a capped count (module docstring)."""

    @property
    def is_estimate(self) -> bool:
        return getattr(self.count, "kind", "") == "estimate"

    @property
    def is_capped(self) -> bool:
        return getattr(self.count, "kind", "") == "capped"

    @cached_property
    def count(self) -> int:
        queryset = self.object_list
        query = getattr(queryset, "query", None)
        if query is None:  # a list, as in tests
            return super().count
        if query.is_empty():  # .none(): a refused search, an impossible filter
            return 0
        is_postgresql = connections[queryset.db].vendor == "postgresql"
        if is_postgresql and query.combinator is None:
            table_rows = _table_estimate(queryset)
            if not query.where and table_rows > ESTIMATE_ABOVE:
                return ShownCount(table_rows, kind="estimate")
            sort_keys = _sort_keys(queryset)
            if sort_keys is not None:
                # A small table holds few matching rows whatever the filter.
                estimate = _planner_rows(queryset) if table_rows > FEW_ROWS else table_rows
                if estimate > FEW_ROWS:
                    return ShownCount(estimate, kind="estimate")
                rows = list(queryset.order_by().values_list("pk", *sort_keys)[: FEW_ROWS + 1])
                if len(rows) <= FEW_ROWS:
                    self.ordered_ids = _in_list_order(rows, queryset)
                    return len(rows)
                return ShownCount(FEW_ROWS, kind="capped")  # the planner was wrong
        # Without its order the database fetches any COUNT_CAP + 1 matching rows
        # the fastest way (the filter's own index), instead of walking the
        # list's order until it has found them.
        counted = queryset.order_by()[: COUNT_CAP + 1].count()
        return ShownCount(COUNT_CAP, kind="capped") if counted > COUNT_CAP else counted

    ordered_ids: list[Any] | None = None  # the rows in the list's order, when few

    def page(self, number: Any) -> Any:
        self.count  # noqa: B018 - decides whether the rows are read by their ids
        if self.ordered_ids is None:
            return super().page(number)
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        ids = self.ordered_ids[bottom : bottom + self.per_page]
        # No LIMIT: the database reads these rows by their ids and sorts them,
        # where with one it might walk the list's index again.
        return self._get_page(self.object_list.filter(pk__in=ids), number, self)

    @cached_property
    def num_pages(self) -> int:
        return min(super().num_pages, max(1, COUNT_CAP // self.per_page))

    def validate_number(self, number: Any) -> int:
        try:
            return super().validate_number(number)
        except EmptyPage:
            deeper = self.is_capped or Paginator.num_pages.func(self) > self.num_pages
            if deeper:  # rows are there, but not served
                raise EmptyPage(
                    f"Lists stop at page {self.num_pages:,} (the first {COUNT_CAP:,} rows): "
                    "narrow the list with a filter or a search to see further."
                ) from None
            raise


def _table_estimate(queryset: QuerySet) -> int:
    with connections[queryset.db].cursor() as cursor:
        cursor.execute(
            "SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass",
            [queryset.model._meta.db_table],
        )
        row = cursor.fetchone()
    return row[0] if row else -1


def _planner_rows(queryset: QuerySet) -> int:
    """How many rows the planner expects the list's filters to match."""
    try:
        sql, params = queryset.order_by().query.sql_with_params()
    except EmptyResultSet:  # a filter on an empty list of values matches nothing
        return 0
    with connections[queryset.db].cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        plan = cursor.fetchone()[0]
    plan = json.loads(plan) if isinstance(plan, str) else plan
    return int(plan[0]["Plan"]["Plan Rows"])


def _sort_keys(queryset: QuerySet) -> list[str] | None:
    """The list's order as the model's own columns ("-timestamp", "-id"), or None
    when it sorts by something else (a related field, an annotation)."""
    query = queryset.query
    ordering = list(query.order_by or queryset.model._meta.ordering)
    if query.extra_order_by or not ordering:
        return None
    columns = {field.attname for field in queryset.model._meta.concrete_fields}
    keys = []
    for key in ordering:
        if not isinstance(key, str):
            return None
        name = key.lstrip("-")
        name = queryset.model._meta.pk.attname if name == "pk" else name
        if name not in columns:
            return None
        keys.append(f"-{name}" if key.startswith("-") else name)
    return [key.lstrip("-") for key in keys] if keys else None


def _in_list_order(rows: list[tuple], queryset: QuerySet) -> list[Any]:
    """The ids of ``rows`` (id, sort keys...) in the list's order, as PostgreSQL
    sorts: nulls last going up, first going down."""
    ordering = list(queryset.query.order_by or queryset.model._meta.ordering)
    directions = {key.startswith("-") for key in ordering}
    fields = {field.attname: field for field in queryset.model._meta.concrete_fields}
    names = [key.lstrip("-") for key in ordering]
    nullable = any(fields[name].null for name in names if name in fields)
    if len(directions) == 1 and not nullable:
        # The usual case (newest first): one sort on a C key, 20,000 rows in ms.
        rows.sort(key=itemgetter(*range(1, len(ordering) + 1)), reverse=directions.pop())
    else:
        for position in range(len(ordering), 0, -1):  # stable sorts, last key first
            descending = ordering[position - 1].startswith("-")
            rows.sort(key=lambda row, i=position: (row[i] is None, row[i]), reverse=descending)
    return list(map(itemgetter(0), rows))
