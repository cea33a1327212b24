"""Signing a consent or intake form from a page: the form built from a version's questions,
and the one call both front ends make (the client's page, the clinic's tablet)."""

from django import forms

from clinic.addresses import client_ip
from clinic.audit import Origin
from consent.models import FormVersion, Submission
from consent.services import FormError, submission_sign

YES_NO = [("yes", "Yes"), ("no", "No")]


class SignForm(forms.Form):
    """One field per question (an "injections" question: a date per kind), the agreement,
    and the signature: drawn on the canvas (a PNG data URL in `drawn`) or typed."""

    agree = forms.BooleanField(label="I have read this form, my answers are true, and I agree.")
    drawn = forms.CharField(required=False, widget=forms.HiddenInput)
    typed_name = forms.CharField(
        required=False,
        max_length=200,
        label="Or type your full name as your signature",
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )

    def __init__(self, *args, version: FormVersion, **kwargs):
        super().__init__(*args, **kwargs)
        self.version = version
        questions = {}
        for q in version.questions:
            options = [(str(o["value"]), o["label"]) for o in q.get("options", [])]
            if q["type"] == "yes_no":
                questions[f"q_{q['key']}"] = forms.ChoiceField(
                    label=q["label"], choices=YES_NO, widget=forms.RadioSelect
                )
            elif q["type"] == "text":
                questions[f"q_{q['key']}"] = forms.CharField(
                    label=q["label"],
                    required=q.get("required", False),
                    max_length=2000,
                    widget=forms.Textarea(attrs={"rows": 3}),
                )
            elif q["type"] == "conditions":
                questions[f"q_{q['key']}"] = forms.MultipleChoiceField(
                    label=q["label"],
                    choices=options,
                    required=False,
                    widget=forms.CheckboxSelectMultiple,
                )
            elif q["type"] == "injections":
                for value, label in options:
                    questions[f"q_{q['key']}__{value}"] = forms.DateField(
                        label=f"{q['label']}: {label}",
                        required=False,
                        help_text="The date of the last one; leave empty if never.",
                        widget=forms.DateInput(attrs={"type": "date"}),
                    )
        # The questions first, then the agreement and the signature.
        self.fields = {**questions, **self.fields}

    def question_fields(self):
        return [self[name] for name in self.fields if name.startswith("q_")]

    def answers(self) -> dict:
        data = self.cleaned_data
        answers = {}
        for q in self.version.questions:
            if q["type"] == "injections":
                answers[q["key"]] = {
                    str(o["value"]): data[f"q_{q['key']}__{o['value']}"].isoformat()
                    for o in q.get("options", [])
                    if data.get(f"q_{q['key']}__{o['value']}")
                }
            else:
                answers[q["key"]] = data.get(f"q_{q['key']}")
        return answers

    def field_for(self, key: str) -> str | None:
        return next((n for n in self.fields if n == f"q_{key}" or n.startswith(f"q_{key}__")), None)


def sign_from_page(
    request, form: SignForm, *, appointment, channel: str, via: str
) -> Submission | None:
    """Sign `form`'s version for the appointment's client with what the request says of its
    sender (address, browser); None with the refusal on the form if the input is refused."""
    if not form.is_valid():
        return None
    data = form.cleaned_data
    try:
        return submission_sign(
            client=appointment.client,
            clinic=appointment.clinic,
            version=form.version,
            answers=form.answers(),
            drawn=data["drawn"],
            typed_name=data["typed_name"],
            ip_address=client_ip(request),
            user_agent=request.META.get("HTTP_USER_AGENT", ""),
            channel=channel,
            appointment=appointment,
            by=request.user,
            origin=Origin.of(request, via=via, clinic=appointment.clinic),
        )
    except FormError as refusal:
        field = form.field_for(refusal.field) if refusal.field else None
        if refusal.code == "invalid_signature":
            field = "typed_name"
        form.add_error(field, refusal.detail)
        return None
