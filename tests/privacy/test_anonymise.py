"""Anonymising a client leaves nothing that names them anywhere in the database: every text
column of every table is searched for their name, email, phone, the reason an override gave
and their manage tokens, and every session is decoded and searched too."""

from datetime import date, timedelta

import pytest
import time_machine
from axes.models import AccessAttempt
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.sessions.models import Session
from django.db import connection
from django.utils import timezone

from aftercare.models import Message
from bookings.models import Appointment, BookingRequest, IdempotencyKey, SignOff
from clinic import audit
from clinic.models import AuditEntry
from diary.services import appointment_book
from online.api.idempotency import fingerprint
from privacy.anonymise import client_anonymise
from tests import factories
from tests.helpers import book_on_pages, booking_form
from tests.workspace.conftest import TODAY, london

REASON = "filler in lips 29 Nov, checked with Dr Reyes"
TEXT_TYPES = ("text", "character varying", "character", "json", "jsonb", "tsvector")


def database_holding(needles: list[str]) -> list[str]:
    """Where in the database any of `needles` is found (any case): "table.column: needle"
    for every text-like column of every table, and "session <key>: needle" for what the
    sessions hold once decoded."""
    found = []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_schema = 'public' AND data_type = ANY(%s)",
            [list(TEXT_TYPES)],
        )
        columns = cursor.fetchall()
        for table, column in columns:
            for needle in needles:
                cursor.execute(
                    f'SELECT count(*) FROM "{table}" WHERE "{column}"::text ILIKE %s',
                    [f"%{needle}%"],
                )
                if cursor.fetchone()[0]:
                    found.append(f"{table}.{column}: {needle}")
    store = Session.get_session_store_class()()
    for session in Session.objects.all():
        decoded = str(store.decode(session.session_data)).lower()
        found += [f"session {session.pk}: {n}" for n in needles if n.lower() in decoded]
    return found


@pytest.fixture
def leftovers(cast, settings):
    """Olivia leaves every kind of trace the issue named: an override's reason in an audit
    entry's details and in a path (a booking page reached with the reason in its query),
    her manage token in audit paths, a refused booking's draft in a session, an
    Idempotency-Key row for her booking, a lapsed booking request and a sign-in code to her
    address, her own visits to her space, a failed sign-in, and the admin's change log."""
    settings.AXES_ENABLED = True
    olivia, mia = cast.olivia, cast.users["mia"]
    overridden = appointment_book(
        treatment=cast.world.treatment,
        start=london(TODAY, 15),
        client=olivia,
        by=mia,
        override_reason=REASON,
    ).appointment
    visit = cast.olivia_visit
    # Entries written before paths were redacted at write time, as they are in the trail.
    audit.audit_write(
        user=mia,
        origin=audit.Origin(
            via=audit.WORKSPACE,
            path=f"/staff/clients/{olivia.pk}/book/?override_reason={REASON.replace(' ', '+')}",
        ),
        action=AuditEntry.Action.OVERRIDE,
        what=audit.APPOINTMENT,
        clients=[olivia],
        reason=REASON,
    )
    audit.audit_write(
        user=None,
        origin=audit.Origin(
            via=audit.PAGES, path=f"/booking/{visit.reference}/{visit.manage_token}/"
        ),
        action=AuditEntry.Action.VIEW,
        what=audit.ELIGIBILITY,
        clients=[olivia],
    )
    # A day sheet that showed her and Bruno (one entry for both), reached from her link.
    audit.audit_write(
        user=mia,
        origin=audit.Origin(
            via=audit.WORKSPACE,
            path=f"/staff/sheet/?next=/booking/{visit.reference}/{visit.manage_token}/",
        ),
        action=AuditEntry.Action.VIEW,
        what=audit.DAY_SHEET,
        clients=[olivia, cast.bruno],
    )
    # Staff reading her booking through the API with its token in the address.
    cast.browser("desk").get(
        f"/api/v1/appointments/{visit.reference}/", {"token": visit.manage_token}
    )
    # A search for her by name recorded on another client's entry.
    audit.audit_write(
        user=mia,
        origin=audit.Origin(via=audit.ADMIN, path="/admin/?q=Olivia+Turner"),
        action=AuditEntry.Action.VIEW,
        what=audit.CLIENT_PAGE,
        clients=[cast.bruno],
    )
    # Her own visits to her space (her login, her address, her browser).
    cast.browser("client").get("/my/", HTTP_USER_AGENT="Olivia's phone")
    # A refused booking's draft: she typed her details and a recent filler, anonymously.
    day = TODAY + timedelta(days=2)
    visitor = cast.browser("anonymous")
    refused = book_on_pages(
        visitor,
        cast.world.treatment.slug,
        booking_form(
            london(day, 11),
            name="Olivia Turner",
            email="olivia.turner@example.com",
            phone="07911 123101",
            had_injectable="yes",
            **{"injectable-0-kind": "filler", "injectable-0-date": (day - timedelta(days=3))},
        ),
    )
    assert "sorry" in refused["Location"]
    # A retry key kept for her booking, and a lapsed request made with her address.
    IdempotencyKey.objects.create(
        key="retry-olivia-1",
        fingerprint=fingerprint(body={"email": "olivia.turner@example.com"}, user_id=None),
        appointment=overridden,
    )
    held = Appointment.objects.create(
        clinic=cast.world.clinic,
        treatment=cast.world.treatment,
        practitioner=cast.world.practitioner,
        client=None,
        start=london(TODAY, 16),
        end=london(TODAY, 17),
        blocked_until=london(TODAY, 17),
        status=Appointment.Status.EXPIRED,
    )
    BookingRequest.objects.create(
        appointment=held,
        name="Olivia Turner",
        email="olivia.turner@example.com",
        phone="07911 123101",
        declared={"injectables": [{"kind": "filler", "date": "2027-02-26"}]},
        outcome=BookingRequest.Outcome.LAPSED,
    )
    Message.objects.create(
        kind=Message.Kind.SIGN_IN_CODE,
        to="olivia.turner@example.com",
        clinic=cast.world.clinic,
        due_at=timezone.now(),
        key="sign_in_code:5c2f0e",
        data={"code": "123456", "email": "olivia.turner@example.com"},
    )
    AccessAttempt.objects.create(
        username="olivia.turner@example.com",
        ip_address="203.0.113.9",
        user_agent="Olivia's phone",
        failures_since_start=1,
    )
    LogEntry.objects.log_actions(
        mia.pk, [olivia], CHANGE, change_message=[{"changed": {"fields": ["Phone"]}}]
    )
    # A practitioner's sign-off whose note names her.
    SignOff.objects.create(
        appointment=visit,
        status=SignOff.Status.APPROVED,
        reasons=["Pregnancy: checked first."],
        note="Olivia Turner, 07911 123101: fine.",
    )
    # A consent form she signed with her typed name and a note naming her doctor.
    factories.consent_form(organisation=cast.world.clinic.organisation, name="Massage consent")
    factories.form_signed(visit, answers={"pregnant": "no", "notes": "Ask Dr Reyes"})
    with time_machine.travel(london(date(2027, 3, 8), 9), tick=False):
        yield cast, [visit.manage_token, overridden.manage_token]


def test_anonymising_leaves_nothing_that_names_them_anywhere(leftovers):
    cast, tokens = leftovers
    needles = [
        "Olivia Turner",
        "olivia.turner@example.com",
        "olivia.turner%40example.com",
        "07911 123101",
        "07911123101",
        "+447911123101",
        "Olivia",  # her username (the login) and her name's words
        "Olivia's phone",
        "203.0.113.9",
        "lips 29 Nov",
        "Dr Reyes",
        *tokens,
    ]
    assert len(database_holding(needles)) > 10  # the search sees what is there to see
    entries = AuditEntry.objects.filter(client=cast.olivia).count()

    client_anonymise(client=cast.olivia)

    assert database_holding(needles) == []
    # What stays: her appointments, the trail of who saw her record, a redacted reason.
    assert Appointment.objects.filter(client=cast.olivia).count() == 2
    assert AuditEntry.objects.filter(client=cast.olivia).count() == entries
    override = AuditEntry.objects.get(client=cast.olivia, details__has_key="reason")
    assert override.details["reason"].startswith("[removed")  # a reason was given: still known
    assert not IdempotencyKey.objects.exists()
