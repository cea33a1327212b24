"""Date and time fields for the pages' forms: Django's, refusing digits other than 0-9 with
their usual "Enter a valid date" (web/text.py, FOREIGN_DIGIT)."""

from django import forms
from django.core.exceptions import ValidationError

from clinic.phones import INVALID_PHONE, to_e164
from web.text import FOREIGN_DIGIT


class _AsciiDigits:
    def to_python(self, value):
        if isinstance(value, str) and FOREIGN_DIGIT.search(value):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return super().to_python(value)


class DateField(_AsciiDigits, forms.DateField):
    pass


class DateTimeField(_AsciiDigits, forms.DateTimeField):
    pass


class TimeField(_AsciiDigits, forms.TimeField):
    pass


def refuse_foreign_digits(field: forms.Field) -> forms.Field:
    """`field` (a date, time or date-and-time form field, the admin's split one included,
    built elsewhere) made to refuse digits other than 0-9 as the fields above do: Python's
    parsers read full-width or Arabic-Indic digits as numbers."""
    for part in (field, *getattr(field, "fields", ())):
        if isinstance(part, forms.DateField | forms.TimeField | forms.DateTimeField):
            part.to_python = _refusing(part, part.to_python)
    return field


def _refusing(field: forms.Field, to_python):
    def checked(value):
        if isinstance(value, str) and FOREIGN_DIGIT.search(value):
            raise forms.ValidationError(field.error_messages["invalid"], code="invalid")
        return to_python(value)

    return checked


class PhoneField(forms.CharField):
    """A mobile number as typed, cleaned to E.164 (clinic/phones.py); "" stays ""."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 40)
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def clean(self, value):
        value = super().clean(value)
        try:
            return to_e164(value)
        except ValidationError as error:
            raise forms.ValidationError(error.messages[0], code=INVALID_PHONE) from None
