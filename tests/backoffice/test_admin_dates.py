"""The admin's date and time fields take the digits 0-9 only, as the pages and the API do:
Python's parsers would read full-width (２０２７) or Arabic-Indic digits as numbers."""

import pytest
from django.test import Client as Browser

from clinic.models import TimeOff
from tests import factories


@pytest.fixture
def admin_browser(world):
    browser = Browser()
    browser.force_login(factories.UserFactory(username="root", is_staff=True, is_superuser=True))
    return browser


def time_off(world, **fields) -> dict:
    return {
        "practitioner": world.practitioner.pk,
        "start_0": "2027-03-02",
        "start_1": "10:00",
        "end_0": "2027-03-02",
        "end_1": "12:00",
        "reason": "Training",
        **fields,
    }


@pytest.mark.parametrize(
    "fields",
    [
        {"start_0": "２０２７-03-02"},  # full-width year
        {"end_1": "١٢:00"},  # Arabic-Indic hour
    ],
    ids=["full-width date", "arabic-indic time"],
)
def test_time_off_typed_with_other_digits_is_refused(world, admin_browser, fields):
    response = admin_browser.post("/admin/clinic/timeoff/add/", time_off(world, **fields))

    assert response.status_code == 200  # the form again, with its error
    errors = response.context["adminform"].form.errors
    assert any("valid" in message for messages in errors.values() for message in messages)
    assert not TimeOff.objects.exists()


def test_time_off_typed_with_ascii_digits_is_stored(world, admin_browser):
    response = admin_browser.post("/admin/clinic/timeoff/add/", time_off(world))

    assert response.status_code == 302, response.context["adminform"].form.errors
    assert TimeOff.objects.get().reason == "Training"
