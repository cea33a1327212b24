"""The workspace's forms: what staff type, checked before a service sees it."""

from django import forms

from clinic.models import Practitioner, Treatment
from clinical import terms
from clinical.services import InjectionDateInFuture, injection_date_check
from clinical.vocabulary import AREA, PROCEDURE, InjectableKind
from courses.models import ClientCourse
from web.forms import DateField, DateTimeField

SPANS = [("day", "Day"), ("week", "Week")]


class InjectableForm(forms.Form):
    """An injectable given here or elsewhere; the areas come from the face diagram, whose
    regions tick these same checkboxes."""

    kind = forms.ChoiceField(label="Procedure", initial=InjectableKind.FILLER)
    date = DateField(widget=forms.DateInput(attrs={"type": "date"}))
    areas = forms.MultipleChoiceField(widget=forms.CheckboxSelectMultiple, required=False)
    product = forms.CharField(max_length=120, required=False)
    lot_number = forms.CharField(label="Lot / batch number", max_length=60, required=False)
    amount = forms.DecimalField(max_digits=6, decimal_places=2, min_value=0, required=False)
    amount_unit = forms.ChoiceField(
        choices=[("", "-"), ("ml", "mL"), ("units", "units")], required=False
    )
    given_here = forms.BooleanField(label="Given at this clinic", required=False)
    given_at = forms.CharField(label="Given where, if elsewhere", max_length=200, required=False)
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)

    def __init__(self, *args, clinic, **kwargs):
        super().__init__(*args, **kwargs)
        self.clinic = clinic
        self.words = terms.vocabulary_for(clinic.organisation_id)
        self.fields["kind"].choices = self.words.choices(PROCEDURE)
        self.fields["areas"].choices = self.words.choices(AREA)

    def clean_date(self):
        day = self.cleaned_data["date"]
        try:
            injection_date_check(day, clinic=self.clinic)
        except InjectionDateInFuture as refusal:
            raise forms.ValidationError(str(refusal)) from None
        return day


class SlotQueryForm(forms.Form):
    """Which treatment, day and practitioner to list free slots for."""

    treatment = forms.ModelChoiceField(queryset=Treatment.objects.none(), to_field_name="slug")
    date = DateField(widget=forms.DateInput(attrs={"type": "date"}))
    practitioner = forms.ModelChoiceField(
        queryset=Practitioner.objects.none(), required=False, empty_label="Anyone free"
    )

    def __init__(self, *args, clinic, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["treatment"].queryset = Treatment.objects.filter(clinic=clinic, active=True)
        self.fields["practitioner"].queryset = Practitioner.objects.filter(
            clinic=clinic, active=True
        )


class BookingForm(forms.Form):
    """The slot picked, and what staff say about the rules: warnings gone through with the
    client, or (with the override permission) why they book past a refusal."""

    start = DateTimeField()
    practitioner = forms.ModelChoiceField(queryset=Practitioner.objects.none(), required=False)
    acknowledge_warnings = forms.BooleanField(
        label="I have gone through these warnings with the client", required=False
    )
    override_reason = forms.CharField(
        label="Reason for booking past the rule",
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        max_length=2000,
    )

    def __init__(self, *args, clinic, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["practitioner"].queryset = Practitioner.objects.filter(clinic=clinic)


class PriceForm(forms.Form):
    """How a booking made at the desk is paid for: a session of one of the client's courses
    for the treatment, or a discount (an amount or a percentage, with a reason)."""

    course = forms.ModelChoiceField(
        queryset=ClientCourse.objects.none(),
        required=False,
        empty_label="No: the client pays for this visit",
        label="Use a course session",
    )
    discount = forms.DecimalField(
        label="Discount (amount)", required=False, min_value=0, max_digits=8, decimal_places=2
    )
    discount_percent = forms.DecimalField(
        label="or discount (%)", required=False, min_value=0, max_value=100, decimal_places=2
    )
    discount_reason = forms.CharField(
        label="Reason for the discount", required=False, max_length=200
    )

    def __init__(self, *args, courses, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["course"].queryset = ClientCourse.objects.filter(pk__in=[c.pk for c in courses])
        self.fields["course"].label_from_instance = lambda c: f"{c.name} ({c.clinic.name})"

    def clean(self):
        data = super().clean()
        if data.get("discount") and data.get("discount_percent"):
            raise forms.ValidationError("Give the discount as an amount or a percentage.")
        if data.get("course") and (data.get("discount") or data.get("discount_percent")):
            raise forms.ValidationError("A course session pays for the whole visit: no discount.")
        return data

    def booking_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            "course": data.get("course"),
            "discount": data.get("discount") or 0,
            "discount_percent": data.get("discount_percent"),
            "discount_reason": data.get("discount_reason") or "",
        }


class SheetQueryForm(forms.Form):
    date = DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    practitioner = forms.ModelChoiceField(
        queryset=Practitioner.objects.none(), required=False, empty_label="Whole clinic"
    )
    span = forms.ChoiceField(choices=SPANS, required=False)

    def __init__(self, *args, clinic, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["practitioner"].queryset = Practitioner.objects.filter(
            clinic=clinic, active=True
        )
