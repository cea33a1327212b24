"""The outbox for staff: the clinic's messages due, sent and failed with their error at
/staff/outbox/, a retry for a failed one there and on the client's page; and the admin's
messages, appointments and clients for managers, within their organisation."""

import pytest
from django.test import Client as Browser

from access.roles import FRONT_DESK, MANAGER
from aftercare.models import Message
from bookings.models import Appointment
from tests.conftest import default_rules
from tests.organisations import make_group

ERROR = "550 5.1.1 <olivia.turner@example.con>: no such domain"


def failed(message: Message) -> Message:
    Message.objects.filter(pk=message.pk).update(
        status=Message.Status.FAILED, attempts=5, last_error=ERROR
    )
    message.refresh_from_db()
    return message


@pytest.fixture
def confirmation(cast):
    return failed(cast.olivia_visit.messages.get(kind=Message.Kind.CONFIRMATION))


def test_the_outbox_lists_failures_with_their_error_and_retries_one(cast, confirmation):
    desk = cast.browser("desk")

    page = desk.get("/staff/outbox/").content.decode()  # failures first when there are any

    assert "Failed (1)" in page and ERROR.replace("<", "&lt;").replace(">", "&gt;") in page
    assert "Olivia Turner" in page and f"/staff/outbox/{confirmation.pk}/retry/" in page

    response = desk.post(f"/staff/outbox/{confirmation.pk}/retry/")

    assert response.status_code == 302
    confirmation.refresh_from_db()
    assert (confirmation.status, confirmation.attempts) == (Message.Status.PENDING, 0)
    due = desk.get("/staff/outbox/?show=due").content.decode()
    assert "Failed (0)" in due and "Booking confirmation" in due


def test_a_message_that_has_not_failed_is_left_alone(cast):
    sent = cast.olivia_visit.messages.get(kind=Message.Kind.CONFIRMATION)
    Message.objects.filter(pk=sent.pk).update(status=Message.Status.SENT)

    response = cast.browser("desk").post(f"/staff/outbox/{sent.pk}/retry/", follow=True)

    assert "not failed: left alone" in response.content.decode()
    assert Message.objects.get(pk=sent.pk).status == Message.Status.SENT


def test_the_client_page_retries_a_failed_message_and_comes_back(cast, confirmation):
    desk = cast.browser("desk")
    client_page = f"/staff/clients/{cast.olivia.pk}/"
    assert f"/staff/outbox/{confirmation.pk}/retry/" in desk.get(client_page).content.decode()

    response = desk.post(
        f"/staff/outbox/{confirmation.pk}/retry/", {"next": f"{client_page}#messages-title"}
    )

    assert response["Location"] == f"{client_page}#messages-title"
    assert Message.objects.get(pk=confirmation.pk).status == Message.Status.PENDING


def test_a_practitioner_neither_sees_the_outbox_nor_retries(cast, confirmation):
    pat = cast.browser("pat")

    assert pat.get("/staff/outbox/").status_code == 403
    assert pat.post(f"/staff/outbox/{confirmation.pk}/retry/").status_code == 403
    assert "/retry/" not in pat.get(f"/staff/clients/{cast.olivia.pk}/").content.decode()
    assert Message.objects.get(pk=confirmation.pk).status == Message.Status.FAILED


# -- across clinics and organisations ----------------------------------------------------------


@pytest.fixture
def group(db, frozen_now):
    default_rules()
    return make_group()


def _confirmation(branch) -> Message:
    return failed(branch.visit.messages.get(kind=Message.Kind.CONFIRMATION))


@pytest.mark.parametrize("role", [FRONT_DESK, MANAGER])
def test_another_clinic_s_outbox_is_out_of_sight_and_reach(group, role):
    browser = Browser()
    browser.force_login(group.alpha.staff[role])
    mine, sister, theirs = (_confirmation(b) for b in group.branches)

    page = browser.get("/staff/outbox/?show=failed").content.decode()
    beta_retry = browser.post(f"/staff/outbox/{sister.pk}/retry/")
    zeta_retry = browser.post(f"/staff/outbox/{theirs.pk}/retry/")

    assert group.alpha.client.name in page
    assert group.beta.client.name not in page and group.zeta.client.name not in page
    assert beta_retry.status_code == zeta_retry.status_code == 404
    assert Message.objects.get(pk=theirs.pk).status == Message.Status.FAILED
    assert Message.objects.get(pk=sister.pk).status == Message.Status.FAILED
    assert browser.post(f"/staff/outbox/{mine.pk}/retry/").status_code == 302


def test_a_manager_reads_their_organisation_s_rows_in_the_admin_and_not_another_s(group):
    manager = Browser()
    manager.force_login(group.alpha.staff[MANAGER])
    theirs = _confirmation(group.zeta)
    ours = _confirmation(group.alpha)

    messages = manager.get("/admin/aftercare/message/").content.decode()
    appointments = manager.get("/admin/bookings/appointment/").content.decode()
    clients = manager.get("/admin/clinic/client/").content.decode()

    assert f"/admin/aftercare/message/{ours.pk}/change/" in messages
    assert f"/admin/aftercare/message/{theirs.pk}/change/" not in messages
    assert group.alpha.visit.reference in appointments
    assert group.zeta.visit.reference not in appointments
    assert group.beta.visit.reference not in appointments  # the sister clinic's diary
    assert group.alpha.client.name in clients and group.beta.client.name in clients
    assert group.zeta.client.name not in clients
    for url in (
        f"/admin/aftercare/message/{theirs.pk}/change/",
        f"/admin/bookings/appointment/{group.zeta.visit.pk}/change/",
        f"/admin/clinic/client/{group.zeta.client.pk}/change/",
    ):
        assert manager.get(url).status_code == 404, url
    own = f"/admin/bookings/appointment/{group.alpha.visit.pk}/change/"
    assert manager.get(own).status_code == 200


def test_a_manager_cancels_in_the_admin_only_their_clinic_s_appointments(group):
    manager = Browser()
    manager.force_login(group.alpha.staff[MANAGER])
    url = "/admin/bookings/appointment/"

    for branch in group.branches:
        manager.post(
            url,
            {"action": "cancel_selected", "_selected_action": [branch.visit.pk], "post": "yes"},
        )

    statuses = {b.slug: Appointment.objects.get(pk=b.visit.pk).status for b in group.branches}
    assert statuses == {"alpha": "cancelled", "beta": "confirmed", "zeta": "confirmed"}
