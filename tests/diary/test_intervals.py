"""Pure interval arithmetic and local wall time: no database."""

import random
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from diary.intervals import Busy, LocalDay, Starts, merge, to_epoch

LONDON = ZoneInfo("Europe/London")


def test_merge_joins_overlapping_and_touching_intervals():
    assert merge([(5, 7), (1, 3), (3, 4), (6, 9), (20, 21)]) == ([1, 5, 20], [4, 9, 21])
    assert merge([(1, 9), (2, 3), (9, 9)]) == ([1], [9])  # one inside another, one touching
    assert merge([]) == ([], [])


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


def random_busy(rng: random.Random, count: int) -> Busy:
    intervals = []
    for _ in range(count):
        start = rng.randrange(0, 1000)
        intervals.append((start, start + rng.randrange(1, 60)))
    return Busy(intervals)


def test_free_starts_agrees_with_is_free_for_every_start():
    rng = random.Random(1)
    for _ in range(200):
        busy = random_busy(rng, rng.randrange(0, 12))
        length = rng.randrange(1, 90)
        starts = sorted(rng.sample(range(-50, 1100), 40))
        expected = [start for start in starts if busy.is_free(start, start + length)]
        assert busy.free_starts(starts, length) == expected


def test_starts_holds_a_start_when_any_one_diary_is_free_for_the_whole_length():
    rng = random.Random(2)
    for _ in range(200):
        diaries = [random_busy(rng, rng.randrange(0, 8)) for _ in range(rng.randrange(1, 4))]
        length = rng.randrange(1, 90)
        starts = Starts(diaries, length)
        for start in range(-50, 1100, 7):
            expected = any(busy.is_free(start, start + length) for busy in diaries)
            assert (start in starts) is expected


def test_starts_is_empty_without_diaries():
    assert 0 not in Starts([], 10)


def test_two_resources_each_free_half_the_time_do_not_make_one_free_resource():
    # Room A is busy 0-30, room B 30-60: someone is always free, but nobody for 0-60.
    starts = Starts([Busy([(0, 30)]), Busy([(30, 60)])], 60)
    assert 0 not in starts
    assert 30 in starts  # room A, from 30 to 90


def test_instants_match_instant_on_ordinary_and_clock_change_days():
    for day in (date(2027, 1, 4), date(2027, 3, 28), date(2027, 10, 31), date(2027, 7, 1)):
        clock = LocalDay(day, LONDON)
        expected = [
            clock.instant(minute)
            for minute in range(15, 24 * 60, 15)
            if clock.instant(minute) is not None
        ]
        assert list(clock.instants(15, 15)) == expected
