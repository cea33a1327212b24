"""The unsubscribe page: GET asks, POST (a person or a mail provider's one-click) does it."""

import pytest
from django.test import Client as Browser
from django.urls import reverse

from aftercare.models import Message
from aftercare.services import unsubscribe_token
from bookings.models import MANAGE_TOKEN_SALT
from tests import factories
from tests.aftercare.test_outbox import NOW


@pytest.fixture
def olivia(db):
    return factories.ClientFactory(name="Olivia Turner", email="olivia@example.com")


@pytest.fixture
def browser():
    return Browser(enforce_csrf_checks=True)


def url_for(token: str) -> str:
    return reverse("aftercare:unsubscribe", kwargs={"token": token})


def plan(client, kind) -> Message:
    return Message.objects.create(
        key=f"{client.pk}:{kind}", clinic=client.home_clinic, client=client, kind=kind, due_at=NOW
    )


def test_get_shows_a_form_and_changes_nothing(olivia, browser):
    response = browser.get(url_for(unsubscribe_token(olivia)))

    assert response.status_code == 200
    assert b"olivia@example.com" in response.content
    assert b'<form method="post">' in response.content
    olivia.refresh_from_db()
    assert olivia.unsubscribed_at is None


def test_post_unsubscribes_and_cancels_only_optional_pending_messages(olivia, browser):
    aftercare, reminder = plan(olivia, Message.Kind.AFTERCARE), plan(olivia, Message.Kind.REMINDER)

    response = browser.post(url_for(unsubscribe_token(olivia)))

    assert response.status_code == 200
    assert b"Done" in response.content
    olivia.refresh_from_db()
    assert olivia.unsubscribed_at is not None
    assert Message.objects.get(pk=aftercare.pk).status == Message.Status.CANCELLED
    assert Message.objects.get(pk=reminder.pk).status == Message.Status.PENDING


def test_rfc_8058_one_click_post_works_without_a_csrf_token(olivia, browser):
    response = browser.post(
        url_for(unsubscribe_token(olivia)),
        data="List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status_code == 200
    olivia.refresh_from_db()
    assert olivia.unsubscribed_at is not None


def test_unsubscribing_twice_keeps_the_first_date(olivia, browser):
    browser.post(url_for(unsubscribe_token(olivia)))
    olivia.refresh_from_db()
    first = olivia.unsubscribed_at

    browser.post(url_for(unsubscribe_token(olivia)))

    olivia.refresh_from_db()
    assert olivia.unsubscribed_at == first


@pytest.mark.parametrize(
    "token",
    [
        "nonsense",
        "1:forged-signature",
        "%00",
        "x" * 5000,
    ],
)
def test_a_bad_token_is_a_404_never_a_500(olivia, browser, token):
    assert browser.get(url_for(token)).status_code == 404
    assert browser.post(url_for(token)).status_code == 404


def test_a_token_signed_for_something_else_is_refused(olivia, browser):
    from django.core import signing

    other = signing.Signer(salt=MANAGE_TOKEN_SALT).sign(str(olivia.pk))
    assert browser.post(url_for(other)).status_code == 404


def test_other_methods_are_refused(olivia, browser):
    assert browser.put(url_for(unsubscribe_token(olivia))).status_code == 405
