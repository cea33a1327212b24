"""The slot search's reads planned once per connection (clinic/prepared.py Prepared): prepared
on first use, run by name after that, still there after a rolled-back attempt, prepared
again on a new connection, sent as written with DB_PREPARED_READS off, never counted as a
query of their own, and run by the plan made for them once (clinic/prepared.py
use_generic_plans)."""

from datetime import date, timedelta

import psycopg
import pytest
from django.db import OperationalError, ProgrammingError, connection, transaction
from django.test.utils import CaptureQueriesContext

from clinic.prepared import PREPARED, Prepared
from diary import availability, sql
from tests.conftest import NOW

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PREPARE is PostgreSQL's"),
]

READS = {"diary_calendar", "diary_resources", "diary_busy_of_search"}


def _prepared_here() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM pg_prepared_statements")
        return {name for (name,) in cursor.fetchall()}


def _search(world):
    return availability.find_slots(
        treatment=world.treatment, first_day=date(2027, 3, 1), last_day=date(2027, 3, 7)
    )


@pytest.fixture
def fresh_connection():
    connection.close()
    yield
    connection.close()


def test_a_search_prepares_its_reads_once_then_runs_them_by_name(world, fresh_connection):
    with CaptureQueriesContext(connection) as first:
        slots = _search(world)
    assert READS <= _prepared_here()
    with CaptureQueriesContext(connection) as second:
        assert _search(world) == slots
    # One round trip each time: the PREPAREs went past Django's cursor, uncounted.
    assert len(first.captured_queries) == len(second.captured_queries) == 1
    for captured in (first, second):
        (sent,) = [query["sql"] for query in captured.captured_queries]
        assert sent.startswith("EXECUTE diary_calendar (") and "diary_resources" in sent
        assert "EXECUTE diary_busy_of_search (" in sent
        assert "PREPARE" not in sent
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT generic_plans + custom_plans FROM pg_prepared_statements WHERE name = %s",
            ["diary_busy_of_search"],
        )
        assert cursor.fetchone() == (2,)


def test_the_reads_outlive_a_rolled_back_transaction_and_savepoint(world, fresh_connection):
    """A booking that loses its race rolls its attempt back to a savepoint (and its
    transaction, when it gives up): the statements prepared inside stay prepared."""
    slots = _search(world)
    connection.close()
    with pytest.raises(RuntimeError), transaction.atomic():
        with pytest.raises(RuntimeError), transaction.atomic():
            assert _search(world) == slots  # prepared inside the savepoint
            raise RuntimeError("lost the room")
        assert READS <= _prepared_here()
        raise RuntimeError("gave up")
    assert READS <= _prepared_here()
    assert _search(world) == slots  # run by name: still there


def test_a_new_connection_prepares_them_again(world, fresh_connection):
    slots = _search(world)
    connection.close()
    assert not READS & _prepared_here()  # a new session: nothing prepared yet
    assert _search(world) == slots
    assert READS <= _prepared_here()
    assert READS <= getattr(connection.connection, PREPARED)  # kept on psycopg's connection


def test_switched_off_the_statements_go_as_written(world, fresh_connection, settings):
    settings.DB_PREPARED_READS = False
    with CaptureQueriesContext(connection) as captured:
        _search(world)
    (sent,) = [query["sql"] for query in captured.captured_queries]
    assert sent.lstrip().startswith(sql.CALENDAR.strip().splitlines()[0])
    assert sql._CALENDAR.sent_in(sent) and sql._BUSY_OF_SEARCH.sent_in(sent)
    assert "EXECUTE" not in sent
    assert not READS & _prepared_here()


def _plan_cache_mode() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW plan_cache_mode")
        return cursor.fetchone()[0]


def test_each_session_runs_the_reads_by_the_one_plan_made_for_them(world, fresh_connection):
    """PostgreSQL's own choice (auto) planned the busy-time read afresh on every run; each
    session now says once, as it opens, to reuse the plan made for a prepared statement.
    A transaction rolled back after (a lost race) does not undo it."""
    with pytest.raises(RuntimeError), transaction.atomic():
        _search(world)
        raise RuntimeError("lost the room")
    assert _plan_cache_mode() == "force_generic_plan"
    for _ in range(6):
        _search(world)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT generic_plans, custom_plans FROM pg_prepared_statements WHERE name = %s",
            ["diary_busy_of_search"],
        )
        assert cursor.fetchone() == (7, 0)


def test_switched_off_sessions_keep_postgresqls_own_choice(fresh_connection, settings):
    settings.DB_PREPARED_READS = False
    assert _plan_cache_mode() == "auto"


def test_the_lock_step_locks_by_the_prepared_statement(world, fresh_connection):
    with transaction.atomic(), CaptureQueriesContext(connection) as captured:
        sql.locked_busy_rows(
            practitioner_id=world.practitioner.pk,
            lo=NOW,
            hi=NOW + timedelta(hours=1),
            resource_ids=[],
            exclude_appointment_id=None,
        )
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT mode FROM pg_locks WHERE pid = pg_backend_pid() "
                "AND relation = 'clinic_practitioner'::regclass"
            )
            assert cursor.fetchall() == [("RowShareLock",)]  # FOR UPDATE, on the row
    sent = captured.captured_queries[0]["sql"]
    assert "EXECUTE diary_lock_practitioner (" in sent and "EXECUTE diary_busy (" in sent


def test_a_parameter_without_a_type_is_refused():
    with pytest.raises(ValueError, match="no type"):
        Prepared("x", "SELECT %(a)s, %(b)s", {"a": "bigint"})


def test_a_prepare_that_fails_raises_djangos_error_not_psycopgs(fresh_connection):
    """The PREPARE goes on psycopg's connection, past Django's cursor: its errors still come
    as Django's, so a connection dropped just before it is Django's OperationalError (which
    the pages and the API answer with a 503, the drills' case), and the statement is not
    taken as prepared."""
    broken = Prepared("diary_no_such_table", "SELECT 1 FROM no_such_table", {})
    with pytest.raises(ProgrammingError), transaction.atomic():
        broken.sql()
    assert "diary_no_such_table" not in getattr(connection.connection, PREPARED, set())

    connection.ensure_connection()
    with psycopg.connect(_url(), autocommit=True) as other:
        other.execute("SELECT pg_terminate_backend(%s)", [connection.connection.info.backend_pid])
    with pytest.raises(OperationalError):
        sql._CALENDAR.sql()
    assert "diary_calendar" not in getattr(connection.connection, PREPARED, set())


def _url() -> str:
    settings = connection.settings_dict
    return (
        f"postgresql://{settings['USER']}@{settings['HOST']}:{settings['PORT']}/{settings['NAME']}"
    )
