"""Merging a duplicate client into the survivor (privacy/merge.py, from the workspace's
merge page): appointments, health records, messages, audit entries and the login move; the
duplicate is removed; the audit trail names both ids; managers only; never across
organisations."""

from datetime import date, timedelta

import pytest
from django.test import Client as Browser

from access.roles import MANAGER
from aftercare.models import Message
from bookings.models import Appointment
from clinic.models import AuditEntry, Client
from clinical.models import HealthDeclaration, InjectableRecord
from diary.services import appointment_book
from privacy.merge import MergeRefused, client_merge
from tests import factories
from tests.conftest import default_rules
from tests.organisations import make_group
from tests.workspace.conftest import TODAY, london


@pytest.fixture
def duplicate(cast):
    """Olivia again, booked under her work address with another phone, filler on record."""
    twin = factories.ClientFactory(
        clinic=cast.world.clinic,
        user=factories.UserFactory(username="olivia-work"),
        name="Olivia T.",
        email="olivia@work.example.com",
        phone="07700 900202",
    )
    factories.InjectableRecordFactory(client=twin, date=date(2027, 2, 1), areas=["jawline"])
    factories.HealthDeclarationFactory(client=twin, declared_on=date(2026, 6, 1))
    appointment_book(
        treatment=cast.world.treatment,
        start=london(TODAY + timedelta(days=3), 15),
        client=twin,
        by=cast.users["desk"],
        acknowledge_warnings=True,
    )
    twin.notes = "Work phone after 18:00."
    twin.save(update_fields=["notes"])
    return twin


def test_the_manager_finds_the_duplicate_confirms_and_merges(cast, duplicate):
    mia = cast.browser("mia")
    olivia = cast.olivia
    page = mia.get(f"/staff/clients/{olivia.pk}/").content.decode()
    assert f"/staff/clients/{olivia.pk}/merge/" in page

    found = mia.get(f"/staff/clients/{olivia.pk}/merge/", {"q": "olivia"}).content.decode()
    assert f"?duplicate={duplicate.pk}" in found
    assert f"?duplicate={olivia.pk}" not in found  # not herself
    confirm = mia.get(
        f"/staff/clients/{olivia.pk}/merge/", {"duplicate": duplicate.pk}
    ).content.decode()
    assert "Moves 1 appointment, 2 health records and" in confirm
    moving = {
        "appointments": set(duplicate.appointments.values_list("pk", flat=True)),
        "injectables": set(duplicate.injectables.values_list("pk", flat=True)),
        "declarations": set(duplicate.declarations.values_list("pk", flat=True)),
        "messages": set(duplicate.messages.values_list("pk", flat=True)),
    }
    assert all(moving.values())
    duplicate_id = duplicate.pk

    response = mia.post(f"/staff/clients/{olivia.pk}/merge/", {"duplicate": duplicate_id})

    assert response["Location"] == f"/staff/clients/{olivia.pk}/"
    assert not Client.objects.filter(pk=duplicate_id).exists()
    assert moving["appointments"] <= set(
        Appointment.objects.filter(client=olivia).values_list("pk", flat=True)
    )
    assert moving["injectables"] <= set(olivia.injectables.values_list("pk", flat=True))
    assert moving["declarations"] <= set(olivia.declarations.values_list("pk", flat=True))
    assert moving["messages"] <= set(olivia.messages.values_list("pk", flat=True))
    olivia.refresh_from_db()
    assert (olivia.name, olivia.email, olivia.phone) == (
        "Olivia Turner",
        "olivia.turner@example.com",
        "07700 900101",  # hers kept
    )
    assert olivia.notes == "Work phone after 18:00."
    [entry] = AuditEntry.objects.filter(action=AuditEntry.Action.MERGE)
    assert entry.client == olivia and entry.username == "mia"
    assert entry.details["survivor"] == olivia.pk and entry.details["duplicate"] == duplicate_id
    assert entry.details["moved"]["appointment"] == 1
    after = mia.get(f"/staff/clients/{olivia.pk}/").content.decode()
    assert "Merged Olivia T." in after and "Jawline" in after


def test_a_survivor_without_a_login_or_phone_takes_the_duplicate_s(cast, duplicate):
    bare = factories.ClientFactory(clinic=cast.world.clinic, name="Olive", email="o@example.com")
    Client.objects.filter(pk=bare.pk).update(user=None, phone="")  # typed in long ago
    login = duplicate.user

    client_merge(survivor=bare, duplicate=duplicate, by=cast.users["mia"])

    bare.refresh_from_db()
    assert bare.user == login and bare.phone == "07700 900202"


def test_the_duplicate_s_filler_flags_the_survivor_s_appointment(cast):
    """Her record is now one: a filler on the duplicate makes her visit too early."""
    upcoming = appointment_book(
        treatment=cast.world.treatment,
        start=london(TODAY + timedelta(days=2), 10),
        client=cast.bruno,
        by=cast.users["desk"],
    ).appointment
    twin = factories.ClientFactory(clinic=cast.world.clinic, email="bruno@work.example.com")
    factories.InjectableRecordFactory(client=twin, date=TODAY, areas=["lips"])

    merged = client_merge(survivor=cast.bruno, duplicate=twin, by=cast.users["mia"])

    assert upcoming.pk in [a.pk for a in merged.flagged]
    upcoming.refresh_from_db()
    assert upcoming.eligibility_flag
    assert upcoming.messages.filter(kind=Message.Kind.FLAGGED).exists()


def test_the_front_desk_may_not_merge(cast, duplicate):
    desk = cast.browser("desk")

    assert desk.get(f"/staff/clients/{cast.olivia.pk}/merge/").status_code == 403
    assert (
        desk.post(
            f"/staff/clients/{cast.olivia.pk}/merge/", {"duplicate": duplicate.pk}
        ).status_code
        == 403
    )
    assert Client.objects.filter(pk=duplicate.pk).exists()
    assert "/merge/" not in desk.get(f"/staff/clients/{cast.olivia.pk}/").content.decode()


def test_a_client_is_not_merged_into_itself(cast):
    with pytest.raises(MergeRefused):
        client_merge(survivor=cast.olivia, duplicate=cast.olivia, by=cast.users["mia"])

    response = cast.browser("mia").post(
        f"/staff/clients/{cast.olivia.pk}/merge/", {"duplicate": cast.olivia.pk}, follow=True
    )
    assert "cannot be merged into itself" in response.content.decode()
    assert Client.objects.filter(pk=cast.olivia.pk).exists()


# -- across organisations ------------------------------------------------------------------------


@pytest.fixture
def group(db, frozen_now):
    default_rules()
    return make_group()


def _state(*clients) -> list:
    return [
        (
            Client.objects.filter(pk=c.pk).values().first(),
            list(Appointment.objects.filter(client=c).values_list("pk", flat=True)),
            InjectableRecord.objects.filter(client=c).count(),
            HealthDeclaration.objects.filter(client=c).count(),
        )
        for c in clients
    ]


def test_clients_of_another_organisation_are_never_merged(group):
    manager = Browser()
    manager.force_login(group.alpha.staff[MANAGER])
    avery, zed = group.alpha.client, group.zeta.client
    before = _state(avery, zed)

    into_mine = manager.post(f"/staff/clients/{avery.pk}/merge/", {"duplicate": zed.pk})
    into_theirs = manager.post(f"/staff/clients/{zed.pk}/merge/", {"duplicate": avery.pk})
    confirm_page = manager.get(f"/staff/clients/{avery.pk}/merge/", {"duplicate": zed.pk})
    search = manager.get(f"/staff/clients/{avery.pk}/merge/", {"q": "Zimmer"}).content.decode()

    assert into_mine.status_code == into_theirs.status_code == confirm_page.status_code == 404
    assert "Zed Zimmer" not in search
    assert _state(avery, zed) == before
    with pytest.raises(MergeRefused):
        client_merge(survivor=avery, duplicate=zed, by=group.superuser)
    assert _state(avery, zed) == before


def test_a_sister_clinic_s_client_of_the_same_organisation_may_be_merged(group):
    """The clients are the organisation's: Alpha's manager merges Beta's record into
    Alpha's."""
    manager = Browser()
    manager.force_login(group.alpha.staff[MANAGER])
    avery, blake = group.alpha.client, group.beta.client
    visit = blake.appointments.get()

    response = manager.post(f"/staff/clients/{avery.pk}/merge/", {"duplicate": blake.pk})

    assert response.status_code == 302
    assert Appointment.objects.get(pk=visit.pk).client_id == avery.pk


def test_the_duplicate_s_signed_forms_payments_and_fees_move_with_her(cast, duplicate):
    """A signed form, a payment and a fee of the duplicate are hers: they move to the
    survivor, none deleted with the duplicate (a payment cannot be: it is protected)."""
    from consent.models import Submission
    from money.models import Charge, Payment

    visit = duplicate.appointments.get()
    factories.consent_form(organisation=cast.world.clinic.organisation, name="Massage consent")
    signed = factories.form_signed(visit)
    paid = Payment.objects.create(
        clinic=visit.clinic,
        appointment=visit,
        client=duplicate,
        amount="20.00",
        currency="GBP",
        kind=Payment.Kind.DEPOSIT,
        method=Payment.Method.CASH,
    )
    fee = Charge.objects.create(
        clinic=visit.clinic,
        appointment=visit,
        client=duplicate,
        kind=Charge.Kind.NO_SHOW,
        amount="30.00",
        currency="GBP",
    )

    merged = client_merge(survivor=cast.olivia, duplicate=duplicate, by=cast.users["mia"])

    assert merged.moved["submission"] == merged.moved["payment"] == merged.moved["charge"] == 1
    assert Submission.objects.get(pk=signed.pk).client == cast.olivia
    assert Payment.objects.get(pk=paid.pk).client == cast.olivia
    assert Charge.objects.get(pk=fee.pk).client == cast.olivia
