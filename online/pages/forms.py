"""The forms of the booking pages: the time chosen, the client's details and health answers,
the acknowledgement of warnings, a cancellation; and the draft of what the client typed,
kept in their session so a refusal or a taken slot never makes them type it again.

Every form renders through public/forms/field.html, which ties hints and errors to their
field (aria-describedby) the way Django's own field template does.
"""

import time

from django import forms
from django.conf import settings
from django.core.validators import RegexValidator
from django.forms.renderers import DjangoTemplates
from django.utils import timezone
from django.utils.datastructures import MultiValueDict
from django.utils.dateparse import parse_datetime

from aftercare.planning import sms_enabled
from clinic.models import Clinic, Practitioner, Treatment
from clinical.rules import Declared, HealthQuestions
from clinical.services import InjectionDateInFuture, injection_date_check
from clinical.vocabulary import AREA, CONDITION, PROCEDURE, Vocabulary
from web.forms import DateField, PhoneField
from web.text import EARLIEST_DATE, INSTANT_PATTERN, LATEST_DATE, LINE_CONTROLS, TEXT_CONTROLS

DRAFT_KEY = "booking_draft"


def without_controls(controls) -> RegexValidator:
    """Refuse what the API refuses in typed text: control characters (LINE_CONTROLS for one
    line, TEXT_CONTROLS where newlines belong)."""
    return RegexValidator(
        controls,
        "Remove the control characters (and any text-direction overrides) from this text.",
        inverse_match=True,
    )


class PageRenderer(DjangoTemplates):
    field_template_name = "online/forms/field.html"


class PageForm(forms.Form):
    # One renderer (and so one template engine) for every form: given the class, Django
    # builds a renderer, and with it a fresh engine, for each form instance.
    default_renderer = PageRenderer()
    # Shorter names than the labels for the error summary, where a label is a question.
    summary_names: dict[str, str] = {}

    def error_summary(self) -> list[tuple[str, str]]:
        """(element id, message) for each error, for the summary at the top of the page."""
        found = [("", message) for message in self.non_field_errors()]
        for bound in self:
            name = self.summary_names.get(bound.name, bound.label)
            for message in bound.errors:
                target = bound.auto_id + ("_0" if bound.use_fieldset else "")
                found.append((target, f"{name}: {message}"))
        return found


class InstantField(forms.Field):
    """An ISO 8601 instant with its UTC offset, as the slot links carry it."""

    default_error_messages = {"invalid": "Choose a time from the calendar."}

    def to_python(self, value):
        value = value.strip() if isinstance(value, str) else ""
        if not value:
            return None
        if len(value) > 40 or not INSTANT_PATTERN.fullmatch(value):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        try:
            instant = parse_datetime(value)
        except ValueError:
            instant = None
        if instant is None or instant.utcoffset() is None:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        if not EARLIEST_DATE <= instant.date() <= LATEST_DATE:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return instant


class SlotChoiceForm(PageForm):
    """The time the client picked and, optionally, the practitioner they asked for."""

    start = InstantField(widget=forms.HiddenInput)
    practitioner = forms.ModelChoiceField(
        queryset=Practitioner.objects.none(), required=False, widget=forms.HiddenInput
    )

    def __init__(self, *args, treatment: Treatment, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["practitioner"].queryset = offering(treatment)


def offering(treatment: Treatment):
    return Practitioner.objects.filter(
        clinic=treatment.clinic, active=True, treatments=treatment
    ).order_by("name")


class CalendarQuery(PageForm):
    """The calendar's address: the day to show and the practitioner (blank: anyone). Values
    that do not parse are dropped, never an error page."""

    day = DateField(required=False, input_formats=["%Y-%m-%d"])
    practitioner = forms.ModelChoiceField(
        queryset=Practitioner.objects.none(), required=False, empty_label="Anyone"
    )

    def __init__(self, *args, treatment: Treatment, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["practitioner"].queryset = offering(treatment)
        self.fields["practitioner"].label = "Practitioner"

    def value(self, name: str):
        self.is_valid()
        return self.cleaned_data.get(name) if name not in self.errors else None


class DetailsForm(PageForm):
    summary_names = {"had_injectable": "Recent treatments", "conditions": "Health conditions"}

    name = forms.CharField(
        label="Full name",
        max_length=200,
        validators=[without_controls(LINE_CONTROLS)],
        error_messages={"required": "Enter your full name."},
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    email = forms.EmailField(
        label="Email address",
        max_length=254,
        error_messages={
            "required": "Enter your email address.",
            "invalid": "Enter an email address like name@example.com.",
        },
        help_text="We use it only for this booking and its aftercare.",
        widget=forms.EmailInput(attrs={"autocomplete": "email", "spellcheck": "false"}),
    )
    phone = PhoneField(
        label="Mobile phone (optional)",
        validators=[without_controls(LINE_CONTROLS)],
        help_text="So the clinic can reach you if something changes on the day.",
        widget=forms.TextInput(attrs={"autocomplete": "tel", "type": "tel"}),
    )
    sms_reminders = forms.BooleanField(
        label="Text me a reminder before my visit",
        required=False,
        help_text="To the mobile number above. Reply STOP to any text to stop them.",
    )
    had_injectable = forms.ChoiceField(
        choices=[("no", "No"), ("yes", "Yes")],
        widget=forms.RadioSelect,
        error_messages={"required": "Answer yes or no."},
    )
    conditions = forms.MultipleChoiceField(
        label="Do any of these apply to you?",
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    no_conditions = forms.BooleanField(label="None of these apply to me", required=False)

    def __init__(self, *args, questions: HealthQuestions, **kwargs):
        super().__init__(*args, **kwargs)
        self.questions = questions
        if not sms_enabled():  # no texts are sent here: do not offer them
            del self.fields["sms_reminders"]
        if questions.injectable_kinds:
            words = [questions.words.word(PROCEDURE, k).asked for k in questions.injectable_kinds]
            listed = ", ".join(words[:-1]) + (" or " if len(words) > 1 else "") + words[-1]
            question = f"In the last {questions.weeks} weeks, have you had {listed} on your face?"
            self.fields["had_injectable"].label = question
        else:
            del self.fields["had_injectable"]
        if questions.conditions:
            self.fields["conditions"].choices = [
                (c, questions.words.word(CONDITION, c).asked) for c in questions.conditions
            ]
        else:
            del self.fields["conditions"], self.fields["no_conditions"]

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("sms_reminders") and not cleaned.get("phone") and "phone" not in self.errors:
            self.add_error("phone", "Give your mobile number to get text reminders.")
        if self.questions.conditions:
            ticked, none = cleaned.get("conditions"), cleaned.get("no_conditions")
            if not ticked and not none:
                self.add_error(
                    "conditions", "Tick the ones that apply, or “None of these apply to me”."
                )
            elif ticked and none:
                self.add_error(
                    "conditions", "You ticked a condition and “None of these”: untick one."
                )
        return cleaned


class InjectableForm(PageForm):
    kind = forms.ChoiceField(
        label="Treatment", error_messages={"required": "Choose the treatment you had."}
    )
    date = DateField(
        label="Date of the treatment",
        error_messages={
            "required": "Enter the date you had it.",
            "invalid": "Enter a real date, for example 27/3/2027.",
        },
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    areas = forms.MultipleChoiceField(
        label="Where on your face? (optional)",
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, kinds: tuple[str, ...], clinic: Clinic, words: Vocabulary, **kwargs):
        super().__init__(*args, **kwargs)
        self.clinic = clinic
        today = timezone.localdate(timezone=clinic.tzinfo)
        self.fields["kind"].choices = [("", "Choose…")] + [
            (k, words.name(PROCEDURE, k)) for k in kinds
        ]
        self.fields["areas"].choices = words.choices(AREA)
        self.fields["date"].widget.attrs["max"] = today.isoformat()

    def clean_areas(self):
        return list(dict.fromkeys(self.cleaned_data["areas"]))

    def clean_date(self):
        day = self.cleaned_data["date"]
        try:
            injection_date_check(day, clinic=self.clinic)
        except InjectionDateInFuture:
            raise forms.ValidationError("The date can’t be in the future.") from None
        if day < EARLIEST_DATE:
            raise forms.ValidationError("Give a date after 2000.")
        return day


INJECTABLES = "injectable"  # the formset's prefix
INJECTABLE_ROWS = 2
InjectableFormSet = forms.formset_factory(
    InjectableForm,
    extra=INJECTABLE_ROWS,
    max_num=INJECTABLE_ROWS,
    validate_max=True,
    absolute_max=INJECTABLE_ROWS,
)


class BookingDetails:
    """The details step: who the client is and their health answers (a form and, when the
    treatment has waiting rules, two rows of injectables), validated together."""

    def __init__(self, treatment: Treatment, questions: HealthQuestions, data=None, initial=None):
        self.questions = questions
        self.form = DetailsForm(data, initial=initial, questions=questions)
        self.injectables = None
        if questions.injectable_kinds:
            self.injectables = InjectableFormSet(
                data,
                prefix=INJECTABLES,
                form_kwargs={
                    "kinds": questions.injectable_kinds,
                    "clinic": treatment.clinic,
                    "words": questions.words,
                },
            )

    @property
    def declares_injectables(self) -> bool:
        return self.injectables is not None and self.form.cleaned_data.get("had_injectable") == (
            "yes"
        )

    def is_valid(self) -> bool:
        valid = self.form.is_valid()
        if not self.declares_injectables:
            return valid  # "No": the rows below the question are ignored
        if not self.injectables.is_valid():
            return False
        if not self._filled_rows():
            self.injectables.forms[0].add_error(
                "kind", "You answered yes: choose the treatment you had and give its date."
            )
            return False
        return valid

    def _filled_rows(self) -> list[dict]:
        return [row for row in self.injectables.cleaned_data if row]

    def client_fields(self) -> dict:
        data = self.form.cleaned_data
        return {"name": data["name"], "email": data["email"], "phone": data.get("phone", "")}

    def sms_opt_in(self) -> bool:
        """They ticked "text me a reminder" (offered only while SMS is configured)."""
        return bool(self.form.cleaned_data.get("sms_reminders"))

    def declared(self) -> Declared:
        injectables = []
        if self.declares_injectables:
            injectables = [
                {"kind": row["kind"], "date": row["date"], "areas": row["areas"]}
                for row in self._filled_rows()
            ]
        return Declared(
            injectables=injectables, conditions=list(self.form.cleaned_data.get("conditions", []))
        )

    def error_summary(self) -> list[tuple[str, str]]:
        found = self.form.error_summary()
        if self.injectables is not None and self.injectables.is_bound:
            found += [("", message) for message in self.injectables.non_form_errors()]
            for number, row in enumerate(self.injectables.forms, start=1):
                found += [
                    (target, f"Injectable {number}, {message[0].lower()}{message[1:]}")
                    for target, message in row.error_summary()
                ]
        return found


class AcknowledgeForm(PageForm):
    acknowledge = forms.BooleanField(
        label="I have read this and I want to go ahead",
        error_messages={"required": "Tick the box to confirm you have read this."},
    )


class CancelForm(PageForm):
    reason = forms.CharField(
        label="Reason (optional)",
        required=False,
        max_length=1000,
        validators=[without_controls(TEXT_CONTROLS)],
        help_text="It helps the clinic, but you don’t have to say.",
        widget=forms.Textarea(attrs={"rows": 3}),
    )


# The draft: what the client typed on the details step, kept in their session -----------


MANAGEMENT_FIELDS = ("TOTAL_FORMS", "INITIAL_FORMS", "MIN_NUM_FORMS", "MAX_NUM_FORMS")
# What the draft keeps of a POST: the answers, nothing else a request may carry.
ANSWER_NAMES = {
    *DetailsForm.base_fields,
    *(f"{INJECTABLES}-{name}" for name in MANAGEMENT_FIELDS),
    *(
        f"{INJECTABLES}-{row}-{name}"
        for row in range(INJECTABLE_ROWS)
        for name in InjectableForm.base_fields
    ),
}


def draft_save(session, *, treatment: Treatment, data) -> None:
    answers = {key: data.getlist(key) for key in data if key in ANSWER_NAMES}
    session[DRAFT_KEY] = {
        "treatment": treatment.slug,
        "answers": answers,
        "saved_at": int(time.time()),
    }


def _draft(session) -> dict | None:
    """The visit's draft, while it is fresh. Someone's name, email and health answers must
    not greet the next person at a shared computer: a draft lasts DRAFT_MINUTES from the
    last time it was saved (the session itself lasts much longer), and signing in or out
    clears it (online/pages/visits.py)."""
    draft = session.get(DRAFT_KEY)
    if not isinstance(draft, dict):
        return None
    saved_at = draft.get("saved_at")
    if not isinstance(saved_at, int) or time.time() - saved_at > settings.DRAFT_MINUTES * 60:
        session.pop(DRAFT_KEY, None)
        return None
    return draft


def draft_answers(session, *, treatment: Treatment) -> MultiValueDict | None:
    """The answers typed for this treatment, as form data; None if there are none."""
    draft = _draft(session)
    if draft is None or draft.get("treatment") != treatment.slug:
        return None
    return MultiValueDict(draft.get("answers") or {})


def draft_contact(session) -> dict:
    """Name, email and phone from a draft for another treatment, to start a new form with."""
    answers = (_draft(session) or {}).get("answers") or {}
    return {key: answers[key][0] for key in ("name", "email", "phone") if answers.get(key)}


def draft_clear(session) -> None:
    session.pop(DRAFT_KEY, None)
