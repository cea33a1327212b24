"""Date and time fields for the pages' forms: Django's, refusing digits other than 0-9 with
their usual "Enter a valid date" (web/text.py, FOREIGN_DIGIT)."""

from django import forms

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
