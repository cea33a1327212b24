"""Dates and times are written with ASCII digits: full-width (２０２７) and other scripts'
digits, which Python's parsers read as numbers, get the field's usual invalid-date error in
every form and serializer that takes one, and on the API a 400 `invalid_input`."""

import pytest
from django.core.exceptions import ValidationError as FormError
from rest_framework.exceptions import ValidationError as ApiError
from rest_framework.test import APIClient

from online.api import serializers as public
from online.pages import forms as pages
from workspace import forms as staff
from workspace.api import serializers as staff_api

FOREIGN = ["２０２７-03-01", "٢٠٢٧-٠٣-٠١", "2027-0３-01", "२०२७-03-01"]


def form_field(form_class, name):
    return form_class.base_fields[name]


# Every date or time field people type into, as a form or serializer declares it.
FIELDS = [
    ("pages: injection date", form_field(pages.InjectableForm, "date"), "2027-03-01"),
    ("pages: calendar day", form_field(pages.CalendarQuery, "day"), "2027-03-01"),
    ("staff: injection date", form_field(staff.InjectableForm, "date"), "2027-03-01"),
    ("staff: slot query date", form_field(staff.SlotQueryForm, "date"), "2027-03-01"),
    ("staff: day sheet date", form_field(staff.SheetQueryForm, "date"), "2027-03-01"),
    ("staff: booking start", form_field(staff.BookingForm, "start"), "2027-03-01T10:00"),
    ("API: availability from", public.AvailabilityQuery().fields["from"], "2027-03-01"),
    ("API: injection date", public.InjectableInput().fields["date"], "2027-03-01"),
    ("staff API: injection", staff_api.InjectableCreateInput().fields["date"], "2027-03-01"),
    ("staff API: day", staff_api.DayQuery().fields["date"], "2027-03-01"),
    ("staff API: eligibility", staff_api.EligibilityQuery().fields["date"], "2027-03-01"),
]


def accepts(field, value) -> bool:
    try:
        if hasattr(field, "to_internal_value"):
            field.to_internal_value(value)
        else:
            field.clean(value)
    except (FormError, ApiError):
        return False
    return True


@pytest.mark.parametrize("what,field,good", FIELDS, ids=[f[0] for f in FIELDS])
def test_dates_with_other_digits_than_ascii_are_invalid(what, field, good):
    assert accepts(field, good)
    refused = [value + good[10:] for value in FOREIGN if not accepts(field, value + good[10:])]
    assert refused == [value + good[10:] for value in FOREIGN], what


def test_the_api_answers_full_width_digits_with_its_invalid_date_error(cast):
    api = APIClient()
    api.force_authenticate(cast.users["mia"])

    response = api.get("/api/v1/appointments/", {"date": "２０２７-03-01"})

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_input"
    assert response.json()["fields"]["date"] == [
        "Date has wrong format. Use one of these formats instead: YYYY-MM-DD."
    ]
