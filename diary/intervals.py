"""Pure time arithmetic for the diary: half-open intervals of epoch seconds, and the mapping
of a clinic's local wall-clock times to instants on a given date, DST included."""

from bisect import bisect_right
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

Interval = tuple[int, int]  # [start, end) in epoch seconds
INFINITY = 2**62  # beyond any instant, so open-ended gaps stay integers


def to_epoch(instant: datetime) -> int:
    return int(instant.timestamp())


def from_epoch(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, tz=UTC)


def merge(intervals: Iterable[Interval]) -> tuple[list[int], list[int]]:
    """Sort and merge overlapping or touching intervals: the starts and the ends of the
    merged ones, in order (two lists, as Busy and Starts keep them: a search merges over a
    thousand intervals, and making no pairs on the way halves the cost)."""
    starts: list[int] = []
    ends: list[int] = []
    for start, end in sorted(intervals):
        if ends and start <= ends[-1]:
            if end > ends[-1]:
                ends[-1] = end
        else:
            starts.append(start)
            ends.append(end)
    return starts, ends


class Busy:
    """Merged busy intervals with an O(log n) "is [a, b) free?" question."""

    __slots__ = ("starts", "ends")

    def __init__(self, intervals: Iterable[Interval] = ()):
        self.starts, self.ends = merge(intervals)

    def is_free(self, start: int, end: int) -> bool:
        # The first busy interval that ends after `start` is the only one that can overlap.
        i = bisect_right(self.ends, start)
        return i == len(self.starts) or self.starts[i] >= end

    def free_starts(self, starts: list[int], length: int) -> list[int]:
        """The starts s (ascending) for which [s, s + length) is free.

        Same answer as is_free for each start, in one walk through the busy intervals:
        a search asks this for every practitioner and day, thousands of starts.
        """
        busy_starts, busy_ends = self.starts, self.ends
        count = len(busy_ends)
        i = 0
        free = []
        for start in starts:
            while i < count and busy_ends[i] <= start:
                i += 1
            if i == count or busy_starts[i] >= start + length:
                free.append(start)
        return free


class Starts:
    """The starts s for which [s, s + length) is free in at least one of several diaries
    (the resources of one kind): the union of their free gaps, each shortened by `length`.

    Built once per search, it answers "is any of them free?" with one bisection instead
    of a question to each resource in turn.
    """

    __slots__ = ("starts", "ends")

    def __init__(self, diaries: Iterable[Busy], length: int):
        ranges = []
        for busy in diaries:
            # Gaps run from the end of one busy interval to the start of the next.
            gap_starts = [-INFINITY, *busy.ends]
            gap_ends = [*busy.starts, INFINITY]
            ranges.extend(
                (start, end - length + 1)
                for start, end in zip(gap_starts, gap_ends, strict=True)
                if end - start >= length
            )
        self.starts, self.ends = merge(ranges)

    def __contains__(self, start: int) -> bool:
        i = bisect_right(self.starts, start) - 1
        return i >= 0 and start < self.ends[i]

    def among(self, starts: list[int]) -> list[int]:
        """The starts (ascending) this contains: `start in self` for each, in one walk, as
        Busy.free_starts answers is_free."""
        gap_starts, gap_ends = self.starts, self.ends
        count = len(gap_ends)
        i = 0
        inside = []
        for start in starts:
            while i < count and gap_ends[i] <= start:
                i += 1
            if i < count and gap_starts[i] <= start:
                inside.append(start)
        return inside


def local_days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


class LocalDay:
    """One date in a clinic's timezone: wall-clock minutes of the day mapped to instants.

    A wall time that does not exist (the hour skipped when clocks go forward) maps to None.
    A wall time that happens twice (the hour repeated when clocks go back) maps to its first
    occurrence, so it is offered once.
    """

    __slots__ = ("day", "tz", "_cache", "_midnight")

    def __init__(self, day: date, tz: ZoneInfo):
        self.day = day
        self.tz = tz
        self._cache: dict[int, int | None] = {}
        self._midnight = self._steady_midnight()

    def _steady_midnight(self) -> int | None:
        """Midnight's instant when the clock does not change this day (24 hours long, one
        offset at both midnights; zones in use change at most once a day), so that a wall
        minute's instant is plain arithmetic. None on a clock-change day."""
        midnight = datetime.combine(self.day, time(0, 0)).replace(tzinfo=self.tz)
        next_midnight = datetime.combine(self.day + timedelta(days=1), time(0, 0)).replace(
            tzinfo=self.tz
        )
        steady = (
            to_epoch(next_midnight) - to_epoch(midnight) == 24 * 3600
            and midnight.utcoffset() == next_midnight.utcoffset()
        )
        return to_epoch(midnight) if steady else None

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

    def instants(self, first_minute: int, step: int):
        """The instants of wall minutes first_minute, +step, ... until midnight, in order,
        leaving out wall times that do not exist."""
        if self._midnight is not None:
            midnight = self._midnight
            for minute in range(first_minute, 24 * 60, step):
                yield midnight + minute * 60
            return
        for minute in range(first_minute, 24 * 60, step):
            instant = self.instant(minute)
            if instant is not None:
                yield instant

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
