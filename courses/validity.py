"""When a course bought at an instant expires: pure, in the clinic's wall time."""

import calendar
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo


def add_months(day: date, months: int) -> date:
    """The same day `months` later; the month's last day where it has fewer (31 Jan + 1
    month is 28 or 29 Feb)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def expiry(*, bought_at: datetime, validity: int, unit: str, tz: ZoneInfo) -> datetime:
    """The end of the last local day of the course: bought on 3 March for 1 month, its
    sessions are for appointments starting before midnight at the end of 3 April, local time."""
    day = bought_at.astimezone(tz).date()
    last = add_months(day, validity) if unit == "months" else day + timedelta(days=validity)
    return datetime.combine(last + timedelta(days=1), time(0), tzinfo=tz).astimezone(UTC)
