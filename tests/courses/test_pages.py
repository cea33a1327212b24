"""Courses on the pages: a signed-in client buys one in their space and books a session of
it on the booking pages (the visit shown as covered); the desk sells one on the client's
page, records its payment and books with a session or a discount; balances and history on
both sides, the staff view audited; what is not theirs a 404; and the API's booking with a
course or a discount."""

from datetime import UTC, datetime
from decimal import Decimal as D

from django.test import Client as Browser
from django.utils.html import strip_tags

from access.roles import PRACTITIONER
from bookings.models import Appointment
from clinic.models import AuditEntry
from courses.models import ClientCourse, CourseOffer, Redemption
from courses.services import course_buy
from tests import factories
from tests.helpers import booking_form, logged_in, signed_in

TUESDAY_10 = datetime(2027, 3, 2, 10, 0, tzinfo=UTC)


def text(response) -> str:
    return " ".join(strip_tags(response.content.decode()).split())


def desk_browser(user) -> Browser:
    browser = Browser()
    browser.force_login(user)
    return browser


def test_a_signed_in_client_buys_a_course_and_books_session_one_with_it(world, offer, olivia):
    browser = signed_in(Browser(), olivia.email)
    space = browser.get("/my/")
    assert "Ten facial massages" in text(space) and "You have no courses." in text(space)

    bought = browser.post(f"/my/courses/{offer.pk}/buy/")
    assert bought.status_code == 302
    course = ClientCourse.objects.get(client=olivia)
    assert course.channel == "online" and not course.is_paid
    space = text(browser.get("/my/"))
    assert "0 of 10 used, 0 booked, 10 left to book" in space
    assert "not paid yet: pay at the clinic on your first visit" in space

    form = booking_form(TUESDAY_10, name=olivia.name, email=olivia.email)
    to_review = browser.post(f"/book/{world.treatment.slug}/details/", form)
    review = text(browser.get(to_review["Location"]))
    assert "Use a session of Ten facial massages" in review
    confirmed = browser.post(
        f"/book/{world.treatment.slug}/confirm/",
        {"start": TUESDAY_10.isoformat(), "course": str(course.pk)},
    )

    visit = Appointment.objects.get(client=olivia)
    assert confirmed.status_code == 302
    assert Redemption.objects.get(appointment=visit).client_course == course
    assert visit.net_price == D("0.00")
    assert "Covered by your course: Ten facial massages" in text(browser.get(confirmed["Location"]))
    assert "0 of 10 used, 1 booked, 9 left to book" in text(browser.get("/my/"))


def test_a_client_cannot_use_another_clients_course_on_the_pages(world, offer, olivia):
    course = course_buy(client=olivia, offer=offer, by=olivia.user)
    browser = signed_in(Browser(), "dana@example.com")
    form = booking_form(TUESDAY_10)
    browser.post(f"/book/{world.treatment.slug}/details/", form)
    browser.post(
        f"/book/{world.treatment.slug}/confirm/",
        {"start": TUESDAY_10.isoformat(), "course": str(course.pk)},
    )
    visit = Appointment.objects.get()
    assert visit.client.email == "dana@example.com" and visit.net_price == D("95.00")
    assert not Redemption.objects.exists()


def test_an_offer_of_another_business_is_a_404_and_staff_have_no_client_space(
    world, offer, olivia, desk
):
    other = CourseOffer.objects.create(
        clinic=factories.ClinicFactory(),
        name="Elsewhere",
        category="facial_massage",
        sessions=3,
        price=100,
        currency="GBP",
        validity=30,
        validity_unit="days",
    )
    browser = signed_in(Browser(), olivia.email)
    assert browser.post(f"/my/courses/{other.pk}/buy/").status_code == 404
    assert desk_browser(desk).post(f"/my/courses/{offer.pk}/buy/").status_code == 404
    assert Browser().post(f"/my/courses/{offer.pk}/buy/").status_code == 302  # to sign in
    assert not ClientCourse.objects.exists()


def test_the_desk_sells_a_course_records_its_payment_and_sees_the_balance_audited(
    world, offer, olivia, desk
):
    browser = desk_browser(desk)
    page = f"/staff/clients/{olivia.pk}/"
    assert "No courses bought here." in text(browser.get(page))

    browser.post(f"/staff/clients/{olivia.pk}/courses/sell/", {"offer": offer.pk})
    course = ClientCourse.objects.get(client=olivia)
    assert course.channel == "staff" and course.bought_by == desk
    browser.post(f"/staff/clients/{olivia.pk}/courses/{course.pk}/paid/", {"method": "cash"})
    course.refresh_from_db()
    assert course.is_paid and course.paid_method == "cash"

    AuditEntry.objects.all().delete()
    shown = text(browser.get(page))
    assert "0 of 10 used, 0 booked, 10 left to book" in shown
    assert "paid 1 Mar 2027 (cash)" in shown
    assert AuditEntry.objects.filter(what="client page", username="desk").count() == 1


def test_a_practitioner_neither_sells_nor_records_a_courses_payment(world, offer, olivia):
    practitioner = factories.StaffFactory(username="pat", roles=[PRACTITIONER])
    course = course_buy(client=olivia, offer=offer, by=olivia.user)
    browser = desk_browser(practitioner)
    sold = browser.post(f"/staff/clients/{olivia.pk}/courses/sell/", {"offer": offer.pk})
    paid = browser.post(f"/staff/clients/{olivia.pk}/courses/{course.pk}/paid/", {"method": "cash"})
    assert (sold.status_code, paid.status_code) == (403, 403)
    assert ClientCourse.objects.get().paid_at is None and ClientCourse.objects.count() == 1


def test_a_sister_clinics_desk_sees_the_client_but_not_the_course_bought_elsewhere(
    world, offer, olivia
):
    sister = factories.ClinicFactory(organisation=world.clinic.organisation, slug="sister")
    sister_desk = factories.StaffFactory(username="sis", clinics=[sister])
    course = course_buy(client=olivia, offer=offer, by=olivia.user)
    browser = desk_browser(sister_desk)

    page = browser.get(f"/staff/clients/{olivia.pk}/?clinic=sister")
    paid = browser.post(
        f"/staff/clients/{olivia.pk}/courses/{course.pk}/paid/?clinic=sister", {"method": "cash"}
    )
    assert page.status_code == 200 and "Ten facial massages" not in text(page)
    assert paid.status_code == 404 and not ClientCourse.objects.get().is_paid


def test_the_desk_books_with_a_course_session_or_a_discount_on_the_book_page(
    world, offer, olivia, desk
):
    course = course_buy(client=olivia, offer=offer, by=desk)
    browser = desk_browser(desk)
    url = f"/staff/clients/{olivia.pk}/book/"
    page = text(browser.get(url, {"treatment": world.treatment.slug, "date": "2027-03-02"}))
    assert "Use a course session" in page and "Ten facial massages" in page

    browser.post(
        url,
        {
            "treatment": world.treatment.slug,
            "date": "2027-03-02",
            "start": TUESDAY_10.isoformat(),
            "course": course.pk,
        },
    )
    covered = Appointment.objects.get()
    assert covered.course_session.client_course == course

    refused = browser.post(
        url,
        {
            "treatment": world.treatment.slug,
            "date": "2027-03-03",
            "start": "2027-03-03T10:00:00+00:00",
            "discount_percent": "20",
        },
    )
    assert "Say why the discount is given." in text(refused)
    browser.post(
        url,
        {
            "treatment": world.treatment.slug,
            "date": "2027-03-03",
            "start": "2027-03-03T10:00:00+00:00",
            "discount_percent": "20",
            "discount_reason": "Birthday",
        },
    )
    discounted = Appointment.objects.exclude(pk=covered.pk).get()
    assert (discounted.discount, discounted.discount_reason) == (D("19.00"), "Birthday")


def test_the_api_books_with_a_course_or_a_staff_discount_and_refuses_a_client_discount(
    world, offer, olivia, desk
):
    course = course_buy(client=olivia, offer=offer, by=olivia.user)
    body = {"treatment": world.treatment.slug, "start": TUESDAY_10.isoformat()}

    as_client = logged_in(olivia.user)
    refused = as_client.post(
        "/api/v1/appointments/",
        {**body, "discount": {"percent": "50", "reason": "Please"}},
        format="json",
    )
    assert refused.status_code == 403 and refused.json()["code"] == "permission_denied"
    other = factories.ClientFactory(clinic=world.clinic)
    foreign = logged_in(other.user).post(
        "/api/v1/appointments/", {**body, "course": course.pk}, format="json"
    )
    assert foreign.status_code == 400 and "course" in str(foreign.json())
    booked = as_client.post("/api/v1/appointments/", {**body, "course": course.pk}, format="json")
    assert booked.status_code == 201, booked.json()
    assert booked.json()["price"] == {"amount": "95.00", "discount": "95.00", "currency": "GBP"}

    staff = logged_in(desk).post(
        "/api/v1/appointments/",
        {
            "treatment": world.treatment.slug,
            "start": "2027-03-03T10:00:00+00:00",
            "client_id": olivia.pk,
            "discount": {"amount": "15.00", "reason": "Regular"},
        },
        format="json",
    )
    assert staff.status_code == 201, staff.json()
    assert staff.json()["price"]["discount"] == "15.00"
    assert Appointment.objects.get(reference=staff.json()["reference"]).discount_reason == "Regular"
    bad = logged_in(desk).post(
        "/api/v1/appointments/",
        {
            "treatment": world.treatment.slug,
            "start": "2027-03-04T10:00:00+00:00",
            "client_id": olivia.pk,
            "discount": {"amount": "500.00", "reason": "Too much"},
        },
        format="json",
    )
    assert bad.status_code == 400 and bad.json()["code"] == "discount_refused"
    assert Appointment.objects.count() == 2


def test_a_client_reads_their_courses_and_balances_through_the_api(world, offer, olivia, desk):
    course = course_buy(client=olivia, offer=offer, by=olivia.user)
    other = factories.ClientFactory(clinic=world.clinic)
    course_buy(client=other, offer=offer, by=other.user)  # not hers: never in her answer

    answer = logged_in(olivia.user).get("/api/v1/me/courses/")

    assert answer.status_code == 200
    assert answer.json() == [
        {
            "id": course.pk,
            "name": "Ten facial massages",
            "clinic": world.clinic.slug,
            "treatment": world.treatment.slug,
            "category": "",
            "sessions": 10,
            "used": 0,
            "booked": 0,
            "remaining": 10,
            "last_day": "2027-09-01",
            "expired": False,
            "paid": False,
            "price": "850.00",
            "currency": "GBP",
        }
    ]
    assert logged_in(desk).get("/api/v1/me/courses/").status_code == 404
