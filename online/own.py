"""What a signed-in client sees of their own: their appointments at every organisation they
booked with (one client record each, clinic.identity.clients_of), and until when each can
still be moved or cancelled online, read from the clinic's cancellation window exactly as
diary/services.py enforces it (`start - now < window` refuses a client), so the page and the
API say before they try what the service would answer.

Shared by the client's space (online/pages/mine.py) and the API (online/api/me.py); who may
call it is theirs to check: the records passed in are the caller's own.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone

from bookings.models import Appointment
from clinic.models import Client

# What the client's lists show: their diary and what became of it. Holds are the booking
# request's (no client yet) and lapsed holds never happened.
SHOWN_STATUSES = (
    Appointment.Status.CONFIRMED,
    Appointment.Status.COMPLETED,
    Appointment.Status.NO_SHOW,
    Appointment.Status.CANCELLED,
)
PAST_SHOWN = 50  # the most recent past appointments listed; older ones stay in the export


@dataclass(frozen=True)
class OwnAppointment:
    """One of the client's appointments, with its cancellation window: `changeable_until` is
    the last instant the client may move or cancel it online (its start less the clinic's
    `cancellation_window_hours`); `open` says whether that is still ahead."""

    appointment: Appointment
    changeable_until: datetime
    open: bool

    @property
    def window_hours(self) -> int:
        return self.appointment.clinic.cancellation_window_hours


def changeable_until(appointment: Appointment) -> datetime:
    return appointment.start - timedelta(hours=appointment.clinic.cancellation_window_hours)


def _own(appointment: Appointment, now: datetime) -> OwnAppointment:
    until = changeable_until(appointment)
    return OwnAppointment(
        appointment=appointment,
        changeable_until=until,
        open=appointment.status == Appointment.Status.CONFIRMED and now < until,
    )


@dataclass(frozen=True)
class OwnAppointments:
    upcoming: list[OwnAppointment]  # confirmed and not started, soonest first
    past: list[OwnAppointment]  # the rest, most recent first


def own_appointments(records: list[Client], *, now: datetime | None = None) -> OwnAppointments:
    """The appointments of these client records (the caller's own), in three queries."""
    now = now or timezone.now()
    if not records:
        return OwnAppointments(upcoming=[], past=[])
    base = Appointment.objects.filter(client__in=records, status__in=SHOWN_STATUSES).select_related(
        "clinic", "treatment", "treatment__clinic", "practitioner", "client"
    )
    # The rules read each coming appointment's treatment's resource kinds (a device's
    # contraindications): fetched for all of them in one more query, not one per booking.
    upcoming = (
        base.filter(status=Appointment.Status.CONFIRMED, start__gte=now)
        .prefetch_related("treatment__required_resource_kinds")
        .order_by("start", "pk")
    )
    past = base.exclude(status=Appointment.Status.CONFIRMED, start__gte=now).order_by(
        "-start", "-pk"
    )[:PAST_SHOWN]
    return OwnAppointments(
        upcoming=[_own(a, now) for a in upcoming], past=[_own(a, now) for a in past]
    )
