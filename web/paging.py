"""Counts for long lists that do not read the whole table: the admin's lists, and the
workspace's outbox and audit trail.

Django's paginator counts its rows on every page: `SELECT COUNT(*)` over 500,000
appointments, a million appointment changes or a clinic's 90,000 sent emails reads them all,
whatever the page shows. At a clinic group's size that count was most of the list's time
(bench/README.md, "Pages").

- An unfiltered list on PostgreSQL takes its table's size from the statistics the planner
  keeps (`pg_class.reltuples`, refreshed by autovacuum and ANALYZE): close, and free. Below
  EXACT_UNDER rows, or where the table was never analysed, the count is exact.
- A filtered or searched list counts exactly, but no further than CAP rows (a count of a
  subquery with a LIMIT, served by the same index the page is read with). Past that, its
  count is the planner's estimate for the filtered query, never below CAP: the pages past
  the first hundred are then approximate, as the number of results is.

A searched list whose matches were counted exactly and are few (`sort_under`, set by the
admin for its searches) is sorted by an expression that no index serves (`Unindexed`), so
PostgreSQL reads the matches through the indexes of the search's conditions and sorts them,
rather than walking the list's order index testing every row until it has a page (a client's
500 appointments among 500,000: 48,000 rows read for 50). Same rows, same order.

The admin's own second count, of the unfiltered list, is left out with
`show_full_result_count = False` (backoffice/admin/base.py, ScopedAdmin). A page that shows
an estimated count says so ("about"): `EstimatedCountPaginator.estimated`.
"""

import json

from django.core.exceptions import FieldDoesNotExist
from django.core.paginator import Paginator
from django.db import connections
from django.db.models import F, Func
from django.utils.functional import cached_property

EXACT_UNDER = 10_000
CAP = 10_000
# A search's matches up to this many are sorted, not found in the order of an index.
SORT_UNDER = 5_000


class Unindexed(Func):
    """`COALESCE(column, column)`: sorts as the column does (NULLs included), but no index
    on the column serves it."""

    function = "COALESCE"

    def __init__(self, name: str):
        super().__init__(F(name), F(name))


def sorted_as_found(queryset):
    """`queryset` in the same order, with its first key one that no index serves
    (PostgreSQL; elsewhere, and for an order by id or by an expression, as it is)."""
    order = list(queryset.query.order_by)
    if connections[queryset.db].vendor != "postgresql" or not order or queryset.query.distinct:
        return queryset  # (a DISTINCT list may sort only by what it selects)
    first = order[0]
    if not isinstance(first, str):
        return queryset
    name = first.lstrip("-")
    try:
        field = queryset.model._meta.get_field(name)
    except FieldDoesNotExist:  # an annotation, a lookup through a relation, "pk", "?"
        return queryset
    # A foreign key sorts by its model's own ordering; the primary key is its own index.
    if not field.concrete or field.is_relation or field.primary_key:
        return queryset
    key = Unindexed(name)
    order[0] = key.desc() if first.startswith("-") else key.asc()
    return queryset.order_by(*order)


def table_estimate(queryset) -> int | None:
    """The planner's row count of `queryset`'s table when the queryset reads the whole of
    it (no condition, no join that could drop rows) on PostgreSQL; None otherwise."""
    query = queryset.query
    connection = connections[queryset.db]
    if connection.vendor != "postgresql" or query.where or query.distinct or query.combinator:
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass",
            [queryset.model._meta.db_table],
        )
        row = cursor.fetchone()
    if row is None or row[0] < EXACT_UNDER:  # -1: never analysed
        return None
    return row[0]


def planner_estimate(queryset) -> int | None:
    """The rows PostgreSQL expects `queryset` to return (EXPLAIN, nothing run)."""
    connection = connections[queryset.db]
    if connection.vendor != "postgresql":
        return None
    sql, params = queryset.order_by().values("pk").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (FORMAT JSON) " + sql, params)
        plan = cursor.fetchone()[0]
    if isinstance(plan, str):
        plan = json.loads(plan)
    return int(plan[0]["Plan"]["Plan Rows"])


def capped_count(queryset, cap: int) -> int:
    """How many rows `queryset` has, counting no further than `cap` + 1 (a count of a
    subquery with a LIMIT): more than `cap` means "more than `cap`", not how many. Only the
    ids are selected: an annotation of the list (a subquery per row) is not worked out for
    rows that are only counted."""
    return queryset.order_by().values("pk")[: cap + 1].count()


class EstimatedCountPaginator(Paginator):
    """A Paginator whose count reads no more than CAP rows: see the module's docstring."""

    estimated = False  # whether `count` is the planner's figure rather than a count
    sort_under = 0  # sort up to this many rows counted exactly (module docstring)

    @cached_property
    def count(self):
        queryset = self.object_list
        if not hasattr(queryset, "query"):  # a list: nothing to spare
            return super().count
        estimate = table_estimate(queryset)
        if estimate is None:
            counted = capped_count(queryset, CAP)
            if counted <= CAP:
                return counted
            estimate = max(CAP + 1, planner_estimate(queryset) or 0)
        self.estimated = True
        return estimate

    def page(self, number):
        number = self.validate_number(number)
        if self.sort_under and not self.estimated and self.count <= self.sort_under:
            self.object_list = sorted_as_found(self.object_list)
        return super().page(number)
