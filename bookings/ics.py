"""The .ics of a booking: one calendar event, built here alone for the booking page's download
and for the confirmation and cancellation emails, so that a calendar which took the event
from any of them updates that same event.

RFC 5545: the UID names the booking and never changes; SEQUENCE counts its revisions (each
reschedule, and the cancellation after them), so a calendar applies the newest file; a
cancellation is METHOD:CANCEL with STATUS:CANCELLED. Times are in UTC, so every calendar
places them right without a time-zone table.
"""

from urllib.parse import urlsplit

from django.conf import settings
from django.utils import timezone
from icalendar import Calendar, Event

from bookings.history import reschedule_count
from bookings.models import Appointment

PRODID = "-//Lumiere//Clinic booking//EN"


def event_uid(appointment: Appointment) -> str:
    """The event's UID: the booking's reference at the site's own host (SITE_URL), the same
    wherever the file comes from."""
    host = urlsplit(settings.SITE_URL).hostname or "localhost"
    return f"{appointment.reference}@{host}"


def event_sequence(appointment: Appointment) -> int:
    """The revision of the appointment's event, from its history: the number of times it
    moved, one more once it is cancelled."""
    cancelled = appointment.status == Appointment.Status.CANCELLED
    return reschedule_count(appointment) + (1 if cancelled else 0)


def appointment_ics(
    appointment: Appointment, *, sequence: int, manage_url: str, clinic, treatment
) -> bytes:
    """An iCalendar file with the appointment as one event. `sequence` is event_sequence(),
    read when the file is made or when its email was planned; `clinic` and `treatment` are
    the appointment's, passed in by callers that hold them already (an email's are its
    message's)."""
    cancelled = appointment.status == Appointment.Status.CANCELLED
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("method", "CANCEL" if cancelled else "PUBLISH")
    event = Event()
    event.add("uid", event_uid(appointment))
    event.add("sequence", sequence)
    event.add("dtstamp", timezone.now())
    event.add("dtstart", appointment.start)
    event.add("dtend", appointment.end)
    event.add("summary", f"{treatment.name} at {clinic.name}")
    if clinic.address:
        event.add("location", ", ".join(line.strip() for line in clinic.address.splitlines()))
    lines = [
        f"Booking reference: {appointment.reference}",
        f"With: {appointment.practitioner.name}",
        f"To move or cancel it: {manage_url}",
    ]
    if clinic.phone:
        lines.append(f"Clinic phone: {clinic.phone}")
    event.add("description", "\n".join(lines))
    event.add("url", manage_url)
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    calendar.add_component(event)
    return calendar.to_ical()
