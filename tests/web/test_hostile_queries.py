"""Every page and API endpoint that reads a query string, given values no form would send:
none is answered with a 500. In the staff workspace and the admin a NUL (PostgreSQL refuses
text holding one, and those pages hand parameters to queries as they come) is a clear 400;
the API's serializers and the booking pages answer it as any bad value (a field error, the
calendar again, a 404), as their own tests say. Full-width and other non-ASCII digits are
refused as dates (tests/web/test_dates.py)."""

import pytest
from django.test import Client as BrowserClient
from rest_framework.test import APIClient

from tests.workspace.conftest import Cast

# (who asks, address, the parameters it reads); {client}, {ref}, {token}, {slug} filled in.
PAGES = [
    ("mia", "/staff/", ["q", "partial", "clinic"]),
    ("mia", "/staff/clients/{client}/", ["clinic"]),
    ("mia", "/staff/clients/{client}/book/", ["treatment", "date", "practitioner"]),
    ("mia", "/staff/clients/{client}/injectables/new/", ["clinic"]),
    ("mia", "/staff/clients/{client}/export.json", ["clinic"]),
    ("mia", "/staff/appointments/{ref}/reschedule/", ["date", "practitioner", "treatment"]),
    ("mia", "/staff/sheet/", ["date", "practitioner", "span", "clinic"]),
    ("mia", "/staff/rules/", ["clinic"]),
    ("mia", "/staff/audit/", ["client", "user", "page"]),
    ("anonymous", "/", ["clinic"]),
    ("anonymous", "/book/{slug}/", ["day", "practitioner"]),
    ("anonymous", "/book/{slug}/details/", ["start", "practitioner"]),
    ("anonymous", "/book/{slug}/review/", ["start", "practitioner"]),
    ("anonymous", "/book/{slug}/notify-me/", ["start", "practitioner"]),
    ("mia", "/admin/clinic/clinic/", ["q", "o", "p"]),
]
API = [
    ("anonymous", "/api/v1/treatments/", ["clinic"]),
    ("anonymous", "/api/v1/practitioners/", ["treatment"]),
    ("anonymous", "/api/v1/availability/", ["treatment", "from", "to", "practitioner", "client"]),
    ("anonymous", "/api/v1/appointments/{ref}/", ["token"]),
    ("mia", "/api/v1/appointments/", ["date", "clinic", "practitioner"]),
    ("mia", "/api/v1/clients/", ["q"]),
    ("mia", "/api/v1/clients/{client}/injectables/", ["clinic"]),
    ("mia", "/api/v1/clients/{client}/declarations/", ["clinic"]),
    ("mia", "/api/v1/clients/{client}/eligibility/", ["treatment", "date"]),
]
# A plausible value for each parameter, so that the one under test is the only odd one.
GOOD = {
    "date": "2027-03-01",
    "day": "2027-03-01",
    "from": "2027-03-01",
    "to": "2027-03-07",
    "start": "2027-03-02T10:00:00+00:00",
    "treatment": "manual-facial-massage",
    "span": "day",
}
NUL_IN_QUERY = "The request's query string holds a NUL character, which no field accepts."
ODD = [
    "x\x00y",
    "\x00",
    "２０２７-03-01",  # full-width digits
    "٢٠٢٧-٠٣-٠١",  # Arabic-Indic digits
    "²",  # a digit to str.isdigit, not to int()
    "-1",
    "9" * 40,
    "\u202e",
    "%ff",
    " ",
]


def address(template: str, cast: Cast) -> str:
    return template.format(
        client=cast.olivia.pk,
        ref=cast.olivia_visit.reference,
        slug=cast.world.treatment.slug,
    )


def caller(cast: Cast, persona: str, *, api: bool):
    if not api:
        return cast.browser(persona)
    client = APIClient(raise_request_exception=False)
    if cast.users.get(persona) is not None:
        client.force_authenticate(cast.users[persona])
    return client


def every_case():
    for api, table in ((False, PAGES), (True, API)):
        for persona, template, names in table:
            for name in names:
                yield api, persona, template, names, name


@pytest.mark.parametrize("api,persona,template,names,name", list(every_case()))
def test_odd_query_values_are_never_a_server_error(cast, api, persona, template, names, name):
    who = caller(cast, persona, api=api)
    if not api:
        who.raise_request_exception = False
    url = address(template, cast)
    answers = {}
    for value in ODD:
        params = {**{n: GOOD[n] for n in names if n in GOOD and n != name}, name: value}
        answers[value] = who.get(url, params)

    server_errors = {value: r.status_code for value, r in answers.items() if r.status_code >= 500}
    assert not server_errors, server_errors
    if template.startswith(("/staff/", "/admin/")):
        for value in ("x\x00y", "\x00"):
            response = answers[value]
            assert response.status_code == 400, (value, response.status_code)
            assert response.content.decode() == NUL_IN_QUERY


def test_an_address_with_a_nul_is_not_found_never_a_server_error(cast):
    mia = cast.browser("mia")
    mia.raise_request_exception = False

    staff = mia.get("/staff/appointments/AB%00CD/reschedule/")
    public = BrowserClient(raise_request_exception=False).get("/hold/AB%00CD/token/")
    api = APIClient(raise_request_exception=False).get("/api/v1/appointments/AB%00CD/")

    assert (staff.status_code, public.status_code) == (404, 404)
    assert (api.status_code, api.json()["code"]) == (404, "not_found")


def test_a_nul_in_a_form_field_is_a_400(cast):
    mia = cast.browser("mia")

    response = mia.post(f"/staff/clients/{cast.olivia.pk}/book/", {"treatment": "a\x00b"})

    assert response.status_code == 400
    assert b"NUL" in response.content
