"""Input serializers whose fields are copied, not rebuilt, for each instance
(web/api/fields.py InputSerializer): each instance binds its own fields, the declared ones
stay as declared, fields with children are deep copies, and the answers are REST
framework's own for valid and invalid input alike."""

import copy

import pytest
from rest_framework import serializers

from online.api.serializers import AvailabilityQuery, BookingInput, HealthDeclarationInput
from web.api.fields import InputSerializer

pytestmark = pytest.mark.django_db

BOOKINGS = [
    {"treatment": "signature-facial", "start": "2027-03-02T10:00:00+00:00"},
    {
        "treatment": "signature-facial",
        "start": "2027-03-02T10:00:00+01:00",
        "practitioner": 3,
        "client": {"name": "Ada Lovelace", "email": "ada@example.com", "phone": ""},
        "health": {
            "injectables": [{"kind": "filler", "date": "2027-02-20", "areas": ["lips"]}],
            "conditions": ["pregnancy"],
        },
        "acknowledge_warnings": True,
        "notes": "Prefers the window room.",
        "sms_opt_in": "true",
    },
    {},
    {"treatment": "", "start": "2027-03-02T10:00:00", "practitioner": 0},
    {"treatment": "x" * 51, "start": "tomorrow", "practitioner": 2**31, "course": -1},
    {"treatment": "ok", "start": "2027-03-02T10:00:00Z", "client": {"name": "", "email": "no"}},
    {"treatment": "ok", "start": "2027-03-02T10:00:00Z", "health": {"injectables": [{}] * 2}},
    {"treatment": "ok", "start": "2027-03-02T10:00:00Z", "discount": {"reason": "friend"}},
    {"treatment": "ok", "start": "2027-03-02T10:00:00Z", "notes": "a\x00b"},
]
QUERIES = [
    {"treatment": "signature-facial", "from": "2027-03-01", "to": "2027-03-14"},
    {"treatment": "", "from": "2027-03-01", "to": "2027-02-01"},
    {"treatment": "signature-facial", "from": "1999-12-31", "to": "soon", "practitioner": "x"},
    {},
]


def _rebuilt(cls: type[serializers.Serializer]) -> type[serializers.Serializer]:
    """`cls` with REST framework's own get_fields (a deep copy of every field)."""
    return type(cls.__name__, (cls,), {"get_fields": serializers.Serializer.get_fields})


def _answer(serializer: serializers.Serializer):
    valid = serializer.is_valid()
    return valid, (serializer.validated_data if valid else serializer.errors)


@pytest.mark.parametrize(
    "cls, data",
    [(BookingInput, body) for body in BOOKINGS] + [(AvailabilityQuery, q) for q in QUERIES],
)
def test_the_answer_is_rest_frameworks_own(cls, data):
    assert issubclass(cls, InputSerializer)
    assert _answer(cls(data=data)) == _answer(_rebuilt(cls)(data=data))


def test_each_instance_binds_its_own_fields_and_the_declared_ones_stay_unbound():
    first, second = BookingInput(data=BOOKINGS[1]), BookingInput(data=BOOKINGS[0])
    assert first.is_valid() and second.is_valid()
    for name, declared in BookingInput._declared_fields.items():
        mine, theirs = first.fields[name], second.fields[name]
        assert mine is not declared and mine is not theirs
        assert (mine.parent, theirs.parent) == (first, second)
        assert mine.field_name == theirs.field_name == name
        assert declared.parent is None and declared.field_name is None
    # A plain field shares what is never changed once made: its validators.
    assert (
        first.fields["treatment"].validators
        is BookingInput._declared_fields["treatment"].validators
    )


def test_a_field_with_children_is_a_deep_copy_bound_to_its_own_serializer():
    first, second = BookingInput(data=BOOKINGS[1]), BookingInput(data=BOOKINGS[1])
    assert first.is_valid() and second.is_valid()
    health = first.fields["health"]
    assert isinstance(health, HealthDeclarationInput)
    assert health is not second.fields["health"]
    injectables = health.fields["injectables"]
    assert injectables is not second.fields["health"].fields["injectables"]
    assert injectables.child is not second.fields["health"].fields["injectables"].child
    assert injectables.parent is health and health.parent is first
    assert injectables.child.root is first


def test_a_field_replaced_on_one_instance_is_not_replaced_on_another():
    first = BookingInput(data=BOOKINGS[0])
    first.fields["notes"] = serializers.CharField(required=True)
    assert not first.is_valid() and "notes" in first.errors
    assert BookingInput(data=BOOKINGS[0]).is_valid()
    assert copy.copy(BookingInput._declared_fields["notes"]).required is False
