"""Serializer fields for input the API takes from people and programs: instants that carry
their UTC offset, typed text without control characters, bounded dates, and query strings
that refuse a blank parameter. The rules themselves are in web/text.py."""

import copy
from functools import cache

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.dateparse import parse_datetime
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from clinic.phones import INVALID_PHONE, to_e164
from web.text import (
    EARLIEST_DATE,
    FOREIGN_DIGIT,
    INSTANT_PATTERN,
    LATEST_DATE,
    LINE_CONTROLS,
    TEXT_CONTROLS,
)


class AwareDateTimeField(serializers.Field):
    """An ISO 8601 instant that must carry a UTC offset."""

    default_error_messages = {
        "invalid": "Give an ISO 8601 time with its UTC offset, e.g. 2027-03-29T09:00:00+01:00.",
        "naive": "The time has no UTC offset; add one, e.g. 2027-03-29T09:00:00+01:00.",
        "range": "The time must be between 2000 and 2100.",
    }

    def to_internal_value(self, data):
        if not isinstance(data, str) or not INSTANT_PATTERN.fullmatch(data.strip()):
            self.fail("invalid")
        try:
            value = parse_datetime(data.strip())
        except ValueError:
            value = None
        if value is None:
            self.fail("invalid")
        if value.tzinfo is None or value.utcoffset() is None:
            self.fail("naive")
        if not EARLIEST_DATE <= value.date() <= LATEST_DATE:
            self.fail("range")
        return value

    def to_representation(self, value):
        return value.isoformat()


extend_schema_field(OpenApiTypes.DATETIME)(AwareDateTimeField)


class PlainTextField(serializers.CharField):
    """Text a person typed (a name, a phone number, a note): no control characters, nothing
    that is not valid Unicode (a lone surrogate cannot be stored), and at most max_length
    characters as sent, before surrounding spaces are trimmed, as the schema says. Letters of
    every script, emoji and right-to-left marks are welcome; direction overrides are not."""

    default_error_messages = {
        "control": "Remove the control characters (and any text-direction overrides) from this "
        "text.",
        "encoding": "This text is not valid Unicode.",
    }

    def __init__(self, *, multiline: bool = False, **kwargs):
        self.controls = TEXT_CONTROLS if multiline else LINE_CONTROLS
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if isinstance(data, str):
            if self.max_length is not None and len(data) > self.max_length:
                self.fail("max_length", max_length=self.max_length)
            try:
                data.encode("utf-8")
            except UnicodeEncodeError:
                self.fail("encoding")
            if self.controls.search(data):
                self.fail("control")
        return super().to_internal_value(data)


class PhoneField(PlainTextField):
    """A mobile number as typed, given back in E.164 (clinic/phones.py); "" stays "". A
    number that cannot be read is a 400 with the code invalid_phone."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 40)
        kwargs.setdefault(
            "help_text",
            "A phone number, with its country code (+44 7911 123456) "
            "or as dialled in the installation's country; answered in E.164.",
        )
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        try:
            return to_e164(value)
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.messages[0], code=INVALID_PHONE) from None


def _holds_fields(field: serializers.Field) -> bool:
    """A nested serializer, or a field with a child (a list or dict field, a many-related
    one): its children are bound to it, so it is copied as REST framework copies it."""
    return isinstance(field, serializers.BaseSerializer) or any(
        hasattr(field, name) for name in ("child", "child_relation")
    )


def _attributes_copied(field: serializers.Field) -> serializers.Field:
    """What copy.copy makes of a field (a new instance with the same attributes), without
    its detour through __reduce_ex__."""
    clone = object.__new__(type(field))
    clone.__dict__.update(field.__dict__)
    return clone


class InputSerializer(serializers.Serializer):
    """A serializer whose fields are copied, not rebuilt, for each instance.

    REST framework gives each serializer instance a deep copy of the declared fields, and a
    field's deep copy calls its constructor again with the arguments it was declared with:
    validators made anew, error messages gathered through the class hierarchy. That was a
    half of the booking POST's validation and of the availability query's (0.29 -> 0.13 ms
    and 0.14 -> 0.055 ms). Here a plain field is copied attribute for attribute and
    then bound to this instance as usual, so it gets its own name, parent and label; what
    it shares with the declared field (its validators, its error messages) nothing changes
    after the field is made. A field with children is deep-copied as REST framework does.
    So a field of an instance may still be replaced or removed, but not changed in place
    (its validators appended to): no serializer here does that
    (tests/web/test_input_serializer.py). Which fields are which is worked out once per
    class."""

    def get_fields(self):
        return {
            name: copy.deepcopy(field) if deep else _attributes_copied(field)
            for name, field, deep in _copy_plan(type(self))
        }


@cache
def _copy_plan(cls: type[serializers.Serializer]) -> list[tuple[str, serializers.Field, bool]]:
    """`cls`'s declared fields, each with whether it is deep-copied."""
    return [(name, field, _holds_fields(field)) for name, field in cls._declared_fields.items()]


class QuerySerializer(InputSerializer):
    """For query strings. DRF reads `?name=` as if `name` were absent; a parameter given
    blank is refused instead, unless its field allows blank, so `?treatment=` is a 400."""

    def to_internal_value(self, data):
        blank = {
            name: ["This parameter may not be blank."]
            for name, field in self.fields.items()
            if data.get(name) == "" and not getattr(field, "allow_blank", False)
        }
        if blank:
            raise serializers.ValidationError(blank)
        return super().to_internal_value(data)


class BoundedDateField(serializers.DateField):
    default_error_messages = {"range": "The date must be between 2000-01-01 and 2100-12-31."}

    def __init__(self, **kwargs):
        kwargs.setdefault("input_formats", ["%Y-%m-%d"])
        super().__init__(**kwargs)

    def to_internal_value(self, value):
        if isinstance(value, str) and (len(value) > 20 or FOREIGN_DIGIT.search(value)):
            self.fail("invalid", format="YYYY-MM-DD")
        parsed = super().to_internal_value(value)
        if not EARLIEST_DATE <= parsed <= LATEST_DATE:
            self.fail("range")
        return parsed


CODE_LENGTH = 30  # clinic.models.Term.code


def term_code(help_text: str) -> serializers.SlugField:
    """A code of the organisation's clinical vocabulary (clinic.models.Term): which codes
    exist is data the organisation's managers edit, so the view checks it against the
    organisation's words (clinical/terms.py) and answers an unknown code with a 400."""
    return serializers.SlugField(max_length=CODE_LENGTH, help_text=help_text)
