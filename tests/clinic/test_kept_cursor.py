"""The cursor the SQL written out in this project goes through (clinic/prepared.py
kept_cursor): one psycopg cursor per connection on PostgreSQL, wrapped by Django as its own
cursors are, a cursor of its own for a block inside another, a new one for a new
connection."""

import pytest
from django.db import DataError, connection, transaction
from django.test.utils import CaptureQueriesContext

from clinic.prepared import kept_cursor

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the kept cursor is PostgreSQL's"),
]


def _raw(wrapper):
    return wrapper.cursor  # Django's CursorWrapper around psycopg's cursor


def test_one_psycopg_cursor_serves_block_after_block():
    with kept_cursor() as first:
        first.execute("SELECT 1")
        assert first.fetchone() == (1,)
    with kept_cursor() as second:
        second.execute("SELECT %(n)s::int", {"n": 2})
        assert second.fetchone() == (2,)
    with connection.cursor() as djangos:
        assert _raw(djangos) is not _raw(first)

    assert _raw(first) is _raw(second)
    assert not _raw(second).closed


def test_a_block_inside_another_gets_its_own_cursor_and_leaves_the_outer_results():
    with kept_cursor() as outer:
        outer.execute("SELECT 1; SELECT 2")
        with kept_cursor() as inner:
            inner.execute("SELECT 3")
            assert inner.fetchone() == (3,)
        assert _raw(inner) is not _raw(outer)
        assert _raw(inner).closed
        assert outer.fetchone() == (1,)
        outer.nextset()
        assert outer.fetchone() == (2,)
    with kept_cursor() as after:
        assert _raw(after) is _raw(outer)


def test_its_statements_are_logged_and_pass_the_execute_wrappers():
    seen = []

    def wrapper(execute, sql, params, many, context):
        seen.append(sql)
        return execute(sql, params, many, context)

    with CaptureQueriesContext(connection) as queries, connection.execute_wrapper(wrapper):
        with kept_cursor() as cursor:
            cursor.execute("SELECT %(n)s::int + 1", {"n": 41})
            assert cursor.fetchone() == (42,)

    assert [q["sql"] for q in queries] == ["SELECT 41::int + 1"]
    assert seen == ["SELECT %(n)s::int + 1"]


def test_its_errors_are_djangos_and_it_serves_on_after_one():
    with pytest.raises(DataError), transaction.atomic():
        with kept_cursor() as cursor:
            cursor.execute("SELECT 1 / 0")
    with kept_cursor() as again:
        again.execute("SELECT 5")
        assert again.fetchone() == (5,)
    assert _raw(again) is _raw(cursor)


@pytest.mark.django_db(transaction=True)
def test_a_new_connection_gets_a_new_cursor():
    with kept_cursor() as before:
        before.execute("SELECT 1")
    connection.close()
    with kept_cursor() as after:
        after.execute("SELECT 2")
        assert after.fetchone() == (2,)

    assert _raw(after) is not _raw(before)
    assert _raw(after).connection is connection.connection
