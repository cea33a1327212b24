"""The clinical vocabulary as data and rules that name a treatment.

- A rule naming a treatment beats its category's rule for the same procedure or condition;
  for the same target a clinic's rule beats its organisation's, which beats the default.
- A prior procedure or a condition an organisation adds as rows (no code change) is asked
  on the booking page, refuses a booking through the API and the pages, and shows on the
  client's staff record and the practitioner's sheet, in the organisation's words.

The clock is frozen at 2027-03-01 08:00 UTC (conftest.NOW); the world's clinic is in London.
"""

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test import Client as BrowserClient
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from bookings.models import Appointment
from clinic.models import Term
from clinical import rules
from clinical.eligibility import (
    REFUSED,
    WARN,
    ContraindicationRule,
    Declaration,
    Injection,
    TreatmentFacts,
    WaitingRule,
    evaluate,
)
from clinical.models import (
    ContraindicationRule as ContraindicationRow,
)
from clinical.models import HealthDeclaration, InjectableRecord
from clinical.models import WaitingRule as WaitingRow
from clinical.vocabulary import AREA, CONDITION, PROCEDURE, Vocabulary, Word
from diary.services import appointment_book
from tests import factories
from tests.clinical.test_clinical_rules import DAY, body, declaring, post
from tests.conftest import add_microcurrent
from tests.helpers import assert_error, book_on_pages, booking_form
from tests.online.test_pages import at, text

INJECTED = date(2027, 1, 4)
FOUR_WEEKS = "This massage works deep in the face: wait four weeks after filler."

# --- The pure function ---------------------------------------------------------------------

MASSAGE_CATEGORY = WaitingRule("filler", "facial_massage", 14, 28, "Wait two weeks, ideally four.")
SCULPTING_ONLY = WaitingRule("filler", "", 28, 28, FOUR_WEEKS, treatment_id=7)
SCULPTING = TreatmentFacts("facial_massage", frozenset(), id=7)
MANUAL = TreatmentFacts("facial_massage", frozenset(), id=8)


def waiting(treatment, on, rules=(MASSAGE_CATEGORY, SCULPTING_ONLY)):
    return evaluate(
        injections=[Injection("filler", INJECTED)],
        declarations=[],
        waiting_rules=rules,
        contraindication_rules=[],
        treatment=treatment,
        on=on,
    )


def test_a_treatment_rule_beats_its_category_rule():
    day_14 = INJECTED + timedelta(days=14)

    sculpting, manual = waiting(SCULPTING, day_14), waiting(MANUAL, day_14)

    assert sculpting.decision == REFUSED
    assert sculpting.reasons == [FOUR_WEEKS]
    assert sculpting.earliest_date == INJECTED + timedelta(days=28)
    assert manual.decision == WARN  # the category's rule still governs the other massages
    assert manual.earliest_date == day_14


def test_a_treatment_rule_replaces_its_category_rule_even_when_milder():
    mild = WaitingRule("filler", "", 7, 7, "A week is enough for this one.", treatment_id=7)

    decision = waiting(SCULPTING, INJECTED + timedelta(days=10), rules=(MASSAGE_CATEGORY, mild))

    assert decision.decision == "allowed"


def test_a_treatment_contraindication_replaces_its_category_and_device_rules():
    device = ContraindicationRule("pacemaker", "refuse", "Not with a device.", resource_kind="mc")
    own = ContraindicationRule("pacemaker", "needs_approval", "Checked first.", treatment_id=7)
    other = ContraindicationRule("pregnancy", "refuse", "Not in pregnancy.", "facial_massage")
    facts = TreatmentFacts("facial_massage", frozenset({"mc"}), id=7)

    decision = evaluate(
        injections=[],
        declarations=[Declaration("pacemaker"), Declaration("pregnancy")],
        waiting_rules=[],
        contraindication_rules=[device, own, other],
        treatment=facts,
        on=INJECTED,
    )

    assert decision.reasons == ["Not in pregnancy."]  # its own rule for the pacemaker only
    assert decision.warnings == ["Checked first."]
    assert decision.needs_approval


def test_the_words_given_say_the_cautions_and_how_long_they_last():
    words = Vocabulary.of(
        [
            Word(PROCEDURE, "profound_rf", "Profound RF", sheet="Profound RF", caution_days=90),
            Word(AREA, "jowls", "Jowls"),
            Word(CONDITION, "metal_implants", "Metal implants", sheet="metal implants"),
        ]
    )
    approval = ContraindicationRule("metal_implants", "needs_approval", "Checked.", "facial")

    def on(day):
        return evaluate(
            injections=[Injection("profound_rf", INJECTED, ("jowls",))],
            declarations=[Declaration("metal_implants")],
            waiting_rules=[],
            contraindication_rules=[approval],
            treatment=TreatmentFacts("facial"),
            on=day,
            words=words,
        ).cautions

    assert on(INJECTED + timedelta(days=90)) == (
        "avoid deep pressure: jowls (Profound RF 2027-01-04)",
        "needs practitioner approval: metal implants",
    )
    assert on(INJECTED + timedelta(days=91)) == ("needs practitioner approval: metal implants",)


# --- Rules in the database: the most specific wins ----------------------------------------


@pytest.fixture
def sculpting(world):
    """The demo's sculpting massage: a facial massage whose own rule asks four weeks."""
    treatment = factories.TreatmentFactory(
        clinic=world.clinic,
        slug="sculpting-massage",
        name="Sculpting facial massage",
        kinds=[world.room_kind],
    )
    world.practitioner.treatments.add(treatment)
    WaitingRow.objects.create(
        clinic=world.clinic,
        treatment=treatment,
        injectable_kind="filler",
        min_days=28,
        recommended_days=28,
        message=FOUR_WEEKS,
    )
    return treatment


def test_the_sculpting_massage_refuses_day_14_where_its_category_only_warns(world, api, sculpting):
    injection = declaring(("filler", DAY - timedelta(days=14)))

    manual = post(api, body(world, **injection))
    refused = post(api, body(world, treatment=sculpting, **injection))

    assert_error(manual, 422, "warnings_not_acknowledged")
    refusal = assert_error(refused, 422, "waiting_period")
    assert refusal["detail"].startswith(FOUR_WEEKS)
    assert refusal["earliest_date"] == (DAY + timedelta(days=14)).isoformat()
    assert not Appointment.objects.exists()


def test_the_booking_page_refuses_the_sculpting_massage_on_day_14(world, client, sculpting):
    day = date(2027, 3, 5)
    answers = {
        "had_injectable": "yes",
        "injectable-0-kind": "filler",
        "injectable-0-date": (day - timedelta(days=14)).isoformat(),
    }

    refused = book_on_pages(client, sculpting.slug, booking_form(at(day, 11), **answers))

    assert FOUR_WEEKS in text(client.get(refused["Location"]))
    assert not Appointment.objects.exists()


def test_a_clinic_rule_beats_its_organisations_which_beats_the_default(world, api):
    organisation = world.clinic.organisation
    injection = declaring(("filler", DAY - timedelta(days=20)))  # the default only warns
    WaitingRow.objects.create(
        organisation=organisation,
        injectable_kind="filler",
        treatment_category="facial_massage",
        min_days=21,
        recommended_days=28,
        message="Our group asks three weeks after filler.",
    )
    elsewhere = factories.ClinicFactory()  # another business: its own defaults
    assert_error(post(api, body(world, **injection)), 422, "waiting_period")
    at_home = rules.clinic_rules(world.clinic).waiting
    assert {
        r.min_days
        for r in at_home
        if (r.injectable_kind, r.treatment_category) == ("filler", "facial_massage")
    } == {21}
    assert {
        r.min_days
        for r in rules.clinic_rules(elsewhere).waiting
        if (r.injectable_kind, r.treatment_category) == ("filler", "facial_massage")
    } == {14}

    WaitingRow.objects.create(
        clinic=world.clinic,
        injectable_kind="filler",
        treatment_category="facial_massage",
        min_days=20,
        recommended_days=20,
        message="Twenty days here.",
    )

    assert post(api, body(world, **injection)).status_code == 201


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="one round trip on PostgreSQL; SQLite runs the statements one by one",
)
def test_the_rules_and_words_of_a_booking_are_one_round_trip_however_many(world, sculpting):
    """Before the vocabulary became data, two queries (the rules); then three, with the
    words; now the three statements go together in one round trip (clinical/sql.py),
    whatever the number of rules, words or treatments with their own rules."""
    for n in range(15):
        treatment = factories.TreatmentFactory(clinic=world.clinic, slug=f"extra-{n}")
        WaitingRow.objects.create(
            clinic=world.clinic,
            treatment=treatment,
            injectable_kind="botox",
            min_days=n,
            recommended_days=n,
            message="-",
        )
        Term.objects.create(
            organisation=world.clinic.organisation, vocabulary=AREA, code=f"a{n}", name=f"A{n}"
        )

    with CaptureQueriesContext(connection) as queries:
        loaded = rules.clinic_rules(world.clinic)

    (read,) = [query["sql"] for query in queries]
    for table in ("clinical_waitingrule", "clinical_contraindicationrule", "clinic_term"):
        assert table in read, read
    assert len([r for r in loaded.waiting if r.treatment_id]) == 16
    assert loaded.words.knows(AREA, "a14")


# --- A prior procedure and a condition added as data ---------------------------------------

RF_MESSAGE = "Radiofrequency heats the deep layers: wait three weeks before a facial massage."
IMPLANTS_MESSAGE = "Deep facial massage is not offered over metal implants."


@pytest.fixture
def added(world):
    """Profound RF and metal implants, added by the organisation as rows, with a rule each."""
    organisation = world.clinic.organisation
    Term.objects.create(
        organisation=organisation,
        vocabulary=PROCEDURE,
        code="profound_rf",
        name="Profound RF",
        question="Profound RF (radiofrequency)",
        sheet="Profound RF",
        caution_days=90,
    )
    Term.objects.create(
        organisation=organisation,
        vocabulary=CONDITION,
        code="metal_implants",
        name="Metal implants",
        question="I have metal implants in my face or jaw",
    )
    WaitingRow.objects.create(
        organisation=organisation,
        injectable_kind="profound_rf",
        treatment_category="facial_massage",
        min_days=21,
        recommended_days=28,
        message=RF_MESSAGE,
    )
    ContraindicationRow.objects.create(
        organisation=organisation,
        condition="metal_implants",
        treatment_category="facial_massage",
        action="refuse",
        message=IMPLANTS_MESSAGE,
    )
    return organisation


def test_an_added_procedure_and_condition_refuse_a_booking_through_the_api(world, api, added):
    rf = post(api, body(world, **declaring(("profound_rf", DAY - timedelta(days=10), "cheeks"))))
    implants = post(api, body(world, **declaring(conditions=["metal_implants"])))

    refusal = assert_error(rf, 422, "waiting_period")
    assert refusal["detail"].startswith(RF_MESSAGE)
    assert refusal["earliest_date"] == (DAY + timedelta(days=11)).isoformat()
    assert assert_error(implants, 422, "contraindicated")["detail"].startswith(IMPLANTS_MESSAGE)
    assert not Appointment.objects.exists()


def test_another_organisations_words_are_unknown_here(world, api, added):
    other = factories.ClinicFactory().organisation
    Term.objects.create(organisation=other, vocabulary=PROCEDURE, code="laser", name="Laser")

    response = post(api, body(world, **declaring(("laser", DAY - timedelta(days=10)))))

    assert_error(response, 400, "invalid_input")
    assert "health.injectables.0.kind" in response.json()["fields"]


def test_an_added_procedure_and_condition_are_asked_and_refuse_on_the_booking_page(
    world, client, added
):
    day = date(2027, 3, 5)
    page = client.get(f"/book/{world.treatment.slug}/details/", {"start": at(day, 11).isoformat()})
    rf = {
        "had_injectable": "yes",
        "injectable-0-kind": "profound_rf",
        "injectable-0-date": (day - timedelta(days=10)).isoformat(),
        "no_conditions": "on",
    }

    by_rf = book_on_pages(client, world.treatment.slug, booking_form(at(day, 11), **rf))
    rf_words = text(client.get(by_rf["Location"]))
    by_implants = book_on_pages(
        BrowserClient(),
        world.treatment.slug,
        booking_form(at(day, 11), conditions=["metal_implants"]),
    )

    words = text(page)
    assert "have you had dermal filler, Profound RF (radiofrequency), Botox" in words
    assert '<option value="profound_rf">Profound RF</option>' in page.content.decode()
    # Profound RF is radiofrequency, not an injection: the form asks for the treatment's date.
    assert "Date of the treatment" in words and "Date of the injection" not in words
    assert "I have metal implants in my face or jaw" in words
    assert RF_MESSAGE in rf_words
    assert by_implants.status_code == 302 and "/sorry/" in by_implants["Location"]
    assert not Appointment.objects.exists()


def test_an_added_procedure_and_condition_show_on_the_staff_record_and_the_sheet(world, added):
    desk = factories.StaffFactory(username="desk")
    staff = APIClient()
    staff.force_authenticate(desk)
    dana = factories.ClientFactory(clinic=world.clinic, name="Dana Client")
    visit = appointment_book(
        treatment=world.treatment,
        start=at(date(2027, 3, 1), 10),
        client=dana,
        by=desk,
    ).appointment

    recorded = staff.post(
        f"/api/v1/clients/{dana.pk}/injectables/",
        {"kind": "profound_rf", "date": "2027-01-04", "areas": ["cheeks"]},
        format="json",
    )
    declared = staff.post(
        f"/api/v1/clients/{dana.pk}/declarations/", {"condition": "metal_implants"}, format="json"
    )
    unknown = staff.post(
        f"/api/v1/clients/{dana.pk}/declarations/", {"condition": "a_cold"}, format="json"
    )

    assert recorded.status_code == 201, recorded.content
    assert InjectableRecord.objects.get().kind == "profound_rf"
    assert declared.status_code == 201, declared.content
    assert [a["reference"] for a in declared.json()["flagged"]] == [visit.reference]
    assert HealthDeclaration.objects.get().condition == "metal_implants"
    assert "condition" in assert_error(unknown, 400, "invalid_input")["fields"]
    browser = BrowserClient()
    browser.force_login(desk)
    record = text(browser.get(f"/staff/clients/{dana.pk}/"))
    assert "Profound RF" in record and "Metal implants" in record
    sheet = text(browser.get("/staff/sheet/", {"date": "2027-03-01"}))
    assert "avoid deep pressure: cheeks (Profound RF 2027-01-04)" in sheet
    assert IMPLANTS_MESSAGE in sheet  # the flag the declaration raised


def test_a_word_the_organisation_rewords_replaces_the_default_wording(world, client):
    Term.objects.create(
        organisation=world.clinic.organisation,
        vocabulary=CONDITION,
        code="pacemaker",
        name="Pacemaker",
        question="I have a pacemaker or a cardiac device",
    )
    microcurrent = add_microcurrent(world)

    page = client.get(f"/book/{microcurrent.slug}/details/", {"start": at(DAY, 10).isoformat()})

    assert "I have a pacemaker or a cardiac device" in text(page)
    assert "I have a pacemaker " not in text(page).replace("a pacemaker or", "")


def test_the_staff_record_gives_a_treatment_with_its_own_rules_its_own_row(world, sculpting):
    desk = factories.StaffFactory(username="desk")
    dana = factories.ClientFactory(clinic=world.clinic, name="Dana Client")
    factories.InjectableRecordFactory(client=dana, kind="filler", date=date(2027, 2, 15))
    browser = BrowserClient()
    browser.force_login(desk)

    response = browser.get(f"/staff/clients/{dana.pk}/")

    rows = {c.label: c for c in response.context["o"].categories}
    assert rows["Facial massage"].allowed_from == date(2027, 3, 1)  # day 14: with a warning
    assert rows["Sculpting facial massage"].allowed_from == date(2027, 3, 15)  # its four weeks
