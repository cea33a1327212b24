"""A product recall (records/services.py recall_record, from /staff/recalls/): it finds
exactly the clients of the organisation who received the lot, by an injectable or a
treatment record, at any of its clinics; flags their upcoming appointments; and emails each
client once and the clinic one summary, however often it is run."""

from datetime import date

import pytest
from django.test import Client as Browser
from django.utils import timezone

from access.roles import FRONT_DESK, MANAGER, PRACTITIONER
from aftercare.models import Message
from clinic.models import AuditEntry
from records.models import Recall, RecallFlag, RecordProduct, TreatmentRecord
from records.services import RecallError, recall_record
from tests import factories
from tests.conftest import default_rules
from tests.helpers import send_one
from tests.organisations import VISIT_DAY, make_group

LOT = "LOT-7731"


@pytest.fixture
def group(db, frozen_now):
    """Alpha and Beta (one organisation) and Zeta (another), each with a client, an
    injectable and an upcoming visit (tests/organisations.py). The lot reached Alpha's client
    by an injectable, Beta's by a treatment record (typed in lower case) and Zeta's client
    (another business); Alpha's second client had another lot, and a third had the lot on
    an injectable since corrected to another."""
    default_rules()
    group = make_group()
    group.alpha.clinic.email = "desk@alpha.example.com"
    group.alpha.clinic.save(update_fields=["email"])
    for branch, lot in ((group.alpha, LOT), (group.zeta, LOT)):
        branch.injectable.product, branch.injectable.lot_number = "Volift", lot
        branch.injectable.save(update_fields=["product", "lot_number"])
    record = TreatmentRecord.objects.create(
        appointment=group.beta.visit,
        client=group.beta.client,
        clinic=group.beta.clinic,
        treatment=group.beta.treatment,
        version=1,
        written_at=timezone.now(),
    )
    RecordProduct.objects.create(record=record, product="Volift", lot_number=" lot-7731")
    other = factories.ClientFactory(clinic=group.alpha.clinic, name="Other Lot")
    factories.InjectableRecordFactory(
        client=other, date=date(2027, 1, 4), product="Volift", lot_number="LOT-7732"
    )
    corrected = factories.ClientFactory(clinic=group.alpha.clinic, name="Corrected Lot")
    factories.InjectableRecordFactory(
        client=corrected,
        date=date(2027, 1, 4),
        product="Volift",
        lot_number=LOT,
        superseded_at=timezone.now(),
    )
    return group


def desk(group, branch="alpha") -> Browser:
    browser = Browser()
    browser.force_login(getattr(group, branch).staff[FRONT_DESK])
    return browser


FORM = {"product": "Volift", "lot_number": LOT.lower(), "reason": "Sterility not assured."}


def test_a_recall_finds_exactly_the_organisations_clients_of_that_lot(group):
    page = desk(group).post("/staff/recalls/", FORM)

    recall = Recall.objects.get()
    assert page.status_code == 302 and page["Location"] == f"/staff/recalls/{recall.pk}/"
    assert {c.client for c in recall.clients.all()} == {group.alpha.client, group.beta.client}
    assert {f.appointment for f in RecallFlag.objects.all()} == {
        group.alpha.visit,
        group.beta.visit,
    }
    to_clients = Message.objects.filter(kind=Message.Kind.RECALL)
    assert sorted(m.client_id for m in to_clients) == sorted(
        [group.alpha.client.pk, group.beta.client.pk]
    )
    summary = Message.objects.get(kind=Message.Kind.RECALL_SUMMARY)
    assert (summary.to, summary.clinic, summary.data["clients"]) == (
        "desk@alpha.example.com",
        group.alpha.clinic,
        2,
    )
    found = desk(group).get(page["Location"]).content.decode()
    assert group.alpha.client.name in found and group.beta.client.name in found
    assert group.zeta.client.name not in found and "Other Lot" not in found
    # One entry for the page, naming every client it showed (clinic/audit.py).
    [entry] = AuditEntry.objects.filter(what="product recall", action="view")
    assert set(entry.subjects.values_list("client_id", flat=True)) == {
        group.alpha.client.pk,
        group.beta.client.pk,
    }


def test_run_twice_it_messages_nobody_twice(group):
    browser = desk(group)
    browser.post("/staff/recalls/", FORM)
    planned = set(Message.objects.values_list("pk", "key"))

    again = browser.post("/staff/recalls/", {**FORM, "lot_number": LOT}, follow=True)

    assert set(Message.objects.values_list("pk", "key")) == planned
    assert Recall.objects.count() == 1
    assert RecallFlag.objects.count() == 2
    assert "0 new message(s) planned" in again.content.decode()


def test_a_client_found_later_is_told_once_when_it_runs_again(group):
    clinic = group.alpha.clinic
    first = recall_record(clinic=clinic, by=None, **FORM)
    late = factories.ClientFactory(clinic=group.beta.clinic, name="Late Finding")
    factories.InjectableRecordFactory(
        client=late, date=date(2027, 1, 4), product="Volift", lot_number=LOT
    )

    second = recall_record(clinic=clinic, by=None, **FORM)
    third = recall_record(clinic=clinic, by=None, **FORM)

    assert (first.new_messages, second.new_messages, third.new_messages) == (3, 1, 0)
    assert Message.objects.filter(kind=Message.Kind.RECALL, client=late).count() == 1
    assert Message.objects.filter(kind=Message.Kind.RECALL_SUMMARY).count() == 1


def test_the_emails_go_to_each_client_and_to_the_clinic(group, inbox):
    recall_record(clinic=group.alpha.clinic, by=None, **FORM)
    recall = Message.objects.filter(kind__startswith="recall")
    recall.update(status=Message.Status.SENDING, claimed_at=timezone.now())

    statuses = [send_one(pk) for pk in recall.order_by("pk").values_list("pk", flat=True)]

    assert statuses == [Message.Status.SENT] * 3
    by_address = {m["To"]: m for m in inbox.messages}
    assert set(by_address) == {
        group.alpha.client.email,
        group.beta.client.email,
        "desk@alpha.example.com",
    }
    to_client = by_address[group.beta.client.email].get_body(("plain",)).get_content()
    assert "Volift" in to_client and LOT in to_client
    summary = by_address["desk@alpha.example.com"]
    assert summary["Subject"] == f"Recall of Volift lot {LOT}: 2 clients"


def test_a_recall_needs_its_product_lot_and_reason(group):
    with pytest.raises(RecallError) as refusal:
        recall_record(clinic=group.alpha.clinic, product="", lot_number=" ", reason="", by=None)

    assert set(refusal.value.errors) == {"product", "lot_number", "reason"}
    page = desk(group).post("/staff/recalls/", {"product": "Volift", "lot_number": LOT})
    assert page.status_code == 200 and "This field is required." in page.content.decode()
    assert not Recall.objects.exists() and not Message.objects.filter(kind="recall").exists()


def test_a_practitioner_may_not_record_a_recall_and_other_organisations_get_404(group):
    recall = recall_record(clinic=group.alpha.clinic, by=None, **FORM).recall
    practitioner = Browser()
    practitioner.force_login(group.alpha.staff[PRACTITIONER])
    zeta_manager = Browser()
    zeta_manager.force_login(group.zeta.staff[MANAGER])

    assert practitioner.get("/staff/recalls/").status_code == 403
    assert practitioner.post("/staff/recalls/", FORM).status_code == 403
    assert zeta_manager.get(f"/staff/recalls/{recall.pk}/").status_code == 404
    beta_desk = desk(group, "beta").get(f"/staff/recalls/{recall.pk}/").content.decode()
    # Beta's desk sees the organisation's clients, but Alpha's diary stays Alpha's.
    assert group.alpha.client.name in beta_desk
    assert group.alpha.visit.reference not in beta_desk
    assert group.beta.visit.reference in beta_desk


def test_the_flagged_appointments_show_on_their_clinics_day_sheets(group):
    def sheet(branch, role) -> str:
        browser = Browser()
        browser.force_login(getattr(group, branch).staff[role])
        return browser.get(f"/staff/sheet/?date={VISIT_DAY}").content.decode()

    before = sheet("alpha", PRACTITIONER)
    recall_record(clinic=group.alpha.clinic, by=None, **FORM)

    flag = f"Recall</span> Volift lot {LOT}"
    assert group.alpha.visit.reference in before and flag not in before  # the control
    for branch, role in (("alpha", PRACTITIONER), ("alpha", FRONT_DESK), ("beta", FRONT_DESK)):
        shown = sheet(branch, role)
        visit = getattr(group, branch).visit.reference
        assert visit in shown and flag in shown, (branch, role)
    # Zeta's client had the same lot at another business: this recall is not theirs.
    assert flag not in sheet("zeta", FRONT_DESK)


def test_a_flagged_visit_shows_its_recall_on_the_day_sheet(group):
    # The day sheet's records hook (workspace/templatetags/records_tags.py record_hooks).
    desk(group).post("/staff/recalls/", FORM)
    visit = group.alpha.visit
    day = timezone.localtime(visit.start, group.alpha.clinic.tzinfo).date()

    sheet = desk(group).get(f"/staff/sheet/?date={day}").content.decode()

    assert visit.reference in sheet
    assert f'<p><span class="tag danger">Recall</span> Volift lot {LOT}</p>' in sheet
