"""The client booking pages without a browser: each step's answers, refusals and errors,
the booking's signed link, and the clinic's branding. The browser tests in
tests/browser/test_booking_pages.py walk the same flows in Chromium."""

import re
from datetime import date, datetime, time, timedelta
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.test import Client as BrowserClient
from django.urls import reverse

from aftercare.models import Message
from bookings.models import Appointment
from clinic.branding import DEFAULT_PRIMARY, contrast, validate_logo_url
from clinic.models import Client
from clinical.models import InjectableRecord
from diary import services
from online.pages.views import notice_token
from tests import factories
from tests.conftest import add_microcurrent, works_every_day
from tests.helpers import book_on_pages, booking_form, signed_in

LONDON = ZoneInfo("Europe/London")
TUESDAY = date(2027, 3, 2)  # the frozen clock says Monday 1 March 2027, 08:00


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=LONDON)


def calendar_url(treatment, **params) -> str:
    url = reverse("online:calendar", args=[treatment.slug])
    return f"{url}?{urlencode(params)}" if params else url


def details_url(treatment) -> str:
    return reverse("online:details", args=[treatment.slug])


def confirm_url(treatment) -> str:
    return reverse("online:confirm", args=[treatment.slug])


def details(start: datetime, **fields) -> dict:
    """The details form as a client fills it in: no injectables, unless `fields` say so."""
    return booking_form(start, **fields)


def filler(on: date, *areas) -> dict:
    return {
        "had_injectable": "yes",
        "injectable-0-kind": "filler",
        "injectable-0-date": on.isoformat(),
        "injectable-0-areas": list(areas),
    }


def text(response) -> str:
    """The page's visible words, tags stripped and spaces collapsed."""
    body = response.content.decode()
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", body, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body))


def manage_url(appointment, view="online:manage") -> str:
    return reverse(view, args=[appointment.reference, appointment.manage_token])


def booked(world, start: datetime, *, by=None, email="erin@example.com") -> Appointment:
    client = factories.ClientFactory(clinic=world.clinic, email=email)
    return services.appointment_book(
        treatment=world.treatment, start=start, client=client, by=by
    ).appointment


# --- Treatments and the calendar ------------------------------------------------------------


def test_the_treatments_show_their_price_and_duration(world, client):
    response = client.get(reverse("online:treatments"))

    assert response.status_code == 200
    words = text(response)
    assert "Manual facial massage" in words
    assert "60 min" in words and "£95" in words
    assert f'href="{calendar_url(world.treatment)}"' in response.content.decode()


def test_what_staff_typed_is_escaped(world, client):
    world.treatment.name = "<script>alert(1)</script> Glow"
    world.treatment.save()

    body = client.get(reverse("online:treatments")).content.decode()

    assert "<script>alert(1)" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Glow" in body


def test_with_several_clinics_each_treatment_is_listed_under_its_clinic(world, client):
    other = factories.ClinicFactory(name="Second Skin Studio")
    factories.TreatmentFactory(clinic=other, name="Gua sha", slug="gua-sha")

    response = client.get(reverse("online:treatments"))

    words = text(response)
    assert "Lumière" in words and "Second Skin Studio" in words
    assert words.index("Second Skin Studio") < words.index("Gua sha")


def test_the_calendar_shows_the_days_with_free_times_and_the_times_of_the_day(world, client):
    response = client.get(calendar_url(world.treatment, day=TUESDAY))

    assert response.status_code == 200
    words = text(response)
    assert "Times on Tuesday 2 March" in words
    assert "09:00" in words and "17:00" in words  # 60 minutes before the 18:00 close
    link = details_url(world.treatment) + "?" + urlencode({"start": at(TUESDAY, 9).isoformat()})
    assert link.replace("&", "&amp;") in response.content.decode()


def test_the_calendar_for_one_practitioner_shows_only_their_times(world, client):
    bea = factories.PractitionerFactory(
        clinic=world.clinic, name="Bea", treatments=[world.treatment]
    )
    works_every_day(bea, starts=time(14))
    factories.ResourceFactory(clinic=world.clinic, kind=world.room_kind, name="Room 2")
    booked(world, at(TUESDAY, 15))  # Alice; Bea is free then

    everyone = text(client.get(calendar_url(world.treatment, day=TUESDAY)))
    only_bea = text(client.get(calendar_url(world.treatment, day=TUESDAY, practitioner=bea.pk)))

    assert "09:00" in everyone and "15:00" in everyone
    assert "09:00" not in only_bea and "15:00" in only_bea


@pytest.mark.parametrize(
    "params",
    [
        {"day": "not-a-date"},
        {"day": "9999-12-31"},
        {"day": "0001-01-01"},
        {"day": "2027-02-30"},
        {"practitioner": "abc"},
        {"practitioner": "99999999999999999999"},
        {"practitioner": "-1"},
        {"day": "\x00"},
    ],
)
def test_a_bad_calendar_address_shows_the_calendar_not_an_error(world, client, params):
    response = client.get(calendar_url(world.treatment, **params))

    assert response.status_code == 200
    assert "Times on" in text(response)


def test_an_unknown_or_inactive_treatment_is_not_found(world, client):
    world.treatment.active = False
    world.treatment.save()

    assert client.get(calendar_url(world.treatment)).status_code == 404
    assert client.get("/book/no-such-treatment/").status_code == 404


@pytest.mark.parametrize(
    "start", ["", "tomorrow", "2027-03-02T09:00:00", "2027-03-02T09:00:00+00:00\x00", "9" * 500]
)
def test_the_details_step_without_a_proper_time_goes_back_to_the_calendar(world, client, start):
    response = client.get(details_url(world.treatment), {"start": start})

    assert response.status_code == 302
    assert response["Location"] == calendar_url(world.treatment)


# --- Booking ------------------------------------------------------------------------------


def test_a_client_books_and_sees_the_confirmation(world, client):
    """Signed in, the client reviews the booking (price, practitioner, the cancellation
    policy) before it is made, then books it at once."""
    start = at(TUESDAY, 10)
    signed_in(client, "dana@example.com")

    page = client.get(details_url(world.treatment), {"start": start.isoformat()})
    to_review = client.post(details_url(world.treatment), details(start))
    review = client.get(to_review["Location"])
    response = client.post(confirm_url(world.treatment), {"start": start.isoformat()})

    assert page.status_code == 200 and "Tuesday 2 March 2027 at 10:00" in text(page)
    words = text(review)
    assert "Check your booking" in words and "Tuesday 2 March 2027 at 10:00" in words
    assert "£" in words and "Any available practitioner" in words
    assert "You can move or cancel this appointment online until Monday 1 March at 10:00" in words
    assert "Book now" in words
    appointment = Appointment.objects.get()
    assert response.status_code == 302
    assert response["Location"] == manage_url(appointment, "online:confirmed")
    assert appointment.start == start and appointment.channel == "online"
    assert appointment.client.email == "dana@example.com"
    confirmation = client.get(response["Location"])
    words = text(confirmation)
    assert "You’re booked" in words and appointment.reference in words
    assert manage_url(appointment, "online:ics") in confirmation.content.decode()
    assert manage_url(appointment) in confirmation.content.decode()


def test_a_chosen_practitioner_is_kept(world, client):
    bea = factories.PractitionerFactory(
        clinic=world.clinic, name="Bea", treatments=[world.treatment]
    )
    works_every_day(bea)
    signed_in(client, "dana@example.com")
    form = details(at(TUESDAY, 10), practitioner=bea.pk)

    review = client.get(client.post(details_url(world.treatment), form)["Location"])
    book_on_pages(client, world.treatment.slug, form)

    assert "With Bea" in text(review)
    appointment = Appointment.objects.get()
    assert appointment.practitioner == bea and appointment.practitioner_requested


def test_invalid_details_come_back_with_what_was_typed_and_errors_tied_to_fields(world, client):
    data = details(at(TUESDAY, 10), email="not an email", phone="07911 123123")
    data.update(filler(TUESDAY - timedelta(days=40), "cheeks", "lips"))

    response = client.post(details_url(world.treatment), data)

    body = response.content.decode()
    assert response.status_code == 200
    assert not Appointment.objects.exists()
    assert 'value="Dana Client"' in body and 'value="07911 123123"' in body
    assert 'value="not an email"' in body
    assert re.search(r'<input[^>]*name="email"[^>]*aria-invalid="true"', body)
    assert re.search(r'<input[^>]*name="email"[^>]*aria-describedby="[^"]*id_email_error', body)
    assert 'id="id_email_error"' in body
    assert 'href="#id_email"' in body  # the summary at the top links to the field
    assert re.search(r'value="2027-01-21"', body)
    assert re.search(r'value="lips"[^>]*checked', body)


def test_every_form_needs_its_csrf_token(world):
    strict = BrowserClient(enforce_csrf_checks=True)

    response = strict.post(details_url(world.treatment), details(at(TUESDAY, 10)))

    assert response.status_code == 403
    assert not Appointment.objects.exists()


@pytest.mark.parametrize(
    "fields, field_id",
    [
        ({"had_injectable": ""}, "id_had_injectable_0"),
        ({"had_injectable": "yes"}, "id_injectable-0-kind"),
        (filler(TUESDAY), "id_injectable-0-date"),  # in the future for the frozen clock
        ({**filler(date(2027, 2, 1)), "injectable-0-kind": "wax"}, "id_injectable-0-kind"),
        ({**filler(date(2027, 2, 1)), "injectable-0-date": "31/02/2027"}, "id_injectable-0-date"),
        ({**filler(date(2027, 2, 1)), "injectable-0-areas": ["elbow"]}, "id_injectable-0-areas_0"),
        ({"name": "x" * 201}, "id_name"),
        ({"name": "Dana\x1bClient"}, "id_name"),
        ({"name": "Dana\u2028Client"}, "id_name"),
        ({"phone": "07700\x07900123"}, "id_phone"),
        ({**filler(date(2027, 2, 1)), "injectable-TOTAL_FORMS": "x"}, None),
        ({**filler(date(2027, 2, 1)), "injectable-TOTAL_FORMS": "5000"}, None),
    ],
)
def test_wrong_answers_are_errors_on_the_page_never_a_500(world, client, fields, field_id):
    response = client.post(details_url(world.treatment), details(at(TUESDAY, 10), **fields))

    assert response.status_code == 200
    assert "Please check" in text(response)
    if field_id:
        assert f'href="#{field_id}"' in response.content.decode()
    assert not Appointment.objects.exists()


def test_no_means_the_injectable_rows_are_ignored(world, client):
    data = details(at(TUESDAY, 10), **filler(TUESDAY - timedelta(days=3)))
    data["had_injectable"] = "no"

    response = client.post(details_url(world.treatment), data)

    assert response.status_code == 302
    assert not InjectableRecord.objects.exists()


def test_filler_ten_days_before_is_refused_with_the_earliest_date_one_click_away(world, client):
    """What the visitor declared refuses the booking whoever they are: the same answer for
    any address, so it is given in full; the refusal is a redirect (Back is safe)."""
    day = date(2027, 3, 5)
    injected = day - timedelta(days=10)

    response = book_on_pages(
        client, world.treatment.slug, details(at(day, 11), **filler(injected, "cheeks"))
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("online:sorry", args=[world.treatment.slug])
    page = client.get(response["Location"])
    earliest = injected + timedelta(days=14)
    words = text(page)
    assert "This date is too soon after your treatment" in words
    assert "The earliest date you can book is Tuesday 9 March 2027" in words
    assert f'href="{calendar_url(world.treatment, day=earliest)}"' in page.content.decode()
    assert not Appointment.objects.exists() and not Client.objects.exists()
    assert not InjectableRecord.objects.exists()


def refused_for_filler(world, client):
    """Dana, a client signed in, declares filler ten days before 5 March: refused until
    9 March, and offered an email then (only to a signed-in client: the address is proved)."""
    factories.ClientFactory(clinic=world.clinic, name="Dana Client", email="dana@example.com")
    signed_in(client, "dana@example.com")
    injected = date(2027, 2, 23)
    response = book_on_pages(
        client, world.treatment.slug, details(at(date(2027, 3, 5), 11), **filler(injected))
    )
    page = client.get(response["Location"])
    notice = re.search(r'name="notice" value="([^"]+)"', page.content.decode())
    assert notice, "the refusal page offers to email the client"
    return notice.group(1)


def test_a_refused_client_asks_to_be_emailed_when_the_wait_is_over(world, client):
    notice = refused_for_filler(world, client)

    response = client.post(
        reverse("online:notice", args=[world.treatment.slug]), {"notice": notice}
    )

    assert response.status_code == 200
    assert "On the morning of Tuesday 9 March 2027 we’ll send a note to" in text(response)
    message = Message.objects.get(kind=Message.Kind.ELIGIBLE)
    assert message.client.email == "dana@example.com"
    assert message.treatment == world.treatment
    local_due = message.due_at.astimezone(world.clinic.tzinfo)
    assert (local_due.date(), local_due.hour) == (date(2027, 3, 9), 9)
    assert not Appointment.objects.exists()


def test_an_anonymous_refusal_offers_no_email(world, client):
    """Not signed in, nobody has proved the address: no offer to email it (issue 14: a
    signed offer was reused to mail arbitrary addresses)."""
    response = book_on_pages(
        client,
        world.treatment.slug,
        details(at(date(2027, 3, 5), 11), **filler(date(2027, 2, 23))),
    )

    page = client.get(response["Location"])
    assert "too soon after your treatment" in text(page)
    assert 'name="notice"' not in page.content.decode()


def test_asking_twice_plans_one_email(world, client):
    notice = refused_for_filler(world, client)
    url = reverse("online:notice", args=[world.treatment.slug])

    client.post(url, {"notice": notice})
    client.post(url, {"notice": notice})

    assert Message.objects.filter(kind=Message.Kind.ELIGIBLE).count() == 1


@pytest.mark.parametrize("tamper", ["date", "treatment", "garbage"])
def test_a_tampered_offer_plans_nothing(world, client, tamper):
    refused_for_filler(world, client)
    other = factories.TreatmentFactory(clinic=world.clinic, slug="gua-sha")
    genuine = notice_token(world.treatment, date(2027, 3, 2))
    forged = {
        "date": genuine[:-1] + ("B" if genuine[-1] == "A" else "A"),  # signature broken
        "treatment": notice_token(other, date(2027, 3, 9)),
        "garbage": "not-a-token",
    }[tamper]

    response = client.post(
        reverse("online:notice", args=[world.treatment.slug]), {"notice": forged}
    )

    assert response.status_code == 302
    assert not Message.objects.filter(kind=Message.Kind.ELIGIBLE).exists()


def test_without_their_details_nobody_is_emailed(world, client):
    response = client.post(
        reverse("online:notice", args=[world.treatment.slug]),
        {"notice": notice_token(world.treatment, date(2027, 3, 9))},
    )

    assert response.status_code == 302
    assert not Message.objects.exists() and not Client.objects.exists()


def test_the_earliest_date_link_shows_the_times_from_that_date(world, client):
    response = client.get(calendar_url(world.treatment, day=date(2027, 3, 9)))

    assert "Times on Tuesday 9 March" in text(response)


def test_after_a_refusal_the_details_step_remembers_the_answers(world, client):
    injected = date(2027, 2, 23)
    book_on_pages(
        client, world.treatment.slug, details(at(date(2027, 3, 5), 11), **filler(injected))
    )

    later = client.get(
        details_url(world.treatment), {"start": at(date(2027, 3, 11), 9).isoformat()}
    )

    body = later.content.decode()
    assert 'value="Dana Client"' in body and 'value="dana@example.com"' in body
    assert 'value="2027-02-23"' in body
    assert re.search(r'value="yes"[^>]*checked', body)
    assert "Please check" not in text(later)


def test_the_draft_keeps_the_answers_and_nothing_else(world, client):
    data = details(at(date(2027, 3, 5), 11), **filler(date(2027, 2, 23), "lips", "lips"))
    data.update({"junk": "x" * 1000, "injectable-7-kind": "filler", "acknowledge": "on"})

    client.post(details_url(world.treatment), data)

    answers = client.session["booking_draft"]["answers"]
    assert answers["name"] == ["Dana Client"] and answers["injectable-0-areas"] == ["lips", "lips"]
    assert not {"junk", "injectable-7-kind", "acknowledge", "start"} & set(answers)


def test_an_area_given_twice_is_recorded_once(world, client):
    data = details(at(TUESDAY, 10), **filler(date(2027, 1, 1), "lips", "lips", "cheeks"))

    book_on_pages(signed_in(client, "dana@example.com"), world.treatment.slug, data)

    assert InjectableRecord.objects.get().areas == ["lips", "cheeks"]


def test_a_warning_must_be_ticked_before_the_booking_is_confirmed(world, client):
    """Warnings from the visitor's own answers are shown on the review, with a box to
    tick; each try is a redirect back to the review."""
    start = at(TUESDAY, 10)
    data = details(start, **filler(TUESDAY - timedelta(days=20), "lips"))
    signed_in(client, "dana@example.com")

    first = book_on_pages(client, world.treatment.slug, data)
    warned = client.get(first["Location"])
    unticked_post = client.post(
        confirm_url(world.treatment), {"start": data["start"], "step": "warnings"}
    )
    unticked = client.get(unticked_post["Location"])
    ticked = client.post(
        confirm_url(world.treatment),
        {"start": data["start"], "step": "warnings", "acknowledge": "on"},
    )

    assert "Check your booking" in text(warned) and "ideally four" in text(warned)
    assert 'name="acknowledge"' in warned.content.decode()
    assert "Tick the box to confirm you have read this" in text(unticked)
    assert re.search(
        r'<fieldset[^>]*aria-describedby="id_acknowledge_error"|'
        r'<input[^>]*name="acknowledge"[^>]*aria-describedby="id_acknowledge_error"',
        unticked.content.decode(),
    )
    assert ticked.status_code == 302
    appointment = Appointment.objects.get()
    assert appointment.start == start
    assert appointment.changes.get().details["warnings"]  # recorded as acknowledged


def test_a_taken_time_offers_the_nearest_alternatives_and_one_click_books_one(world, client):
    start = at(TUESDAY, 10)
    signed_in(client, "dana@example.com")
    page = client.get(details_url(world.treatment), {"start": start.isoformat()})
    booked(world, start)  # another client is quicker

    response = book_on_pages(client, world.treatment.slug, details(start))

    gone = client.get(response["Location"])
    words = text(gone)
    assert page.status_code == 200 and response.status_code == 302
    assert "That time has just gone" in words
    assert "Book Tue 2 Mar, 11:00" in words and "Book Tue 2 Mar, 09:00" in words
    eleven = re.search(r'href="([^"]*review[^"]*11%3A00[^"]*)"', gone.content.decode())
    assert eleven, "each alternative leads to the review of that time"
    review = client.get(eleven.group(1).replace("&amp;", "&"))
    assert "Tuesday 2 March 2027 at 11:00" in text(review)
    chosen = client.post(confirm_url(world.treatment), {"start": at(TUESDAY, 11).isoformat()})
    assert chosen.status_code == 302
    assert Appointment.objects.get(client__email="dana@example.com").start == at(TUESDAY, 11)


def test_confirming_without_a_draft_goes_back_to_the_details(world, client):
    response = client.post(confirm_url(world.treatment), {"start": at(TUESDAY, 10).isoformat()})

    assert response.status_code == 302
    assert "Your details" in text(client.get(response["Location"]))
    assert not Appointment.objects.exists()


def test_booking_under_a_known_email_shows_nothing_of_that_client(world, client):
    factories.ClientFactory(clinic=world.clinic, name="Olivia Turner", email="olivia@example.com")

    response = book_on_pages(
        client, world.treatment.slug, details(at(TUESDAY, 10), email="olivia@example.com")
    )

    assert response["Location"] == reverse("online:held", args=[world.treatment.slug])
    page = text(client.get(response["Location"]))
    assert "Check your email" in page and "Olivia" not in page
    held = Appointment.objects.get()
    assert held.status == Appointment.Status.HELD and held.client is None


def test_an_anonymous_visitor_never_learns_the_record_on_file(world, client):
    olivia = factories.ClientFactory(clinic=world.clinic, email="olivia@example.com")
    factories.InjectableRecordFactory(client=olivia, date=TUESDAY - timedelta(days=5))

    response = book_on_pages(
        client, world.treatment.slug, details(at(TUESDAY, 10), email="olivia@example.com")
    )

    words = text(client.get(response["Location"]))
    assert "Check your email" in words
    for secret in ("filler", "Filler", "February", "earliest", "too soon", "cheeks"):
        assert secret not in words


def test_microcurrent_asks_about_conditions_and_refuses_a_pacemaker(world, client):
    microcurrent = add_microcurrent(world)

    page = client.get(details_url(microcurrent), {"start": at(TUESDAY, 10).isoformat()})
    unanswered = client.post(details_url(microcurrent), details(at(TUESDAY, 10)))
    refused = book_on_pages(
        client, microcurrent.slug, details(at(TUESDAY, 10), conditions=["pacemaker"])
    )

    assert "I have a pacemaker" in text(page) and "I am pregnant" in text(page)
    assert "Tick the ones that apply" in text(unanswered)
    words = text(client.get(refused["Location"]))
    assert "Microcurrent cannot be used with a pacemaker." in words
    assert "See times from" not in words
    assert not Appointment.objects.exists()


def test_microcurrent_books_when_none_of_the_conditions_apply(world, client):
    microcurrent = add_microcurrent(world)

    response = book_on_pages(
        signed_in(client, "dana@example.com"),
        microcurrent.slug,
        details(at(TUESDAY, 10), no_conditions="on"),
    )

    assert response.status_code == 302
    assert Appointment.objects.get().treatment == microcurrent


def test_a_facial_massage_does_not_ask_about_pacemakers(world, client):
    page = client.get(details_url(world.treatment), {"start": at(TUESDAY, 10).isoformat()})

    assert "pacemaker" not in text(page)
    assert "In the last 8 weeks, have you had dermal filler" in text(page)


# --- The booking's signed link --------------------------------------------------------------


@pytest.fixture
def appointment(world):
    return booked(world, at(date(2027, 3, 4), 10))


def test_the_manage_link_shows_the_booking(world, client, appointment):
    response = client.get(manage_url(appointment))

    words = text(response)
    assert appointment.reference in words
    assert "Thursday 4 March 2027 at 10:00" in words and "Alice Practitioner" in words
    assert '<meta name="robots" content="noindex">' in response.content.decode()


@pytest.mark.parametrize("view", ["manage", "confirmed", "ics", "cancel", "reschedule"])
def test_a_wrong_token_or_reference_is_not_found(world, client, appointment, view):
    good = manage_url(appointment, f"online:{view}")

    wrong = client.get(good.replace(appointment.manage_token, "x" * 27))
    assert wrong.status_code == 404 and "We can’t find this page" in text(wrong)
    assert client.get(good.replace(appointment.reference, "ZZZZ2222")).status_code == 404
    assert client.post(good.replace(appointment.reference, "<b>%00")).status_code in (404, 405)


def test_the_ics_file_holds_the_appointment(world, client, appointment):
    response = client.get(manage_url(appointment, "online:ics"))

    body = response.content.decode()
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert f'filename="lumiere-{appointment.reference}.ics"' in response["Content-Disposition"]
    assert "DTSTART:20270304T100000Z" in body and "DTEND:20270304T110000Z" in body
    assert f"UID:{appointment.reference}@127.0.0.1" in body  # the site's host (SITE_URL)
    assert "SUMMARY:Manual facial massage at Lumière" in body
    assert manage_url(appointment) in body.replace("\r\n ", "")


@pytest.mark.parametrize("bad", ["Ill\x1b", "Ill \u202esick\u202c"])
def test_a_cancellation_reason_keeps_its_lines_but_not_control_characters(
    world, client, appointment, bad
):
    refused = client.post(manage_url(appointment, "online:cancel"), {"reason": bad})
    kept = client.post(manage_url(appointment, "online:cancel"), {"reason": "Ill.\nSorry"})

    assert "Remove the control characters" in text(refused)
    assert kept.status_code == 302
    assert appointment.changes.last().reason == "Ill.\nSorry"


def test_names_in_every_script_are_kept_exactly(world, client):
    name = "Zoë Ó Súilleabháin <b>محمد</b> 李小龍 🌸"

    response = book_on_pages(
        signed_in(client, "dana@example.com"),
        world.treatment.slug,
        details(at(TUESDAY, 10), name=name),
    )

    assert response.status_code == 302
    assert Client.objects.get().name == name


def test_a_client_cancels_through_the_link(world, client, appointment):
    confirm = client.get(manage_url(appointment, "online:cancel"))
    response = client.post(manage_url(appointment, "online:cancel"), {"reason": "Away"})

    appointment.refresh_from_db()
    assert "Cancel your appointment?" in text(confirm)
    assert response.status_code == 302 and response["Location"] == manage_url(appointment)
    assert appointment.status == Appointment.Status.CANCELLED
    page = text(client.get(response["Location"]))
    assert "Your appointment is cancelled. We have emailed you to confirm it." in page
    notice = Message.objects.get(appointment=appointment, kind=Message.Kind.CANCELLATION)
    assert notice.data["by_clinic"] is False


def test_cancelling_inside_the_window_is_refused_with_the_clinics_phone(world, client):
    soon = booked(world, at(date(2027, 3, 1), 14), by=factories.StaffFactory())

    response = client.post(manage_url(soon, "online:cancel"))

    soon.refresh_from_db()
    assert response.status_code == 302  # Back never re-posts
    page = client.get(response["Location"])
    words = text(page)
    assert soon.status == Appointment.Status.CONFIRMED
    assert "It’s too late to change this online" in words
    assert "Call the clinic on 020 7946 0000" in words
    assert 'href="tel:02079460000"' in page.content.decode()


def test_a_client_moves_the_appointment_through_the_link(world, client, appointment):
    """Choose a time, review the move (from, to, with whom, the policy), then move."""
    page = client.get(manage_url(appointment, "online:reschedule"), {"day": "2027-03-05"})
    new_start = at(date(2027, 3, 5), 15).isoformat()
    to_review = client.post(manage_url(appointment, "online:reschedule"), {"start": new_start})
    review = client.get(to_review["Location"])
    appointment.refresh_from_db()
    assert appointment.start == at(date(2027, 3, 4), 10), "nothing moves before the review"
    response = client.post(
        manage_url(appointment, "online:reschedule"), {"start": new_start, "step": "confirm"}
    )

    appointment.refresh_from_db()
    assert "Times on Friday 5 March" in text(page)
    assert "Friday 5 March 2027 at 15:00" in text(review)
    assert "You can move or cancel this appointment online until" in text(review)
    assert response.status_code == 302
    assert appointment.start == at(date(2027, 3, 5), 15)
    assert "moved to Friday 5 March at 15:00" in text(client.get(response["Location"]))


def test_the_reschedule_calendar_leaves_out_the_current_time(world, client, appointment):
    page = client.get(manage_url(appointment, "online:reschedule"), {"day": "2027-03-04"})

    assert "10:00" not in text(page).split("Times on")[1]
    assert "10:15" in text(page)  # overlapping itself is fine: it moves


def test_moving_to_a_taken_time_offers_alternatives(world, client, appointment):
    booked(world, at(date(2027, 3, 5), 15), email="fay@example.com")

    response = client.post(
        manage_url(appointment, "online:reschedule"),
        {"start": at(date(2027, 3, 5), 15).isoformat(), "step": "confirm"},
    )

    words = text(client.get(response["Location"]))
    assert "That time has just gone" in words
    assert "Move to Fri 5 Mar, 16:00" in words


def test_moving_into_a_waiting_period_on_record_is_refused_without_details(
    world, client, appointment
):
    """The manage link is not proof of the address: whoever holds it is not told what the
    record says (a signed-in client is)."""
    factories.InjectableRecordFactory(client=appointment.client, date=date(2027, 2, 25))

    response = client.post(
        manage_url(appointment, "online:reschedule"),
        {"start": at(date(2027, 3, 5), 15).isoformat(), "step": "confirm"},
    )

    words = text(client.get(response["Location"]))
    assert "We can’t book this online" in words
    assert "filler" not in words and "earliest" not in words
    assert "Back to your booking" in words


def test_a_cancelled_booking_can_be_neither_cancelled_nor_moved_again(world, client, appointment):
    services.appointment_cancel(appointment=appointment)

    cancel = client.post(manage_url(appointment, "online:cancel"))
    move = client.get(manage_url(appointment, "online:reschedule"))

    assert "cannot be cancelled" in text(client.get(cancel["Location"]))
    assert "can no longer be moved" in text(move)


# --- Branding -------------------------------------------------------------------------------


def test_the_clinics_name_logo_and_colours_dress_its_pages(world, client):
    world.clinic.logo_url = "https://cdn.example.com/logo.png"
    world.clinic.primary_colour = "#5b2a4e"
    world.clinic.accent_colour = "#f6e7ee"
    world.clinic.save()

    body = client.get(calendar_url(world.treatment)).content.decode()

    assert "--brand: #5b2a4e; --accent: #f6e7ee;" in body
    assert 'src="https://cdn.example.com/logo.png"' in body
    assert '<html lang="en-gb">' in body
    assert '<a class="skip-link" href="#main">' in body


def test_a_colour_written_around_the_validators_falls_back_to_the_default(world, client):
    type(world.clinic).objects.filter(pk=world.clinic.pk).update(
        primary_colour="red;}</", logo_url='"><script>x</script>'
    )

    body = client.get(calendar_url(world.treatment)).content.decode()

    assert f"--brand: {DEFAULT_PRIMARY};" in body
    assert "<script>x" not in body and "red;}" not in body


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("primary_colour", "#f0e0d0", "darker"),
        ("primary_colour", "teal", "six hex digits"),
        ("accent_colour", "#404040", "lighter"),
        ("logo_url", "javascript:alert(1)", "starting with /"),
        ("logo_url", "//evil.example.com/x.png", "starting with /"),
    ],
)
def test_the_admin_refuses_unreadable_colours_and_odd_logo_addresses(world, field, value, message):
    setattr(world.clinic, field, value)

    with pytest.raises(ValidationError) as refused:
        world.clinic.full_clean()

    assert message in str(refused.value.message_dict[field])


def test_readable_colours_and_logo_addresses_are_accepted(world):
    world.clinic.primary_colour = "#1a4d8f"
    world.clinic.accent_colour = "#ffffff"
    world.clinic.logo_url = "/static/bookings/img/lumiere-mark.svg"

    errors = {}
    try:
        world.clinic.full_clean()
    except ValidationError as refusal:
        errors = refusal.message_dict
    assert errors == {}
    assert validate_logo_url("https://clinic.example.com/logo.svg") is None  # no ValidationError


def test_contrast_follows_wcag():
    assert round(contrast("#ffffff", "#000000"), 1) == 21.0
    assert contrast("#777777", "#777777") == 1.0
    assert 4.4 < contrast("#767676", "#ffffff") < 4.6  # the classic AA boundary grey


def test_the_clinic_admin_has_a_branding_section(world, admin_client):
    response = admin_client.get(reverse("admin:clinic_clinic_change", args=[world.clinic.pk]))

    body = response.content.decode()
    assert response.status_code == 200
    assert "Branding" in body
    assert 'type="color" name="primary_colour" value="#3d5a56"' in body
    assert 'type="color" name="accent_colour" value="#efe4d6"' in body
    assert 'name="logo_url"' in body
