"""Pure interval arithmetic and local wall time: no database."""

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from bookings.intervals import Busy, LocalDay, merge, to_epoch

LONDON = ZoneInfo("Europe/London")


def test_merge_joins_overlapping_and_touching_intervals():
    assert merge([(5, 7), (1, 3), (3, 4), (6, 9), (20, 21)]) == [(1, 4), (5, 9), (20, 21)]


def test_busy_is_free_treats_intervals_as_half_open():
    busy = Busy([(10, 20), (30, 40)])
    assert busy.is_free(0, 10)  # ends exactly when the busy time starts
    assert busy.is_free(20, 30)  # fits exactly between
    assert not busy.is_free(19, 21)
    assert not busy.is_free(0, 100)  # spans a whole busy interval
    assert not busy.is_free(35, 36)
    assert busy.is_free(40, 50)


def test_empty_busy_is_always_free():
    assert Busy().is_free(0, 10**10)


def test_skipped_wall_time_has_no_instant_on_spring_forward_day():
    day = LocalDay(date(2027, 3, 28), LONDON)
    assert day.instant(60) is None  # 01:00 does not exist
    assert day.instant(105) is None  # 01:45 does not exist
    assert day.instant(59) == to_epoch(datetime(2027, 3, 28, 0, 59, tzinfo=UTC))
    assert day.instant(120) == to_epoch(datetime(2027, 3, 28, 1, 0, tzinfo=UTC))  # 02:00 BST


def test_repeated_wall_time_maps_to_its_first_occurrence_on_fall_back_day():
    day = LocalDay(date(2027, 10, 31), LONDON)
    # 01:30 happens at 00:30 UTC (BST) and again at 01:30 UTC (GMT): offered once, the first.
    assert day.instant(90) == to_epoch(datetime(2027, 10, 31, 0, 30, tzinfo=UTC))


def test_local_day_lengths_follow_the_clock_changes():
    spring = LocalDay(date(2027, 3, 28), LONDON)
    autumn = LocalDay(date(2027, 10, 31), LONDON)
    assert spring.end() - spring.start() == 23 * 3600
    assert autumn.end() - autumn.start() == 25 * 3600


def test_boundary_uses_local_wall_time_in_summer_and_winter():
    assert LocalDay(date(2027, 7, 1), LONDON).boundary(time(9)) == to_epoch(
        datetime(2027, 7, 1, 8, 0, tzinfo=UTC)
    )
    assert LocalDay(date(2027, 1, 4), LONDON).boundary(time(9)) == to_epoch(
        datetime(2027, 1, 4, 9, 0, tzinfo=UTC)
    )
