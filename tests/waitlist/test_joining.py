"""Joining and leaving the waitlist from the client's space, the API and the refusal page;
what freed time plans a round; and what another client, staff or an anonymous caller get."""

from datetime import date, datetime, time, timedelta

from django.test import Client as Browser
from django.urls import reverse
from rest_framework.test import APIClient

from access.roles import FRONT_DESK, MANAGER
from clinic.models import TimeOff, WorkingHours
from diary.services import appointment_cancel, appointment_reschedule
from diary.time_off import hours_added, time_off_removed
from diary.waitlist import round_run
from tests import factories
from tests.online.test_pages import refused_for_filler
from tests.waitlist.conftest import DAY, LONDON, START, make_waiting
from waitlist.models import Entry, FreedTime, Offer


def browser_as(user) -> Browser:
    browser = Browser()
    browser.force_login(user, backend="allauth.account.auth_backends.AuthenticationBackend")
    return browser


def api_as(user) -> APIClient:
    api = APIClient()
    api.force_authenticate(user)
    return api


def test_a_client_joins_from_their_space_and_leaves(world):
    dana = factories.ClientFactory(clinic=world.clinic, name="Dana Client")
    browser = browser_as(dana.user)
    form = browser.get(f"/my/waitlist/?treatment={world.treatment.slug}")
    assert "Join the waitlist" in form.content.decode()

    response = browser.post(
        "/my/waitlist/",
        {
            "treatment": world.treatment.slug,
            "first_day": "2027-03-02",
            "last_day": "2027-03-20",
            "weekdays": ["1", "3"],
            "times_of_day": ["morning"],
        },
    )
    assert response.status_code == 302
    entry = Entry.objects.get(client=dana)
    assert (entry.weekdays, entry.times_of_day) == ([1, 3], ["morning"])
    assert entry.source == Entry.Source.CLIENT and entry.clinic == world.clinic
    assert "Manual facial massage" in browser.get("/my/waitlist/").content.decode()

    browser.post(f"/my/waitlist/{entry.pk}/leave/")
    entry.refresh_from_db()
    assert entry.status == Entry.Status.LEFT


def test_bad_dates_are_a_clear_error_and_nothing_is_written(world):
    dana = factories.ClientFactory(clinic=world.clinic)
    page = browser_as(dana.user).post(
        "/my/waitlist/",
        {"treatment": world.treatment.slug, "first_day": "2027-03-20", "last_day": "2027-03-02"},
    )
    assert page.status_code == 400
    assert "The last day must not be before the first." in page.content.decode()
    answer = api_as(dana.user).post(
        "/api/v1/me/waitlist/",
        {"treatment": world.treatment.slug, "first_day": "2026-01-01", "last_day": "2026-01-02"},
        format="json",
    )
    assert answer.status_code == 400
    assert answer.json() == {
        "code": "invalid_waitlist_entry",
        "detail": "The dates are in the past.",
    }
    bad = api_as(dana.user).post(
        "/api/v1/me/waitlist/", {"treatment": "x", "first_day": "soon"}, format="json"
    )
    assert bad.status_code == 400 and bad.json()["code"] == "invalid_input"
    assert not Entry.objects.exists()


def test_the_api_joins_lists_accepts_and_leaves(world, waiting):
    ann = waiting.clients[0]
    api = api_as(ann.user)
    listed = api.get("/api/v1/me/waitlist/").json()["entries"]
    assert [e["treatment"] for e in listed] == [world.treatment.slug]

    appointment_cancel(appointment=waiting.booked, by=factories.StaffFactory(roles=[MANAGER]))
    round_run(FreedTime.objects.get().pk)
    [offer] = api.get("/api/v1/me/waitlist/").json()["entries"][0]["offers"]
    assert offer["start"] == "2027-03-02T10:00:00+00:00"

    other = api_as(waiting.clients[1].user)
    assert other.post(f"/api/v1/me/waitlist/offers/{offer['id']}/accept/").status_code == 404
    accepted = api.post(f"/api/v1/me/waitlist/offers/{offer['id']}/accept/", {}, format="json")
    assert accepted.status_code == 201
    assert accepted.json()["start"] == "2027-03-02T10:00:00+00:00"
    again = api.post(f"/api/v1/me/waitlist/offers/{offer['id']}/accept/", {}, format="json")
    assert again.status_code == 409 and again.json()["code"] == "offer_gone"

    ben_entry = waiting.entries[1]
    assert api.delete(f"/api/v1/me/waitlist/{ben_entry.pk}/").status_code == 404  # not hers
    assert other.delete(f"/api/v1/me/waitlist/{ben_entry.pk}/").status_code == 204
    ben_entry.refresh_from_db()
    assert ben_entry.status == Entry.Status.LEFT


def test_another_client_staff_and_anonymous_reach_nothing(world, waiting):
    appointment_cancel(appointment=waiting.booked, by=factories.StaffFactory(roles=[MANAGER]))
    [offer, *_] = round_run(FreedTime.objects.get().pk)
    link = reverse("online:offer", args=[offer.pk, offer.link_token()])
    ann_entry = waiting.entries[0]

    ben = browser_as(waiting.clients[1].user)
    assert ben.get(link).status_code == 404
    assert ben.post(f"/my/waitlist/{ann_entry.pk}/leave/").status_code == 404
    staff = Browser()
    staff.force_login(factories.StaffFactory(roles=[FRONT_DESK]))
    assert staff.get(link).status_code == 404
    assert staff.get("/my/waitlist/").status_code == 404
    assert api_as(factories.StaffFactory()).get("/api/v1/me/waitlist/").status_code == 404
    anonymous = Browser()
    assert anonymous.get(link)["Location"].startswith(reverse("account_login"))
    assert APIClient().get("/api/v1/me/waitlist/").status_code in (401, 403)
    ann = browser_as(waiting.clients[0].user)
    assert ann.get(link.replace(offer.link_token(), "forged")).status_code == 404
    assert ann.get(link).status_code == 200
    ann_entry.refresh_from_db()
    assert ann_entry.status == Entry.Status.WAITING
    assert Offer.objects.get(pk=offer.pk).status == Offer.Status.OFFERED


def test_staff_add_and_remove_a_client(world):
    dana = factories.ClientFactory(clinic=world.clinic, name="Dana Client")
    desk = Browser()
    desk.force_login(factories.StaffFactory(roles=[FRONT_DESK]))
    response = desk.post(
        "/staff/waitlist/",
        {
            "client": dana.pk,
            "treatment": world.treatment.pk,
            "first_day": "2027-03-02",
            "last_day": "2027-03-09",
        },
    )
    assert response.status_code == 302
    entry = Entry.objects.get(client=dana)
    assert entry.source == Entry.Source.STAFF
    stranger = factories.ClientFactory()  # another organisation's
    refused = desk.post(
        "/staff/waitlist/",
        {
            "client": stranger.pk,
            "treatment": world.treatment.pk,
            "first_day": "2027-03-02",
            "last_day": "2027-03-09",
        },
    )
    assert refused.status_code == 400 and not Entry.objects.filter(client=stranger).exists()
    desk.post(f"/staff/waitlist/{entry.pk}/remove/")
    entry.refresh_from_db()
    assert entry.status == Entry.Status.REMOVED


def test_the_refusal_page_offers_the_first_time_after_the_wait(world, client):
    notice = refused_for_filler(world, client)
    response = client.post(
        reverse("online:notice", args=[world.treatment.slug]), {"notice": notice}
    )

    assert response.status_code == 200
    entry = Entry.objects.get(client__email="dana@example.com")
    assert entry.source == Entry.Source.NOTICE
    assert entry.first_day == date(2027, 3, 9)  # the day the wait allows
    assert "You are also on the waitlist from that day" in response.content.decode()


def test_a_move_plans_a_round_for_the_old_time(world, waiting):
    appointment_reschedule(
        appointment=waiting.booked,
        start=START + timedelta(hours=3),
        by=factories.StaffFactory(roles=[MANAGER]),
    )
    freed = FreedTime.objects.get()
    assert (freed.start, freed.cause) == (START, FreedTime.Cause.MOVED)


def test_time_off_removed_and_hours_added_plan_rounds(world, waiting):
    off = TimeOff.objects.create(
        practitioner=world.practitioner,
        start=datetime.combine(DAY, time(14), tzinfo=LONDON),
        end=datetime.combine(DAY, time(16), tzinfo=LONDON),
    )
    time_off_removed(practitioner=world.practitioner, start=off.start, end=off.end)
    hours = WorkingHours.objects.create(
        practitioner=world.practitioner, weekday=DAY.weekday(), starts=time(18), ends=time(20)
    )
    hours_added(hours=hours)
    causes = list(FreedTime.objects.order_by("pk").values_list("cause", "start"))
    assert causes[0] == (FreedTime.Cause.TIME_OFF_REMOVED, off.start)
    assert causes[1] == (
        FreedTime.Cause.HOURS_ADDED,
        datetime.combine(DAY, time(18), tzinfo=LONDON),
    )
    assert len(causes) == 1 + 4  # the next four weeks of the new hours


def test_nothing_is_planned_when_nobody_waits(world):
    waiting = make_waiting(world, names=())
    appointment_cancel(appointment=waiting.booked, by=factories.StaffFactory(roles=[MANAGER]))
    assert not FreedTime.objects.exists()


def test_the_booking_calendar_offers_the_waitlist(world):
    page = Browser().get(f"/book/{world.treatment.slug}/")
    assert f'href="/my/waitlist/?treatment={world.treatment.slug}"' in page.content.decode()


def test_an_offer_inside_the_warning_days_is_accepted_once_the_warning_is_read(world, waiting):
    ann = waiting.clients[0]
    factories.InjectableRecordFactory(client=ann, date=DAY - timedelta(days=20))  # day 14-27
    appointment_cancel(appointment=waiting.booked, by=factories.StaffFactory(roles=[MANAGER]))
    offer = next(o for o in round_run(FreedTime.objects.get().pk) if o.entry.client == ann)
    link = reverse("online:offer", args=[offer.pk, offer.link_token()])
    browser = browser_as(ann.user)

    unread = browser.post(link)
    assert unread.status_code == 422
    assert "Please read before you accept" in unread.content.decode()
    assert Offer.objects.get(pk=offer.pk).status == Offer.Status.OFFERED

    read = browser.post(link, {"acknowledge": "yes"})
    assert read.status_code == 302 and read["Location"] == reverse("online:my")
    assert Offer.objects.get(pk=offer.pk).status == Offer.Status.ACCEPTED
    gone = browser_as(waiting.clients[1].user).post(
        reverse(
            "online:offer",
            args=[
                (o := Offer.objects.get(entry=waiting.entries[1])).pk,
                o.link_token(),
            ],
        )
    )
    assert gone.status_code == 409
    assert "this time has gone" in gone.content.decode()
