"""The .ics file of a booking: one event a client adds to their own calendar."""

from django.utils import timezone
from icalendar import Calendar, Event

from bookings.models import Appointment, Status

PRODID = "-//Lumiere//Clinic booking//EN"


def appointment_ics(appointment: Appointment, *, manage_url: str, domain: str) -> bytes:
    """An iCalendar (RFC 5545) file with the appointment as one event, in UTC so every
    calendar places it right without a time-zone table. Its UID stays the same across a
    reschedule, so importing the new file moves the event instead of adding a second one."""
    clinic = appointment.clinic
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    event = Event()
    event.add("uid", f"{appointment.reference}@{domain}")
    event.add("dtstamp", timezone.now())
    event.add("dtstart", appointment.start)
    event.add("dtend", appointment.end)
    event.add("summary", f"{appointment.treatment.name} at {clinic.name}")
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
    event.add("status", "CANCELLED" if appointment.status == Status.CANCELLED else "CONFIRMED")
    calendar.add_component(event)
    return calendar.to_ical()
