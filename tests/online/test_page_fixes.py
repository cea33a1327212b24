"""Where clients stumbled on the booking pages (issue 14): "see times from <earliest date>"
led to a calendar that still offered the days before it, and the treatment list cut the
descriptions short, safety lines and all.

The clock is frozen at Monday 1 March 2027, 08:00 in London (tests/conftest.py).
"""

import re
from datetime import date, timedelta

import pytest
from django.urls import reverse

from bookings.models import Appointment
from clinic.identity import client_login_link
from tests import factories
from tests.online.test_pages import at, calendar_url, details, filler, text

FRIDAY = date(2027, 3, 5)
INJECTED = date(2027, 2, 23)  # filler ten days before Friday
EARLIEST = INJECTED + timedelta(days=14)  # Tuesday 9 March
FILLER = filler(INJECTED, "cheeks")  # as the details form sends it


def linked_days(response) -> list[date]:
    """Every day a link on the page leads to (the days with times, Earlier, Later)."""
    hrefs = re.findall(r'href="([^"]*)"', response.content.decode())
    return [
        date.fromisoformat(day)
        for href in hrefs
        for day in re.findall(r"[?&;]day=(\d{4}-\d{2}-\d{2})", href)
    ]


def offers_nothing_before(response, earliest: date) -> None:
    page = response.content.decode()
    days = linked_days(response)
    assert days, "the calendar links some days"
    assert min(days) >= earliest, [d for d in days if d < earliest]
    assert ">Earlier<" not in page
    assert f"The first day you can book is {earliest:%A} {earliest.day} {earliest:%B %Y}" in (
        text(response)
    )


# -- "see times from <earliest date>" offers no earlier day -----------------------------------


def test_the_refusal_s_link_leads_to_a_calendar_that_starts_on_the_earliest_day(world, client):
    slug = world.treatment.slug
    client.post(reverse("online:details", args=[slug]), details(at(FRIDAY, 11), **FILLER))
    refused = client.post(reverse("online:confirm", args=[slug]), {"start": at(FRIDAY, 11)})
    assert refused.status_code == 302
    sorry = client.get(refused["Location"])

    link = re.search(r'href="([^"]+)">See times from ([^<]+)</a>', sorry.content.decode())
    assert link, text(sorry)
    assert link.group(2) == "Tuesday 9 March"  # the link's words name the earliest day
    calendar = client.get(link.group(1).replace("&amp;", "&"))

    assert "Times on Tuesday 9 March" in text(calendar)
    offers_nothing_before(calendar, EARLIEST)
    assert not Appointment.objects.exists()


@pytest.mark.parametrize("asked", [None, date(2027, 3, 2), date(2027, 3, 8)])
def test_an_earlier_day_in_the_address_still_starts_on_the_earliest_day(world, client, asked):
    client.post(
        reverse("online:details", args=[world.treatment.slug]), details(at(FRIDAY, 11), **FILLER)
    )

    params = {"day": asked} if asked else {}
    calendar = client.get(calendar_url(world.treatment, **params))

    assert "Times on Tuesday 9 March" in text(calendar)
    offers_nothing_before(calendar, EARLIEST)


def test_earlier_from_a_later_fortnight_goes_back_no_further_than_the_earliest_day(world, client):
    client.post(
        reverse("online:details", args=[world.treatment.slug]), details(at(FRIDAY, 11), **FILLER)
    )

    later = client.get(calendar_url(world.treatment, day=date(2027, 3, 22)))

    earlier = re.search(r'href="\?([^"]*)"[^>]*>Earlier<', later.content.decode())
    assert earlier, "a later fortnight links back"
    assert "day=2027-03-09" in earlier.group(1)


@pytest.fixture
def olivia_signed_in(world, client):
    """A client with filler on record ten days before Friday, signed in."""
    olivia = client_login_link(
        factories.ClientFactory(clinic=world.clinic, email="olivia@example.com")
    )
    factories.InjectableRecordFactory(client=olivia, date=INJECTED)
    client.force_login(olivia.user)
    return olivia


def test_a_signed_in_client_s_calendar_starts_after_the_filler_on_their_record(
    world, client, olivia_signed_in
):
    calendar = client.get(calendar_url(world.treatment, day=date(2027, 3, 2)))

    assert "Times on Tuesday 9 March" in text(calendar)
    offers_nothing_before(calendar, EARLIEST)


@pytest.mark.parametrize(
    ("signed_in", "typed"),
    [
        (True, "mum@example.com"),  # Olivia books for someone else: her record is not theirs
        (False, "olivia@example.com"),  # a visitor types Olivia's address: not shown to be hers
    ],
)
def test_the_calendar_uses_no_record_the_visitor_has_not_shown_is_theirs(
    world, client, olivia_signed_in, signed_in, typed
):
    if not signed_in:
        client.logout()
    client.post(
        reverse("online:details", args=[world.treatment.slug]), details(at(FRIDAY, 11), email=typed)
    )

    calendar = client.get(calendar_url(world.treatment, day=date(2027, 3, 2)))

    assert "Times on Tuesday 2 March" in text(calendar)
    assert "The first day you can book" not in text(calendar)


def test_without_a_wait_every_day_from_today_is_offered(world, client):
    calendar = client.get(calendar_url(world.treatment))

    assert "Times on Monday 1 March" in text(calendar)
    assert min(linked_days(calendar)) == date(2027, 3, 1)
    assert "The first day you can book" not in text(calendar)


# -- Full descriptions, safety lines included --------------------------------------------------

SAFETY = "Not suitable in pregnancy or with a pacemaker or other implanted electronic device."


@pytest.fixture
def described(world):
    world.treatment.description = (
        " ".join(f"word{n}" for n in range(80))
        + " and the end of the long paragraph.\n\nWhat to expect:\nNo downtime.\n"
        + SAFETY
    )
    world.treatment.save()
    return world.treatment


@pytest.mark.parametrize("page", ["online:treatments", "online:calendar"])
def test_the_whole_description_is_shown_with_its_lines(client, described, page):
    args = [described.slug] if page == "online:calendar" else []

    body = client.get(reverse(page, args=args)).content.decode()

    assert "word79 and the end of the long paragraph.</p>" in body  # not cut at 34 words
    assert "…" not in body
    assert f"<p>What to expect:<br>No downtime.<br>{SAFETY}</p>" in body


def test_a_description_is_escaped(client, described):
    described.description = "Gentle <script>alert(1)</script>\nSafe & calm"
    described.save()

    body = client.get(reverse("online:treatments")).content.decode()

    assert "<p>Gentle &lt;script&gt;alert(1)&lt;/script&gt;<br>Safe &amp; calm</p>" in body


def test_the_booking_forms_share_one_renderer_and_template_engine():
    """Given a renderer class, Django builds a renderer, and with it a template engine,
    for every form instance: the details form took 17 ms instead of 10."""
    from online.pages.forms import AcknowledgeForm, CancelForm

    first, second = AcknowledgeForm(), CancelForm()
    assert first.renderer is second.renderer
    assert first.renderer.engine is second.renderer.engine
