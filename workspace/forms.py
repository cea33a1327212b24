"""The workspace's forms: what staff type, checked before a service sees it."""

from django import forms

from clinic.models import Practitioner, Treatment
from clinical import terms
from clinical.services import InjectionDateInFuture, injection_date_check
from clinical.vocabulary import AREA, PROCEDURE, InjectableKind
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
