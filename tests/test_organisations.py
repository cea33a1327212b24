"""Organisations, clinics and staff who see only their own (issue 13): the attacks a
pentester made on an install with a second business, each refused; and the one health record
a client has across the clinics of their organisation.

Zeta Studio's staff try their hands on Alpha Group's clinics (tests/organisations.py); within
Alpha Group, Alpha's staff try Beta's diary.
"""

from datetime import datetime, time, timedelta

import pytest
from django.test import Client as Browser

from access.roles import FRONT_DESK, MANAGER
from bookings.models import Appointment
from clinic.models import AuditEntry, Client
from clinical.models import InjectableRecord, WaitingRule
from tests import factories
from tests.conftest import default_rules
from tests.helpers import as_owner, book_on_pages, logged_in, signed_in
from tests.organisations import VISIT_DAY, make_group

CLIENTS = "/api/v1/clients/"
APPOINTMENTS = "/api/v1/appointments/"


@pytest.fixture
def group(db, frozen_now):
    default_rules()
    return make_group()


def browser(user) -> Browser:
    b = Browser()
    b.force_login(user)
    return b


def text(response) -> str:
    return response.content.decode()


# -- Zeta's front desk against Alpha Group ------------------------------------------------------


def test_another_organisations_desk_finds_none_of_its_clients(group):
    zeta_desk = logged_in(group.zeta.staff[FRONT_DESK])

    found = zeta_desk.get(CLIENTS, {"q": ""}).json()

    assert [c["name"] for c in found] == ["Zed Zimmer"]
    assert zeta_desk.get(CLIENTS, {"q": "Avery"}).json() == []
    assert zeta_desk.get(CLIENTS, {"q": "alpha.example.com"}).json() == []


def test_another_organisations_desk_cannot_read_a_clients_health_record(group):
    zeta_desk = logged_in(group.zeta.staff[FRONT_DESK])
    avery = group.alpha.client

    for what in ("injectables", "declarations"):
        response = zeta_desk.get(f"{CLIENTS}{avery.pk}/{what}/")
        assert response.status_code == 404
        assert "AlphaFill" not in text(response)
    eligibility = zeta_desk.get(f"{CLIENTS}{avery.pk}/eligibility/", {"treatment": "alpha-massage"})
    assert eligibility.status_code == 404
    assert not AuditEntry.objects.filter(client=avery).exists()


def test_another_organisations_day_list_holds_nothing_of_it(group):
    zeta_desk = logged_in(group.zeta.staff[FRONT_DESK])

    listed = zeta_desk.get(APPOINTMENTS, {"date": VISIT_DAY}).json()

    assert [a["reference"] for a in listed] == [group.zeta.visit.reference]
    assert group.alpha.visit.manage_token not in str(listed)
    named = zeta_desk.get(APPOINTMENTS, {"date": VISIT_DAY, "clinic": "alpha"})
    assert named.status_code == 400  # not one of theirs: "no clinic is called alpha"
    someone_else = zeta_desk.get(
        APPOINTMENTS, {"date": VISIT_DAY, "practitioner": group.alpha.practitioner.pk}
    )
    assert someone_else.status_code == 403


def test_another_organisations_desk_cannot_record_a_filler_on_its_client(group):
    zeta_desk = logged_in(group.zeta.staff[FRONT_DESK])
    avery = group.alpha.client

    response = zeta_desk.post(
        f"{CLIENTS}{avery.pk}/injectables/",
        {"kind": "filler", "date": "2027-02-28", "areas": ["cheeks"]},
        format="json",
    )

    assert response.status_code == 404
    assert avery.injectables.count() == 1
    group.alpha.visit.refresh_from_db()
    assert group.alpha.visit.eligibility_flag == ""  # nothing flagged it


def test_another_organisations_desk_cannot_touch_its_appointments(group):
    zeta_desk = logged_in(group.zeta.staff[FRONT_DESK])
    visit = group.alpha.visit

    assert zeta_desk.get(f"{APPOINTMENTS}{visit.reference}/").status_code == 404
    cancel = zeta_desk.post(f"{APPOINTMENTS}{visit.reference}/cancel/", {}, format="json")
    assert cancel.status_code == 404
    visit.refresh_from_db()
    assert visit.status == Appointment.Status.CONFIRMED


# -- Zeta's manager against Alpha Group ---------------------------------------------------------


def test_another_organisations_manager_sees_none_of_its_pages(group):
    zeta = browser(group.zeta.staff[MANAGER])
    avery = group.alpha.client

    for url in (
        f"/staff/clients/{avery.pk}/",
        f"/staff/clients/{avery.pk}/export.json",
        f"/staff/clients/{avery.pk}/anonymise/",
        f"/staff/clients/{avery.pk}/book/",
        f"/staff/appointments/{group.alpha.visit.reference}/reschedule/",
    ):
        response = zeta.get(url)
        assert response.status_code == 404, url
        assert "Avery" not in text(response), url
    sheet = zeta.get("/staff/sheet/", {"date": VISIT_DAY, "clinic": "alpha"})
    assert "Avery" not in text(sheet) and group.alpha.visit.reference not in text(sheet)
    trail = zeta.get("/staff/audit/", {"clinic": "alpha"})
    assert "Avery" not in text(trail)


def test_another_organisations_manager_cannot_anonymise_its_client(group):
    avery = group.alpha.client

    response = browser(group.zeta.staff[MANAGER]).post(f"/staff/clients/{avery.pk}/anonymise/")

    assert response.status_code == 404
    avery.refresh_from_db()
    assert avery.name == "Avery Ashdown"


def test_another_organisations_manager_cannot_change_its_clinic_in_the_admin(group):
    zeta = browser(group.zeta.staff[MANAGER])
    alpha = group.alpha.clinic
    url = f"/admin/clinic/clinic/{alpha.pk}/change/"

    assert zeta.get(url).status_code == 404
    response = zeta.post(url, {"name": alpha.name, "email": "zeta-manager@zeta.example.com"})

    assert response.status_code == 404
    alpha.refresh_from_db()
    assert alpha.email != "zeta-manager@zeta.example.com"
    assert "Alpha Clinic" not in text(zeta.get("/admin/clinic/clinic/"))


def test_another_organisations_manager_cannot_change_its_prices(group):
    zeta = browser(group.zeta.staff[MANAGER])
    treatment = group.alpha.treatment

    response = zeta.post(f"/admin/clinic/treatment/{treatment.pk}/change/", {"price": "1.00"})

    assert response.status_code == 404
    treatment.refresh_from_db()
    assert treatment.price != 1
    assert "Alpha massage" not in text(zeta.get("/admin/clinic/treatment/"))


def test_a_manager_cannot_change_the_default_rules(group):
    """The installation's defaults are every clinic's: its superuser's alone. A manager reads
    them, and changes their own clinic's rules."""
    zeta = browser(group.zeta.staff[MANAGER])
    default = WaitingRule.objects.get(
        clinic=None, injectable_kind="filler", treatment_category="facial_massage"
    )
    url = f"/admin/clinical/waitingrule/{default.pk}/change/"

    page = zeta.get(url)
    assert page.status_code == 200 and 'name="min_days"' not in text(page)  # read-only
    zeta.post(url, {"min_days": 0, "recommended_days": 0, "message": "Any time."})
    default.refresh_from_db()
    assert (default.min_days, default.recommended_days) == (14, 28)

    own = group.zeta.rule
    response = zeta.post(
        f"/admin/clinical/waitingrule/{own.pk}/change/",
        {
            "clinic": group.zeta.clinic.pk,
            "injectable_kind": "filler",
            "treatment_category": "facial_massage",
            "min_days": 28,
            "recommended_days": 42,
            "message": own.message,
        },
    )
    assert response.status_code == 302
    own.refresh_from_db()
    assert own.min_days == 28
    assert (
        browser(group.zeta.staff[MANAGER])
        .get(f"/admin/clinical/waitingrule/{group.alpha.rule.pk}/change/")
        .status_code
        == 404
    )


def test_a_manager_cannot_write_a_default_rule(group):
    zeta = browser(group.zeta.staff[MANAGER])

    zeta.post(
        "/admin/clinical/waitingrule/add/",
        {
            "clinic": "",
            "injectable_kind": "skin_booster",
            "treatment_category": "microcurrent",
            "min_days": 0,
            "recommended_days": 0,
            "message": "No wait.",
        },
    )

    assert not WaitingRule.objects.filter(treatment_category="microcurrent", min_days=0).exists()


def test_a_change_of_the_clinics_email_is_audited(group):
    zeta = group.zeta.clinic
    manager = browser(group.zeta.staff[MANAGER])
    page = manager.get(f"/admin/clinic/clinic/{zeta.pk}/change/")
    form = page.context["adminform"].form
    data = {
        name: (value.pk if hasattr(value, "pk") else value)
        for name, value in form.initial.items()
        if value is not None and name in form.fields
    }
    data.update(
        {
            "email": "frontdesk@zeta.example.com",
            "opening_hours-TOTAL_FORMS": 0,
            "opening_hours-INITIAL_FORMS": 0,
            "closures-TOTAL_FORMS": 0,
            "closures-INITIAL_FORMS": 0,
        }
    )

    response = manager.post(f"/admin/clinic/clinic/{zeta.pk}/change/", data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    zeta.refresh_from_db()
    assert zeta.email == "frontdesk@zeta.example.com"
    entry = AuditEntry.objects.get(action=AuditEntry.Action.SETTING)
    assert (entry.username, entry.clinic, entry.what) == ("zeta-manager", zeta, "clinic email")
    assert entry.details["to"] == "frontdesk@zeta.example.com"


def test_the_front_desk_cannot_change_where_the_clinics_mail_goes(group):
    zeta = group.zeta.clinic
    desk = browser(group.zeta.staff[FRONT_DESK])

    response = desk.post(f"/admin/clinic/clinic/{zeta.pk}/change/", {"email": "desk@evil.test"})

    assert response.status_code in (403, 404)
    zeta.refresh_from_db()
    assert zeta.email != "desk@evil.test"


# -- within Alpha Group: Alpha's staff and Beta's diary -------------------------------------------


def test_a_role_at_one_clinic_gives_nothing_at_the_other(group):
    alpha_desk = group.alpha.staff[FRONT_DESK]
    beta_visit = group.beta.visit

    api = logged_in(alpha_desk)
    assert api.get(f"{APPOINTMENTS}{beta_visit.reference}/").status_code == 404
    assert api.post(
        f"{APPOINTMENTS}{beta_visit.reference}/cancel/", {}, format="json"
    ).status_code in (
        403,
        404,
    )
    listed = api.get(APPOINTMENTS, {"date": VISIT_DAY}).json()
    assert [a["reference"] for a in listed] == [group.alpha.visit.reference]
    sheet = text(browser(alpha_desk).get("/staff/sheet/", {"date": VISIT_DAY, "clinic": "beta"}))
    assert beta_visit.reference not in sheet  # the switcher offers only their clinics
    beta_visit.refresh_from_db()
    assert beta_visit.status == Appointment.Status.CONFIRMED


def test_the_organisations_clients_are_one_record_for_its_clinics(group):
    """Alpha's desk looks up Beta's client: the record is the organisation's."""
    alpha_desk = logged_in(group.alpha.staff[FRONT_DESK])

    found = alpha_desk.get(CLIENTS, {"q": "Blake"}).json()

    assert [c["name"] for c in found] == ["Blake Bramley"]
    assert alpha_desk.get(f"{CLIENTS}{group.beta.client.pk}/injectables/").status_code == 200


def test_a_client_is_one_person_per_organisation(group):
    """The same email at a clinic of another organisation is another client."""
    factories.ClientFactory(clinic=group.zeta.clinic, email=group.alpha.client.email)

    assert Client.objects.filter(email=group.alpha.client.email).count() == 2
    with pytest.raises(Exception):  # noqa: B017 the organisation's unique constraint
        factories.ClientFactory(clinic=group.beta.clinic, email=group.alpha.client.email.upper())


# -- one health record across branches ----------------------------------------------------------


def test_a_filler_recorded_at_one_branch_refuses_a_massage_at_the_other(group, api):
    """Avery has filler recorded at Alpha; a facial massage at Beta within 14 days is refused,
    whether staff at Beta book it or Avery books it online."""
    avery = group.alpha.client
    InjectableRecord.objects.all().delete()
    factories.InjectableRecordFactory(client=avery, date=VISIT_DAY - timedelta(days=5))
    beta_desk = logged_in(group.beta.staff[FRONT_DESK])
    start = datetime.combine(VISIT_DAY, time(14), tzinfo=group.beta.clinic.tzinfo).isoformat()
    body = {"treatment": "beta-massage", "start": start, "client_id": avery.pk}

    by_staff = beta_desk.post(APPOINTMENTS, body, format="json")

    assert by_staff.status_code == 422, by_staff.content
    assert by_staff.json()["code"] == "waiting_period"
    online = {
        "treatment": "beta-massage",
        "start": start,
        "client": {"name": avery.name, "email": avery.email},
    }
    by_client = as_owner(api, online).post(APPOINTMENTS, online, format="json")
    assert by_client.status_code == 422
    assert by_client.json()["code"] == "waiting_period"
    assert not Appointment.objects.filter(clinic=group.beta.clinic, client=avery).exists()


def test_a_filler_recorded_at_one_branch_refuses_the_booking_page_at_the_other(group, client):
    avery = group.alpha.client
    InjectableRecord.objects.all().delete()
    factories.InjectableRecordFactory(client=avery, date=VISIT_DAY - timedelta(days=5))
    start = datetime.combine(VISIT_DAY, time(14), tzinfo=group.beta.clinic.tzinfo)

    form = {"start": start.isoformat(), "name": avery.name, "email": avery.email}
    response = book_on_pages(
        signed_in(client, avery.email), "beta-massage", form | {"had_injectable": "no"}
    )

    assert response.status_code == 302
    # Signed in, Avery sees Beta judge her on Alpha's record, reasons and date included.
    words = text(client.get(response["Location"]))
    assert "too soon after your treatment" in words and "three weeks after filler" in words
    assert not Appointment.objects.filter(clinic=group.beta.clinic, client=avery).exists()


def test_staff_pages_read_in_the_zone_of_the_clinic_looked_at(group):
    """A member of two clinics in two zones switches between them; each page is in the
    clinic's own wall time. Beta moves to New York after its 10:00 London visit was booked:
    that instant is 05:00 there."""
    group.beta.clinic.timezone = "America/New_York"
    group.beta.clinic.save(update_fields=["timezone"])
    both = factories.StaffFactory(
        username="both", roles=[FRONT_DESK], clinics=[group.alpha.clinic, group.beta.clinic]
    )
    staff = browser(both)

    alpha_sheet = text(staff.get("/staff/sheet/", {"date": VISIT_DAY, "clinic": "alpha"}))
    beta_sheet = text(staff.get("/staff/sheet/", {"date": VISIT_DAY, "clinic": "beta"}))

    assert "10:00–11:00" in alpha_sheet and group.alpha.visit.reference in alpha_sheet
    assert "05:00–06:00" in beta_sheet and group.beta.visit.reference in beta_sheet
    assert group.beta.visit.reference not in alpha_sheet
    assert 'name="clinic"' in beta_sheet and "Beta Clinic" in beta_sheet  # the switcher
    # The choice is kept: the next page is Beta's too.
    assert group.beta.visit.reference in text(staff.get("/staff/sheet/", {"date": VISIT_DAY}))
