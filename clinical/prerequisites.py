"""Prerequisite rules: an appointment (a patch test, a consultation) a client must have had at
least N hours before a treatment, counting for M months. The pure part decides from plain
data (the rules, the client's prerequisite appointments, an instant); `load` reads both in
one query (clinical/sql.py PREREQUISITES).

Choices where the issue is silent:
- A prerequisite counts from its start: a completed one, and a confirmed one (upcoming, or
  past and not yet marked), so a client who books a patch test may book the treatment from
  48 hours after it straight away. A cancelled, no-show, expired or held one never counts.
- It counts for `valid_months` calendar months from its start (in the clinic's time): the
  treatment must start within them, and a later session does not renew it.
- Several rules for one treatment must all be met; for the same required treatments the
  more specific rule (the clinic's over the organisation's, the treatment's over its
  category's) replaces the other.
"""

import calendar
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.utils import timezone

from bookings.db import rows_together
from clinic.models import Client, Treatment
from clinical import sql

# What a prerequisite appointment must be to count.
COUNTED_STATUSES = sql.COUNTED_STATUSES


@dataclass(frozen=True)
class Required:
    """A treatment that meets a rule, with what the booking pages need to offer it."""

    pk: int
    name: str
    slug: str
    clinic_id: int
    active: bool


@dataclass(frozen=True)
class Rule:
    required: tuple[Required, ...]
    min_hours: int
    valid_months: int
    message: str

    @property
    def required_ids(self) -> frozenset[int]:
        return frozenset(r.pk for r in self.required)

    def offer(self, clinic_id: int) -> Required | None:
        """The required treatment to book: the active one at `clinic_id`, else any active."""
        active = [r for r in self.required if r.active]
        return next((r for r in active if r.clinic_id == clinic_id), active[0] if active else None)


@dataclass(frozen=True)
class Prior:
    """One of the client's appointments that can count: its treatment and start."""

    treatment_id: int
    start: datetime


@dataclass(frozen=True)
class Unmet:
    """A rule a booking breaks. `opens` is when it would be met, when a prerequisite already
    booked makes it so later; None: the client must book the prerequisite first."""

    rule: Rule
    opens: datetime | None = None


@dataclass(frozen=True)
class Window:
    """When a client may start the treatment, from some instant on: from `start` (None: no
    bound) to `end` (None: no bound); nothing at all while `unmet` names a rule no
    prerequisite on record meets."""

    start: datetime | None = None
    end: datetime | None = None
    unmet: tuple[Unmet, ...] = ()

    @property
    def closed(self) -> bool:
        return bool(self.unmet) or (
            self.start is not None and self.end is not None and self.start > self.end
        )


def add_months(instant: datetime, months: int) -> datetime:
    """The same wall time `months` calendar months on (the 31st becomes the month's last)."""
    month0 = instant.month - 1 + months
    year, month = instant.year + month0 // 12, month0 % 12 + 1
    day = min(instant.day, calendar.monthrange(year, month)[1])
    return instant.replace(year=year, month=month, day=day)


def periods(rule: Rule, priors: Iterable[Prior]) -> list[tuple[datetime, datetime]]:
    """The spans (first and last start allowed) in which the client's prerequisites meet
    `rule`, overlapping ones merged, in order."""
    spans = sorted(
        (p.start + timedelta(hours=rule.min_hours), add_months(p.start, rule.valid_months))
        for p in priors
        if p.treatment_id in rule.required_ids
    )
    merged: list[tuple[datetime, datetime]] = []
    for first, last in spans:
        if first > last:
            continue  # waits longer than it counts: never met
        if merged and first <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], last))
        else:
            merged.append((first, last))
    return merged


def unmet_at(rules: Iterable[Rule], priors: Iterable[Prior], at: datetime) -> list[Unmet]:
    """The rules a treatment starting at `at` breaks."""
    priors = list(priors)
    broken = []
    for rule in rules:
        spans = periods(rule, priors)
        if any(first <= at <= last for first, last in spans):
            continue
        broken.append(Unmet(rule, next((first for first, _ in spans if first > at), None)))
    return broken


def window(rules: Iterable[Rule], priors: Iterable[Prior], after: datetime) -> Window:
    """When, from `after` on, the client may first start the treatment, and until when their
    prerequisites keep counting (the first span of each rule that reaches past `after`)."""
    priors = list(priors)
    start = end = None
    unmet = []
    for rule in rules:
        span = next(((f, last) for f, last in periods(rule, priors) if last >= after), None)
        if span is None:
            unmet.append(Unmet(rule))
            continue
        if span[0] > after:
            start = span[0] if start is None else max(start, span[0])
        end = span[1] if end is None else min(end, span[1])
    return Window(start=start, end=end, unmet=tuple(unmet))


# -- reading ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Facts:
    """A treatment's rules in force and the client's appointments that can meet them."""

    rules: tuple[Rule, ...] = ()
    priors: tuple[Prior, ...] = ()

    def unmet_at(self, at: datetime) -> list[Unmet]:
        return unmet_at(self.rules, self.priors, at)

    def window(self, after: datetime) -> Window:
        return window(self.rules, self.priors, after)


def load(*, treatment: Treatment, client: Client | None) -> Facts:
    """The prerequisite rules in force for `treatment` at its clinic and the appointments of
    `client` (None: a newcomer, who has none) that can meet them, in one query
    (clinical/sql.py PREREQUISITES: each rule row joined with its required treatments and
    the client's counted appointments of them)."""
    (rows,) = rows_together([sql.PREREQUISITES], params(treatment=treatment, client=client))
    return facts_of(rows, tz=treatment.clinic.tzinfo)


def params(*, treatment: Treatment, client: Client | None) -> dict:
    """PREREQUISITES's parameters (and the other clinical statements' about the treatment)."""
    clinic = treatment.clinic
    return {
        "clinic": clinic.pk,
        "organisation": clinic.organisation_id,
        "treatment": treatment.pk,
        "category": str(treatment.category),
        "client": client.pk if client is not None and client.pk is not None else sql.NOBODY,
    }


def facts_of(rows, *, tz) -> Facts:
    """The Facts of PREREQUISITES's rows, the most specific rule first; priors in `tz`."""
    found: dict[int, dict] = {}
    priors: set[Prior] = set()
    for pk, hours, months, message, req_pk, name, slug, clinic_id, active, start in rows:
        rule = found.setdefault(
            pk, {"hours": hours, "months": months, "message": message, "required": {}}
        )
        if req_pk is not None:
            rule["required"][req_pk] = Required(req_pk, name, slug, clinic_id, bool(active))
        if start is not None:
            if timezone.is_naive(start):  # SQLite keeps UTC without its offset
                start = start.replace(tzinfo=UTC)
            priors.add(Prior(req_pk, start.astimezone(tz)))
    rules: dict[frozenset, Rule] = {}
    for data in found.values():  # in order, most specific first
        if not data["required"]:
            continue  # a rule with nothing to meet it is not in force
        rule = Rule(
            required=tuple(data["required"][pk] for pk in sorted(data["required"])),
            min_hours=data["hours"],
            valid_months=data["months"],
            message=data["message"],
        )
        rules.setdefault(rule.required_ids, rule)
    return Facts(
        rules=tuple(rules.values()),
        priors=tuple(sorted(priors, key=lambda p: (p.start, p.treatment_id))),
    )


def explain(unmet: Unmet, *, clinic_id: int, tz) -> str:
    """The refusal in words for the client: the rule's message, then what to do."""
    offer = unmet.rule.offer(clinic_id)
    name = offer.name if offer else "the required appointment"
    if unmet.opens is not None:
        when = unmet.opens.astimezone(tz)
        return (
            f"{unmet.rule.message} You can book this treatment from "
            f"{when:%A} {when.day} {when:%B %Y} at {when:%H:%M}, {unmet.rule.min_hours} hours "
            f"after your {name}."
        )
    return (
        f"{unmet.rule.message} Please book a {name} first; this treatment can then be booked "
        f"from {unmet.rule.min_hours} hours after it."
    )
