"""The outbox in the admin: staff find a client's messages, see errors, retry failed ones."""

import pytest
from django.test import Client as Browser
from django.urls import reverse

from aftercare.models import Message, MessageTemplate
from tests import factories
from tests.aftercare.test_outbox import make_messages


@pytest.fixture
def manager(db):
    user = factories.UserFactory(username="manager", is_staff=True, is_superuser=True)
    browser = Browser()
    browser.force_login(user)
    return browser


@pytest.fixture
def failed(db):
    [message] = make_messages(
        1,
        status=Message.Status.FAILED,
        attempts=5,
        last_error="SMTPDataError: (451, b'Mailbox busy')",
    )
    return message


def test_failed_messages_and_their_errors_are_listed(manager, failed):
    make_messages(1)  # a pending one, filtered out

    response = manager.get(reverse("admin:aftercare_message_changelist"), {"status": "failed"})

    assert response.status_code == 200
    assert b"Mailbox busy" in response.content
    assert failed.client.name.encode() in response.content
    assert response.context["cl"].result_count == 1


def test_messages_are_found_by_the_client_s_email(manager, failed):
    response = manager.get(
        reverse("admin:aftercare_message_changelist"), {"q": failed.client.email}
    )
    assert response.context["cl"].result_count == 1


def test_staff_retry_a_failed_message(manager, failed):
    [sent] = make_messages(1, status=Message.Status.SENT)

    response = manager.post(
        reverse("admin:aftercare_message_changelist"),
        {"action": "retry", "_selected_action": [failed.pk, sent.pk]},
        follow=True,
    )

    assert response.status_code == 200
    failed.refresh_from_db()
    assert (failed.status, failed.attempts) == (Message.Status.PENDING, 0)
    assert Message.objects.get(pk=sent.pk).status == Message.Status.SENT


def test_a_message_page_is_read_only(manager, failed):
    url = reverse("admin:aftercare_message_change", args=[failed.pk])
    response = manager.get(url)
    assert response.status_code == 200
    assert b"Mailbox busy" in response.content
    assert b'name="_save"' not in response.content


def test_staff_edit_a_treatment_s_template(manager):
    treatment = factories.TreatmentFactory(name="Lymphatic drainage facial")

    response = manager.post(
        reverse("admin:aftercare_messagetemplate_add"),
        {
            "kind": Message.Kind.AFTERCARE,
            "treatment": treatment.pk,
            "subject": "After your {{ treatment.name }}",
            "text": "Drink water, {{ client.first_name }}.",
            "html": "",
        },
    )

    assert response.status_code == 302
    assert MessageTemplate.objects.get(treatment=treatment).subject.startswith("After your")


def test_the_client_page_shows_their_messages_in_clinic_time(manager, failed):
    failed.clinic.timezone = "Europe/Paris"
    failed.clinic.save()

    response = manager.get(reverse("admin:clinic_client_change", args=[failed.client.pk]))

    assert response.status_code == 200
    assert b"Mailbox busy" in response.content
    assert b"Mon 01 Mar 2027 09:00" in response.content  # 08:00 UTC


@pytest.mark.parametrize(
    "url",
    [
        "/admin/aftercare/message/?status=%00",
        "/admin/aftercare/message/?q=%00",
        "/admin/aftercare/messagetemplate/?kind=%00",
        "/admin/aftercare/message/?due_at__gte=x",
        "/admin/aftercare/message/%00/change/",
        "/admin/aftercare/message/99999/change/",
    ],
)
def test_odd_queries_never_give_a_500(manager, url):
    # A row that is not there (or is another clinic's) is a 404, as everywhere.
    assert manager.get(url).status_code in (200, 302, 400, 404)
