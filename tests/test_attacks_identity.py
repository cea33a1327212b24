"""Issue 14's attacks on an email typed into a booking, each as it was tried on a running
install, and the promise that replaced them: an unverified caller learns nothing about an
address (a client's or not, a refusing record or a clean one) and writes nothing to anyone's
record. (The practitioner's attack is in tests/test_attacks_staff.py.)"""

import re
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.forms.models import model_to_dict
from django.test import Client as BrowserClient
from django.urls import reverse
from rest_framework.test import APIClient

from aftercare.models import Message
from bookings.models import Appointment, AppointmentChange
from clinic.models import AuditEntry, Client
from clinical.models import HealthDeclaration, InjectableRecord
from diary import services
from online.pages.views import notice_token
from tests import factories
from tests.helpers import book_on_pages, booking_form, signed_in

LONDON = ZoneInfo("Europe/London")
TUESDAY = date(2027, 3, 2)  # the frozen clock says Monday 1 March 2027, 08:00
APPOINTMENTS = "/api/v1/appointments/"


def at(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=LONDON)


@pytest.fixture
def people(world):
    """Three clients of the clinic, and one address that is nobody's."""
    refusing = factories.ClientFactory(clinic=world.clinic, email="olivia@example.com")
    factories.InjectableRecordFactory(client=refusing, date=TUESDAY - timedelta(days=5))
    factories.HealthDeclarationFactory(
        client=refusing, condition="pacemaker", declared_on=date(2026, 6, 1)
    )
    warning = factories.ClientFactory(clinic=world.clinic, email="wes@example.com")
    factories.InjectableRecordFactory(client=warning, date=TUESDAY - timedelta(days=20))
    clean = factories.ClientFactory(clinic=world.clinic, email="cleo@example.com")
    return {
        "new": "nobody@example.com",
        "refusing": refusing.email,
        "warning": warning.email,
        "clean": clean.email,
    }


def records() -> dict:
    """Every row an unverified caller must not write: the clients, their health records,
    their appointments and those appointments' history, the messages to them, the audit."""
    client_appointments = Appointment.objects.filter(client__isnull=False)
    return {
        "clients": [model_to_dict(row) for row in Client.objects.order_by("pk")],
        "injectables": [model_to_dict(row) for row in InjectableRecord.objects.order_by("pk")],
        "declarations": [model_to_dict(row) for row in HealthDeclaration.objects.order_by("pk")],
        "appointments": [model_to_dict(row) for row in client_appointments.order_by("pk")],
        "history": list(
            AppointmentChange.objects.filter(appointment__client__isnull=False)
            .order_by("pk")
            .values()
        ),
        "messages": list(Message.objects.filter(client__isnull=False).order_by("pk").values()),
        "audit": list(AuditEntry.objects.order_by("pk").values()),
    }


def api_body(email: str, hour: int, **extra) -> dict:
    return {
        "treatment": "manual-facial-massage",
        "start": at(TUESDAY, hour).isoformat(),
        "client": {"name": "Someone", "email": email},
        **extra,
    }


VARYING = {"reference", "start", "end", "held_until"}  # the request's own, not the address's


def shape(response) -> tuple:
    """Status, code and body with what differs by request (reference, times) blanked."""
    body = response.json()
    return (
        response.status_code,
        body.get("code"),
        sorted(body),
        {key: value for key, value in body.items() if key not in VARYING},
    )


# -- Reading anyone's record ------------------------------------------------------------------


def test_the_api_answers_every_address_alike(world, people):
    before = records()

    answers = {
        who: APIClient().post(APPOINTMENTS, api_body(email, 10 + n), format="json")
        for n, (who, email) in enumerate(people.items())
    }

    shapes = {who: shape(answer) for who, answer in answers.items()}
    assert shapes["new"][0] == 202 and shapes["new"][1] is None
    assert shapes["refusing"] == shapes["new"]
    assert shapes["warning"] == shapes["new"]
    assert shapes["clean"] == shapes["new"]
    assert records() == before


def test_moving_a_declared_date_answers_from_the_declaration_alone(world, people):
    """The binary search on a date that only warns: every answer is what the declaration
    alone gives, the same for a client and for nobody, so it recovers no date."""
    answers = {}
    for who in ("refusing", "new"):
        answers[who] = []
        for n, days in enumerate((3, 10, 17, 24, 40)):
            declared = {
                "health": {
                    "injectables": [
                        {"kind": "filler", "date": (TUESDAY - timedelta(days=days)).isoformat()}
                    ]
                }
            }
            response = APIClient().post(
                APPOINTMENTS,
                api_body(people[who], 9 + n, **declared),
                format="json",
            )
            answers[who].append((response.status_code, response.json().get("code")))
            Appointment.objects.filter(status=Appointment.Status.HELD).delete()

    assert answers["refusing"] == answers["new"]
    assert {code for _, code in answers["new"]} >= {"waiting_period", None}


def test_the_pages_answer_every_address_alike(world, people):
    before = records()
    pages = {}
    for n, (who, email) in enumerate(people.items()):
        browser = BrowserClient()
        form = booking_form(at(TUESDAY, 10 + n), name="Someone", email=email)
        response = book_on_pages(browser, world.treatment.slug, form)
        page = browser.get(response["Location"]).content.decode()
        page = page.replace(email, "EMAIL")
        page = re.sub(r"\d{1,2}:\d{2}", "HH:MM", page)
        pages[who] = (response.status_code, response["Location"], page)

    assert pages["refusing"] == pages["new"]
    assert pages["warning"] == pages["new"]
    assert pages["clean"] == pages["new"]
    assert "Check your email" in pages["new"][2]
    assert records() == before


# -- Writing onto anyone's record -------------------------------------------------------------


def test_an_anonymous_booking_under_a_clients_email_writes_nothing_to_their_record(world, people):
    olivia = Client.objects.get(email=people["refusing"])
    real = services.appointment_book(
        treatment=world.treatment,
        start=at(date(2027, 3, 25), 10),
        client=olivia,
        acknowledge_warnings=True,
    ).appointment
    before = records()

    response = APIClient().post(
        APPOINTMENTS,
        api_body(
            people["refusing"],
            12,
            health={
                "injectables": [
                    {"kind": "filler", "date": (TUESDAY - timedelta(days=60)).isoformat()}
                ],
                "conditions": ["pregnancy"],
            },
        ),
        format="json",
    )

    assert response.status_code == 202
    assert "manage_token" not in response.json()
    assert records() == before, "nothing on Olivia's record, nor her booking flagged"
    real.refresh_from_db()
    assert real.status == Appointment.Status.CONFIRMED
    # Nothing the answer gave opens Olivia's real booking, nor the held one.
    for reference in (real.reference, response.json()["reference"]):
        cancel = APIClient().post(f"{APPOINTMENTS}{reference}/cancel/", {}, format="json")
        assert cancel.status_code == 404


# -- Mail relay -------------------------------------------------------------------------------


def test_a_signed_offer_cannot_email_arbitrary_addresses(world):
    offer = notice_token(world.treatment, date(2027, 3, 9))
    url = reverse("online:notice", args=[world.treatment.slug])

    for victim in ("one@victim.example", "two@victim.example"):
        BrowserClient().post(
            url,
            {
                "notice": offer,
                "email": victim,
                "name": "WIN-A-PRIZE-at-http://evil.example/claim",
            },
        )

    assert not Message.objects.exists() and not Client.objects.exists()


def test_a_hold_email_carries_none_of_the_callers_words(world):
    APIClient().post(
        APPOINTMENTS,
        {
            "treatment": "manual-facial-massage",
            "start": at(TUESDAY, 10).isoformat(),
            "client": {
                "name": "WIN-A-PRIZE-at-http://evil.example/claim",
                "email": "victim@example.com",
            },
        },
        format="json",
    )

    from django.core import mail

    from aftercare.outbox import claim_due
    from tests.helpers import send_one

    claim_due(send=lambda ids: None)
    send_one(Message.objects.get(to="victim@example.com").pk)
    sent = mail.outbox[-1]
    assert "WIN-A-PRIZE" not in sent.subject + sent.body and "evil" not in sent.body
    assert not Client.objects.exists()


def test_the_eligibility_notice_goes_once_to_the_signed_in_clients_own_address(world, client):
    dana = factories.ClientFactory(clinic=world.clinic, name="Dana", email="dana@example.com")
    signed_in(client, dana.email)
    offer = notice_token(world.treatment, date(2027, 3, 9))
    url = reverse("online:notice", args=[world.treatment.slug])

    for victim in ("one@victim.example", "two@victim.example", "dana@example.com"):
        client.post(url, {"notice": offer, "email": victim, "name": "WIN-A-PRIZE"})

    notice = Message.objects.get(kind=Message.Kind.ELIGIBLE)
    assert notice.client == dana and Client.objects.count() == 1


# -- Shared devices ---------------------------------------------------------------------------


def refused_visit(world, browser):
    form = booking_form(
        at(date(2027, 3, 5), 11),
        name="Priya Private",
        email="priya@example.com",
        phone="07911 123555",
        had_injectable="yes",
        **{"injectable-0-kind": "botox", "injectable-0-date": "2027-02-23"},
    )
    response = book_on_pages(browser, world.treatment.slug, form)
    assert response["Location"] == reverse("online:sorry", args=[world.treatment.slug])


def details_page(world, browser) -> str:
    url = reverse("online:details", args=[world.treatment.slug])
    return browser.get(url, {"start": at(date(2027, 3, 11), 9).isoformat()}).content.decode()


def test_the_next_person_on_the_browser_does_not_find_the_last_ones_answers(world, client):
    refused_visit(world, client)
    assert "priya@example.com" in details_page(world, client)  # kept for the visit

    with time_machine.travel(timedelta(minutes=31)):
        later = details_page(world, client)

    for secret in ("Priya", "priya@example.com", "07700 900555", "2027-02-23"):
        assert secret not in later


def test_another_person_signing_in_does_not_find_the_last_ones_answers(world, client):
    refused_visit(world, client)
    factories.ClientFactory(clinic=world.clinic, name="Sam Next", email="sam@example.com")

    signed_in(client, "sam@example.com")

    page = details_page(world, client)
    for secret in ("Priya", "priya@example.com", "07700 900555", "2027-02-23"):
        assert secret not in page
