"""Pure time arithmetic for the diary: half-open intervals of epoch seconds, and the mapping
of a clinic's local wall-clock times to instants on a given date, DST included."""

from bisect import bisect_right
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

Interval = tuple[int, int]  # [start, end) in epoch seconds


def to_epoch(instant: datetime) -> int:
    return int(instant.timestamp())


def from_epoch(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, tz=UTC)


def merge(intervals: Iterable[Interval]) -> list[Interval]:
    """Sort and merge overlapping or touching intervals."""
    merged: list[list[int]] = []
    for start, end in sorted(intervals):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(start, end) for start, end in merged]


class Busy:
    """Merged busy intervals with an O(log n) "is [a, b) free?" question."""

    __slots__ = ("starts", "ends")

    def __init__(self, intervals: Iterable[Interval] = ()):
        merged = merge(intervals)
        self.starts = [start for start, _ in merged]
        self.ends = [end for _, end in merged]

    def is_free(self, start: int, end: int) -> bool:
        # The first busy interval that ends after `start` is the only one that can overlap.
        i = bisect_right(self.ends, start)
        return i == len(self.starts) or self.starts[i] >= end


def local_days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


class LocalDay:
    """One date in a clinic's timezone: wall-clock minutes of the day mapped to instants.

    A wall time that does not exist (the hour skipped when clocks go forward) maps to None.
    A wall time that happens twice (the hour repeated when clocks go back) maps to its first
    occurrence, so it is offered once.
    """

    __slots__ = ("day", "tz", "_cache")

    def __init__(self, day: date, tz: ZoneInfo):
        self.day = day
        self.tz = tz
        self._cache: dict[int, int | None] = {}

    def instant(self, minute: int) -> int | None:
        try:
            return self._cache[minute]
        except KeyError:
            pass
        naive = datetime.combine(self.day, time(minute // 60, minute % 60))
        aware = naive.replace(tzinfo=self.tz)
        round_trip = aware.astimezone(UTC).astimezone(self.tz).replace(tzinfo=None)
        value = to_epoch(aware) if round_trip == naive else None
        self._cache[minute] = value
        return value

    def boundary(self, wall: time) -> int:
        """The instant of a wall time used as an interval edge (opening, closing).

        A skipped wall time still bounds an interval: it is read with the offset in force
        before the change, which places it just after the gap.
        """
        return to_epoch(datetime.combine(self.day, wall).replace(tzinfo=self.tz))

    def start(self) -> int:
        return self.boundary(time(0, 0))

    def end(self) -> int:
        return LocalDay(self.day + timedelta(days=1), self.tz).start()


def minute_of_day(wall: time) -> int:
    return wall.hour * 60 + wall.minute + (1 if wall.second or wall.microsecond else 0)


def intersect_wall(a: tuple[time, time], b: tuple[time, time]) -> tuple[time, time] | None:
    start, end = max(a[0], b[0]), min(a[1], b[1])
    return (start, end) if start < end else None
