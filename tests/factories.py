"""factory_boy factories: the one place tests build clinic records."""

from datetime import time
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model

from clinic.identity import client_login
from clinic.models import (
    Client,
    Clinic,
    Membership,
    OpeningHours,
    Organisation,
    Practitioner,
    Resource,
    ResourceKind,
    Treatment,
    TreatmentCategory,
    WorkingHours,
)
from clinical.models import HealthDeclaration, InjectableRecord
from clinical.vocabulary import RecordSource
from consent.models import FormRule, FormTemplate, Submission
from consent.selectors import versions_to_sign
from consent.services import form_version_publish, submission_sign


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.PostGenerationMethodCall("set_password", "pw-for-tests-1")

    @factory.post_generation
    def save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class StaffFactory(UserFactory):
    """A staff account with a role (access/roles.py) at `clinics` (every clinic that exists
    when it is made, unless said): the front desk unless `roles` says otherwise; `roles=[]`
    is a staff account with no role, which may do nothing. With several roles, the first
    that a clinic's membership can hold wins (one role per clinic)."""

    is_staff = True

    @factory.post_generation
    def roles(obj, create, extracted, **kwargs):
        if not create:
            return
        roles = [Membership.Role.FRONT_DESK] if extracted is None else list(extracted)
        if not roles:
            return
        clinics = getattr(obj, "_factory_clinics", None)
        if clinics is None:
            clinics = Clinic.objects.all()
        for clinic in clinics:
            Membership.objects.get_or_create(user=obj, clinic=clinic, defaults={"role": roles[0]})

    @classmethod
    def _create(cls, model_class, *args, clinics=None, **kwargs):
        user = super()._create(model_class, *args, **kwargs)
        user._factory_clinics = clinics
        return user


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Organisation {n}")
    slug = factory.Sequence(lambda n: f"organisation-{n}")


class ClinicFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Clinic

    organisation = factory.SubFactory(OrganisationFactory)
    name = factory.Sequence(lambda n: f"Clinic {n}")
    slug = factory.Sequence(lambda n: f"clinic-{n}")
    timezone = "Europe/London"
    phone = "020 7946 0000"
    slot_step_minutes = 15
    min_notice_minutes = 120
    max_advance_days = 90
    cancellation_window_hours = 24


class OpeningHoursFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OpeningHours

    clinic = factory.SubFactory(ClinicFactory)
    weekday = 0
    opens = time(9, 0)
    closes = time(18, 0)


class ResourceKindFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ResourceKind
        django_get_or_create = ("slug",)

    slug = "treatment-room"
    name = factory.LazyAttribute(lambda k: k.slug.replace("-", " ").capitalize())


class ResourceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Resource

    clinic = factory.SubFactory(ClinicFactory)
    kind = factory.SubFactory(ResourceKindFactory)
    name = factory.Sequence(lambda n: f"Room {n}")


class TreatmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Treatment
        skip_postgeneration_save = True

    clinic = factory.SubFactory(ClinicFactory)
    slug = factory.Sequence(lambda n: f"treatment-{n}")
    name = factory.Sequence(lambda n: f"Treatment {n}")
    category = TreatmentCategory.FACIAL_MASSAGE
    duration_minutes = 60
    buffer_after_minutes = 0
    price = Decimal("95.00")

    @factory.post_generation
    def kinds(obj, create, extracted, **kwargs):
        if create and extracted:
            obj.required_resource_kinds.set(extracted)


class PractitionerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Practitioner
        skip_postgeneration_save = True

    clinic = factory.SubFactory(ClinicFactory)
    name = factory.Sequence(lambda n: f"Practitioner {n}")

    @factory.post_generation
    def treatments(obj, create, extracted, **kwargs):
        if create and extracted:
            obj.treatments.set(extracted)


class WorkingHoursFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WorkingHours

    practitioner = factory.SubFactory(PractitionerFactory)
    weekday = 0
    starts = time(9, 0)
    ends = time(18, 0)


class ClientFactory(factory.django.DjangoModelFactory):
    """A client of `clinic`'s organisation, with `clinic` as their home clinic."""

    class Meta:
        model = Client

    class Params:
        clinic = factory.SubFactory(ClinicFactory)

    organisation = factory.SelfAttribute("clinic.organisation")
    home_clinic = factory.SelfAttribute("clinic")
    name = factory.Sequence(lambda n: f"Client {n}")
    email = factory.Sequence(lambda n: f"client{n}@example.com")
    phone = "07700 900000"
    # As in the product (clinic/identity.py): every client has the login of their address.
    user = factory.LazyAttribute(lambda client: client_login(client.email))


class InjectableRecordFactory(factory.django.DjangoModelFactory):
    """Filler recorded by staff; pass kind, date and areas as the test needs."""

    class Meta:
        model = InjectableRecord

    client = factory.SubFactory(ClientFactory)
    kind = "filler"
    areas = factory.LazyFunction(lambda: ["cheeks"])
    product = "Juvederm Voluma"
    source = RecordSource.STAFF


class HealthDeclarationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = HealthDeclaration

    client = factory.SubFactory(ClientFactory)
    condition = "pacemaker"
    source = RecordSource.STAFF


# -- consent and intake forms (consent/) -----------------------------------------------------

HEALTH_QUESTIONS = [
    {"key": "pregnant", "label": "Are you pregnant?", "type": "yes_no"},
    {
        "key": "conditions",
        "label": "Do any of these apply to you?",
        "type": "conditions",
        "options": [
            {"value": "pacemaker", "label": "Pacemaker"},
            {"value": "epilepsy", "label": "Epilepsy"},
        ],
    },
    {"key": "notes", "label": "Anything else we should know?", "type": "text"},
]


def consent_form(
    *,
    organisation,
    name: str = "Microcurrent consent",
    treatment=None,
    category: str = "",
    valid_days: int | None = None,
    new_version_needs_signature: bool = True,
    questions: list | None = None,
    text: str = "I agree to a microcurrent facial treatment and understand its risks.",
):
    """A form template with its first version and a rule asking `treatment` (or every
    treatment of `category`) for it."""

    template = FormTemplate.objects.create(organisation=organisation, name=name)
    form_version_publish(
        template=template,
        title=name,
        text=text,
        questions=HEALTH_QUESTIONS if questions is None else questions,
    )
    FormRule.objects.create(
        organisation=organisation,
        template=template,
        treatment=treatment,
        category="" if treatment else (category or "facial_massage"),
        valid_days=valid_days,
        new_version_needs_signature=new_version_needs_signature,
    )
    return template


def form_signed(appointment, *, version=None, answers=None, typed_name=None, **extra):
    """The appointment's client signs `version` (the first form it needs) with a typed name."""

    version = version or versions_to_sign(appointment)[0]
    return submission_sign(
        client=appointment.client,
        clinic=appointment.clinic,
        version=version,
        answers={"pregnant": "no"} if answers is None else answers,
        typed_name=typed_name or appointment.client.name,
        ip_address="192.0.2.10",
        user_agent="TestBrowser/1.0",
        channel=extra.pop("channel", Submission.Channel.ONLINE),
        appointment=appointment,
        **extra,
    )
