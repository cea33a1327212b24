"""What a booking page's POST met, kept in the session for the page it redirects to: a
refusal, a time taken meanwhile, warnings to accept. Every POST of the booking pages ends in
a redirect, so Back and reload never ask to send a form again; the page after it reads the
outcome from here, worded as the services worded it.
"""

from datetime import date, datetime
from types import SimpleNamespace

from clinic.models import Practitioner
from clinical.rules import Declared
from clinical.vocabulary import AREA, CONDITION, PROCEDURE, Vocabulary
from diary.errors import (
    BookingError,
    EligibilityRefused,
    HoldGone,
    PaymentUnavailable,
    PrerequisiteMissing,
    SlotUnavailable,
    TooLateToCancel,
    WaitingPeriod,
    WarningsNotAcknowledged,
)

OUTCOME_KEY = "booking_outcome"


def refusal_heading(refusal: BookingError) -> str:
    """The page's heading. It names the waiting period only when the client declared the
    injection themselves (the refusal then carries its earliest date): a refusal from the
    record on file stays as neutral as the services' words."""
    if isinstance(refusal, WaitingPeriod) and refusal.earliest_date:
        return "This date is too soon after your treatment"
    if isinstance(refusal, PrerequisiteMissing) and refusal.required_name:
        return f"This treatment needs a {refusal.required_name} first"
    if isinstance(refusal, EligibilityRefused):
        return "We can’t book this online"
    if isinstance(refusal, TooLateToCancel):
        return "It’s too late to change this online"
    if isinstance(refusal, HoldGone):
        return "This booking request is closed"
    if isinstance(refusal, PaymentUnavailable):
        return "We can’t take card payments just now"
    return "We couldn’t do that"


def _kind(refusal: BookingError) -> str:
    if isinstance(refusal, SlotUnavailable):
        return "unavailable"
    if isinstance(refusal, WarningsNotAcknowledged):
        return "warnings"
    return "refused"


def outcome_keep(
    session,
    refusal: BookingError,
    *,
    start: datetime | None,
    practitioner: Practitioner | None = None,
    ack_missing: bool = False,
) -> None:
    """Keep what the POST met for the page it redirects to (plain values only)."""
    earliest = getattr(refusal, "earliest_date", None)
    session[OUTCOME_KEY] = {
        "kind": _kind(refusal),
        "code": refusal.code,
        "detail": refusal.detail,
        "heading": refusal_heading(refusal),
        "earliest": earliest.isoformat() if earliest else None,
        "warnings": list(getattr(refusal, "warnings", [])),
        "alternatives": [slot.start.isoformat() for slot in getattr(refusal, "alternatives", [])],
        "start": start.isoformat() if start else None,
        "practitioner": practitioner.pk if practitioner else None,
        "ack_missing": ack_missing,
        # The treatment to book first (a patch test), offered with a refusal that needs it.
        "required": getattr(refusal, "required_treatment", None),
        "required_name": getattr(refusal, "required_name", None),
    }


def outcome_pending(session, *, kind: str | None = None, start: datetime | None = None):
    """The kept outcome (of `kind`, about `start`, when given) with its values read back;
    None if there is none."""
    kept = session.get(OUTCOME_KEY)
    if not isinstance(kept, dict) or (kind and kept.get("kind") != kind):
        return None
    try:
        kept_start = datetime.fromisoformat(kept["start"]) if kept.get("start") else None
        if start is not None and kept_start != start:
            return None
        alternatives = [datetime.fromisoformat(value) for value in kept.get("alternatives", [])]
        earliest = date.fromisoformat(kept["earliest"]) if kept.get("earliest") else None
    except (KeyError, TypeError, ValueError):
        return None
    practitioner = (
        Practitioner.objects.filter(pk=kept["practitioner"]).first()
        if kept.get("practitioner")
        else None
    )
    return {
        "kind": kept["kind"],
        "heading": kept.get("heading", ""),
        "start": kept_start,
        "practitioner": practitioner,
        "earliest": earliest,
        "warnings": list(kept.get("warnings", [])),
        "alternatives": alternatives,
        "ack_missing": bool(kept.get("ack_missing")),
        "required": kept.get("required"),
        "required_name": kept.get("required_name"),
        "refusal": SimpleNamespace(
            code=kept.get("code", ""),
            detail=kept.get("detail", ""),
            warnings=list(kept.get("warnings", [])),
            alternatives=[SimpleNamespace(start=value) for value in alternatives],
        ),
    }


def outcome_clear(session) -> None:
    session.pop(OUTCOME_KEY, None)


def declared_lines(declared: Declared, words: Vocabulary) -> list[str]:
    """What the client declared, in `words` (the organisation's vocabulary), for the review
    and confirmation pages."""
    lines = []
    for item in declared.injectables:
        areas = ", ".join(words.name(AREA, area).lower() for area in item.get("areas") or [])
        when = f"{words.name(PROCEDURE, item['kind'])} on {item['date']:%-d %B %Y}"
        lines.append(f"{when} ({areas})" if areas else when)
    lines += [words.word(CONDITION, condition).asked for condition in declared.conditions]
    return lines
