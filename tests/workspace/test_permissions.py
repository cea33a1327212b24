"""Who may open each staff page and call each staff endpoint: every row below, for each of
anonymous, a client, a staff account with no role, the front desk, a practitioner and the
clinic manager (access/roles.py has the table these follow).

The clock stands at 12:00 on the day of the cast's two visits (olivia with pat at 10:00,
bruno with Ben at 11:00), so both can be marked completed or no-show.
"""

from dataclasses import dataclass, field

import pytest
import time_machine
from rest_framework.test import APIClient

from tests.helpers import logged_in
from tests.workspace.conftest import PERSONAS, TODAY, london

# Everyone outside the roles, on the workspace pages: to the login page, or 403.
PAGE_OUTSIDERS = {"anonymous": 302, "client": 403, "norole": 403}
# ...and on the staff API: 403, whatever the endpoint.
API_OUTSIDERS = {"anonymous": 403, "client": 403, "norole": 403}


@dataclass
class Row:
    name: str
    method: str
    url: object  # cast -> str
    desk: int
    pat: int
    mia: int
    data: object = None  # cast -> dict
    others: dict = field(default_factory=dict)  # anonymous, client, norole overrides

    def expected(self, persona: str, outsiders: dict) -> int:
        if persona in ("desk", "pat", "mia"):
            return getattr(self, persona)
        return self.others.get(persona, outsiders[persona])


def slot(day_offset=1, hour=10) -> str:
    return london(TODAY.replace(day=TODAY.day + day_offset), hour).isoformat()


PAGES = [
    Row("lookup", "get", lambda c: "/staff/clients/?q=o", 200, 200, 200),
    Row("client page", "get", lambda c: f"/staff/clients/{c.olivia.pk}/", 200, 200, 200),
    Row("another's client page", "get", lambda c: f"/staff/clients/{c.bruno.pk}/", 200, 404, 200),
    Row(
        "injectable form",
        "get",
        lambda c: f"/staff/clients/{c.olivia.pk}/injectables/new/",
        200,
        200,
        200,
    ),
    Row(
        "another's injectable form",
        "get",
        lambda c: f"/staff/clients/{c.bruno.pk}/injectables/new/",
        200,
        404,
        200,
    ),
    Row(
        "record injectable",
        "post",
        lambda c: f"/staff/clients/{c.olivia.pk}/injectables/new/",
        302,
        302,
        302,
        data=lambda c: {"kind": "filler", "date": "2027-02-28", "areas": ["lips"]},
    ),
    Row(
        "booking page",
        "get",
        lambda c: f"/staff/clients/{c.olivia.pk}/book/?treatment={c.world.treatment.slug}",
        200,
        403,
        200,
    ),
    Row(
        "book",
        "post",
        lambda c: f"/staff/clients/{c.bruno.pk}/book/",
        302,
        403,
        302,
        data=lambda c: {"treatment": c.world.treatment.slug, "start": slot()},
    ),
    Row(
        "reschedule page",
        "get",
        lambda c: f"/staff/appointments/{c.olivia_visit.reference}/reschedule/",
        200,
        403,
        200,
    ),
    Row("day sheet", "get", lambda c: "/staff/sheet/", 200, 200, 200),
    Row("week sheet", "get", lambda c: "/staff/sheet/?span=week", 200, 200, 200),
    Row("Ben's sheet", "get", lambda c: f"/staff/sheet/?practitioner={c.ben.pk}", 200, 403, 200),
    Row(
        "mark own visit completed",
        "post",
        lambda c: f"/staff/appointments/{c.olivia_visit.reference}/complete/",
        302,
        302,
        302,
    ),
    Row(
        "mark Ben's visit no-show",
        "post",
        lambda c: f"/staff/appointments/{c.bruno_visit.reference}/no-show/",
        302,
        404,
        302,
    ),
    Row("diary", "get", lambda c: "/staff/", 200, 200, 200),
    Row("diary week by room", "get", lambda c: "/staff/?span=week&by=resource", 200, 200, 200),
    Row(
        "who is it for",
        "get",
        lambda c: f"/staff/diary/book/?date=2027-03-02&time=14:00&practitioner={c.ben.pk}",
        200,
        403,
        200,
    ),
    Row(
        "walk-in as a new client",
        "post",
        lambda c: "/staff/diary/book/",
        302,
        403,
        302,
        data=lambda c: {"walk_in": "1", "name": "Wanda", "email": "wanda@example.com"},
    ),
    Row(
        "move page",
        "get",
        lambda c: f"/staff/appointments/{c.olivia_visit.reference}/move/",
        200,
        403,
        200,
    ),
    Row(
        "move",
        "post",
        lambda c: f"/staff/appointments/{c.bruno_visit.reference}/move/",
        302,
        403,
        302,
        data=lambda c: {"date": "2027-03-02", "time": "14:00", "practitioner": c.ben.pk},
    ),
    Row("block time page", "get", lambda c: "/staff/diary/block/", 200, 403, 200),
    Row(
        "block time",
        "post",
        lambda c: "/staff/diary/block/",
        302,
        403,
        302,
        data=lambda c: {
            "practitioner": c.ben.pk,
            "date": "2027-03-02",
            "start": "14:00",
            "end": "15:00",
        },
    ),
    Row("rules", "get", lambda c: "/staff/rules/", 403, 403, 200),
    Row("audit trail", "get", lambda c: "/staff/audit/", 403, 403, 200),
    Row("export", "get", lambda c: f"/staff/clients/{c.olivia.pk}/export.json", 403, 403, 200),
    Row(
        "anonymise page",
        "get",
        lambda c: f"/staff/clients/{c.bruno.pk}/anonymise/",
        403,
        403,
        200,
    ),
    Row("anonymise", "post", lambda c: f"/staff/clients/{c.bruno.pk}/anonymise/", 403, 403, 302),
    # The admin keeps the rules too: only managers get in.
    Row(
        "admin: waiting rules",
        "get",
        lambda c: "/admin/clinical/waitingrule/",
        403,
        403,
        200,
        others={"client": 302},
    ),
    Row(
        "admin: contraindication rules",
        "get",
        lambda c: "/admin/clinical/contraindicationrule/",
        403,
        403,
        200,
        others={"client": 302},
    ),
    Row(
        "admin: audit trail",
        "get",
        lambda c: "/admin/clinic/auditentry/",
        403,
        403,
        200,
        others={"client": 302},
    ),
]

CLIENTS = "/api/v1/clients/"
APPOINTMENTS = "/api/v1/appointments/"

API = [
    Row("search", "get", lambda c: f"{CLIENTS}?q=o", 200, 200, 200),
    Row(
        "create a client",
        "post",
        lambda c: CLIENTS,
        201,
        403,
        201,
        data=lambda c: {"name": "Hana Sato", "email": "hana@example.com"},
    ),
    Row("injectables", "get", lambda c: f"{CLIENTS}{c.olivia.pk}/injectables/", 200, 200, 200),
    Row(
        "another's injectables",
        "get",
        lambda c: f"{CLIENTS}{c.bruno.pk}/injectables/",
        200,
        404,
        200,
    ),
    Row(
        "record an injectable",
        "post",
        lambda c: f"{CLIENTS}{c.olivia.pk}/injectables/",
        201,
        201,
        201,
        data=lambda c: {"kind": "botox", "date": "2027-02-27", "areas": ["forehead"]},
    ),
    Row(
        "record another's injectable",
        "post",
        lambda c: f"{CLIENTS}{c.bruno.pk}/injectables/",
        201,
        404,
        201,
        data=lambda c: {"kind": "botox", "date": "2027-02-27"},
    ),
    Row("declarations", "get", lambda c: f"{CLIENTS}{c.olivia.pk}/declarations/", 200, 200, 200),
    Row(
        "record a declaration",
        "post",
        lambda c: f"{CLIENTS}{c.olivia.pk}/declarations/",
        201,
        201,
        201,
        data=lambda c: {"condition": "epilepsy"},
    ),
    Row(
        "eligibility",
        "get",
        lambda c: f"{CLIENTS}{c.olivia.pk}/eligibility/?treatment={c.world.treatment.slug}",
        200,
        200,
        200,
    ),
    Row(
        "another's eligibility",
        "get",
        lambda c: f"{CLIENTS}{c.bruno.pk}/eligibility/?treatment={c.world.treatment.slug}",
        200,
        404,
        200,
    ),
    Row("day list", "get", lambda c: f"{APPOINTMENTS}?date={TODAY}", 200, 200, 200),
    Row(
        "Ben's day list",
        "get",
        lambda c: f"{APPOINTMENTS}?date={TODAY}&practitioner={c.ben.pk}",
        200,
        403,
        200,
    ),
    Row(
        "complete own visit",
        "post",
        lambda c: f"{APPOINTMENTS}{c.olivia_visit.reference}/complete/",
        200,
        200,
        200,
    ),
    Row(
        "no-show Ben's visit",
        "post",
        lambda c: f"{APPOINTMENTS}{c.bruno_visit.reference}/no-show/",
        200,
        404,
        200,
    ),
    # Public endpoints with a staff side: the manage token and the client keep their way
    # in (anonymous has no token: 404; olivia is inside the cancellation window: 409).
    Row(
        "cancel as staff",
        "post",
        lambda c: f"{APPOINTMENTS}{c.olivia_visit.reference}/cancel/",
        200,
        403,
        200,
        others={"anonymous": 404, "client": 409, "norole": 404},
    ),
    Row(
        "availability for a client",
        "get",
        lambda c: (
            f"/api/v1/availability/?treatment={c.world.treatment.slug}"
            f"&from=2027-03-02&to=2027-03-02&client={c.bruno.pk}"
        ),
        200,
        400,
        200,
    ),
    Row(
        "book for a client by id",
        "post",
        lambda c: APPOINTMENTS,
        201,
        403,
        201,
        data=lambda c: {
            "treatment": c.world.treatment.slug,
            "start": slot(2),
            "client_id": c.bruno.pk,
            "acknowledge_warnings": True,  # olivia, booking for herself, has filler on file
        },
        # Naming a client by id is booking on their behalf: only a role that books may,
        # whoever else asks (a signed-in client too: they book for themselves by address).
        others={"anonymous": 403, "client": 403, "norole": 403},
    ),
]


@pytest.fixture
def noon(cast):
    with time_machine.travel(london(TODAY, 12), tick=False):
        yield cast


def call(client, row: Row, cast, **extra):
    data = row.data(cast) if row.data else {}
    return getattr(client, row.method)(row.url(cast), data, **extra)


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("row", PAGES, ids=lambda r: r.name)
def test_pages(noon, row, persona):
    response = call(noon.browser(persona), row, noon)

    assert response.status_code == row.expected(persona, PAGE_OUTSIDERS), response.content[:300]
    if persona == "anonymous" and row.url(noon).startswith("/staff/"):
        assert response["Location"].startswith("/staff/login/?next=")


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("row", API, ids=lambda r: r.name)
def test_api(noon, row, persona):
    user = noon.users[persona]
    api = logged_in(user) if user else APIClient()

    response = call(api, row, noon, format="json")

    assert response.status_code == row.expected(persona, API_OUTSIDERS), response.content[:300]
    if response.status_code == 403:
        assert response.json()["code"] in {"permission_denied", "not_authenticated"}
        assert "cheeks" not in response.content.decode()


def test_a_practitioner_searching_finds_only_their_own_clients(noon):
    api = logged_in(noon.users["pat"])

    found = api.get(CLIENTS, {"q": "o"}).json()

    assert [c["name"] for c in found] == ["Olivia Turner"]
    assert [c["name"] for c in logged_in(noon.users["desk"]).get(CLIENTS, {"q": "o"}).json()] == [
        "Bruno Costa",
        "Olivia Turner",
    ]


def test_a_practitioners_day_list_is_their_own(noon):
    api = logged_in(noon.users["pat"])

    listed = api.get(APPOINTMENTS, {"date": TODAY.isoformat()}).json()

    assert [a["reference"] for a in listed] == [noon.olivia_visit.reference]


def test_a_practitioners_day_sheet_is_their_own(noon):
    page = noon.browser("pat").get("/staff/sheet/").content.decode()

    assert "Olivia Turner" in page
    assert "Bruno Costa" not in page


def test_a_practitioner_booking_for_another_client_hears_no_health_reason(noon):
    """A practitioner may not book: their booking through the public path is only held for
    the address to confirm, like a stranger's, and tells them nothing from a record their
    role does not show them, nor makes the client theirs."""
    from tests import factories

    factories.InjectableRecordFactory(client=noon.bruno, date=TODAY, areas=["jawline"])
    api = logged_in(noon.users["pat"])

    response = api.post(
        APPOINTMENTS,
        {
            "treatment": noon.world.treatment.slug,
            "start": slot(2),
            "client": {"name": "Bruno Costa", "email": "bruno@example.com"},
        },
        format="json",
    )

    assert response.status_code == 202 and response.json()["status"] == "held"
    assert "earliest_date" not in response.json() and "manage_token" not in response.json()
    assert "filler" not in response.content.decode().lower()
    assert not noon.bruno.appointments.filter(practitioner__user=noon.users["pat"]).exists()
