"""Every address of the site, read from the URL configuration, tried by the staff of each
clinic (each role) against the rows of the others (tests/organisations.py): nothing of
another organisation is ever shown or changed, and a role at Alpha gives nothing of Beta's
diary (its appointments, practitioners, rules, messages, settings), though the clients of
their organisation are Alpha's staff's to look up too.

An address added without an entry here fails `test_every_address_is_classified`; a model
added to the admin without one fails `test_every_admin_model_is_classified`; so a new page
cannot arrive unscoped. Each refusal is shown to be one: the superuser, or the row's own
staff, gets what the others are refused.
"""

import io
from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.contrib import admin
from django.forms.models import model_to_dict
from django.test import Client as Browser
from django.test import RequestFactory
from django.urls import URLResolver, get_resolver
from PIL import Image
from rest_framework.test import APIClient

from access.roles import FRONT_DESK, MANAGER, PRACTITIONER
from aftercare.models import Message, MessageTemplate
from bookings.models import Appointment, AppointmentChange, SignOff
from clinic.models import (
    AuditEntry,
    Client,
    Clinic,
    Membership,
    Organisation,
    Practitioner,
    Resource,
    ResourceKind,
    Term,
    TimeOff,
    Treatment,
)
from clinical.models import (
    ContraindicationRule,
    HealthDeclaration,
    InjectableRecord,
    PrerequisiteRule,
    WaitingRule,
)
from consent.models import FormRule, FormTemplate, FormVersion, Submission
from courses.models import ClientCourse, CourseOffer
from courses.services import course_buy
from money.models import PaymentPolicy, ProviderCall
from records.models import ClinicalPhoto, DeviceSettingsSchema, PhotoConsent
from records.photos import photo_add
from records.services import recall_record
from tests import factories
from tests.conftest import default_rules
from tests.organisations import VISIT_DAY, Branch, make_group
from waitlist.models import Entry, FreedTime, Offer, Skip

# -- what each address is --------------------------------------------------------------------

# Open to anyone: they carry no staff data (a booking's own pages need its signed link).
PUBLIC = {
    "schema",
    "docs",
    "token",
    "treatments",
    "practitioners",
    "availability",
    "aftercare:unsubscribe",
    "workspace:login",
    "workspace:logout",
    "online:treatments",
    "online:calendar",
    "online:details",
    "online:confirm",
    "online:notice",
    "online:manage",
    "online:confirmed",
    "online:ics",
    # The emailed link to pay a deposit staff asked by card, behind the booking's signed link.
    "online:deposit",
    "online:cancel",
    "online:reschedule",
    "online:review",
    "online:held",
    "online:sorry",
    "online:reschedule-review",
    "online:change-sorry",
    # The emailed link that confirms a held booking: its reference and a dated signature.
    "online:hold",
    # Twilio's webhook for replies: its signature is the credential (tests/sms).
    "sms:twilio-inbound",
    # The forms a booking needs, behind its signed link (online/pages/consent.py).
    "online:forms",
    "online:form-sign",
    # A client's sign-in by code (django-allauth's pages, under /account/).
    "account_login",
    "account_request_login_code",
    "account_confirm_login_code",
    "account_logout",
    "account_signup",
    "account_inactive",
    # The same sign-in for programs (django-allauth's headless API, under /_allauth/).
    "client-config",
    "client-code-request",
    "client-code-confirm",
    "client-session",
    # Stripe's webhook: it applies only a body its Stripe-Signature proves (diary/deposits.py).
    "stripe-webhook",
}


@dataclass(frozen=True)
class Call:
    method: str
    url: str
    data: dict | None = None

    def send(self, user, *, api: bool):
        if api:
            client = APIClient()
            client.force_authenticate(user)
            return getattr(client, self.method)(self.url, self.data or {}, format="json")
        client = Browser()
        client.force_login(user)
        return getattr(client, self.method)(self.url, self.data or {})


def _client(branch: Branch) -> int:
    return branch.client.pk


def _visit(branch: Branch) -> str:
    return branch.visit.reference


def _recall(branch: Branch) -> int:
    """A recall of the lot of the branch's client's injectable, recorded at its clinic."""
    lot = f"{branch.slug}-lot".upper()
    InjectableRecord.objects.filter(pk=branch.injectable.pk).update(lot_number=lot)
    return recall_record(
        clinic=branch.clinic, product="Fill", lot_number=lot, reason="Recalled", by=None
    ).recall.pk


def _photo(branch: Branch) -> int:
    """A photo of the branch's visit (its files are removed after each test)."""
    existing = ClinicalPhoto.objects.filter(appointment=branch.visit).first()
    if existing is not None:
        return existing.pk
    PhotoConsent.objects.create(client=branch.client, given=True)
    image = io.BytesIO()
    Image.new("RGB", (200, 200)).save(image, format="PNG")
    return photo_add(
        appointment=branch.visit, data=image.getvalue(), area="lips", stage="before", by=None
    ).pk


def _photographed(branch: Branch) -> int:
    """The branch's client, with a photo of their visit."""
    _photo(branch)
    return branch.client.pk


def _course(branch: Branch) -> int:
    """The course the branch's client bought at its clinic (see `group`)."""
    return ClientCourse.objects.get(clinic=branch.clinic).pk


def _offer(branch: Branch) -> int:
    return CourseOffer.objects.get(clinic=branch.clinic).pk


def _message(branch: Branch) -> int:
    return Message.objects.filter(clinic=branch.clinic).order_by("pk").first().pk


def _entry(branch: Branch) -> int:
    """The branch's client's waitlist entry at its clinic (see `group`)."""
    return Entry.objects.get(client=branch.client, clinic=branch.clinic).pk


def _offer(branch: Branch) -> str:
    """The path of the offer made to the branch's client, with its signed token."""
    offer = Offer.objects.get(entry__client=branch.client, entry__clinic=branch.clinic)
    return f"{offer.pk}/{offer.link_token()}"


def _offer_id(branch: Branch) -> int:
    return Offer.objects.get(entry__client=branch.client, entry__clinic=branch.clinic).pk


def _signed(branch: Branch) -> int:
    return Submission.objects.get(client=branch.client).pk


def _form(branch: Branch) -> int:
    return FormVersion.objects.get(template__organisation=branch.clinic.organisation_id).pk


def _failed_call(branch: Branch) -> int:
    """The card refund Stripe refused for the branch's visit (a payment problem)."""
    return ProviderCall.objects.get(appointment=branch.visit, kind="refund").pk


# Addresses about one row: (how to call it about `branch`'s row, whether the row is the
# clinic's own (its diary: nobody of another clinic sees it) or its organisation's (a client:
# the organisation's clinics share it)).
ABOUT_A_ROW = {
    # The waitlist: staff remove a client's entry at their clinic; the client's own leave,
    # offer and accept are the client's alone (staff have no client space: 404).
    "workspace:waitlist-remove": (
        lambda b: [Call("post", f"/staff/waitlist/{_entry(b)}/remove/", {})],
        "clinic",
    ),
    "online:waitlist-leave": (
        lambda b: [Call("post", f"/my/waitlist/{_entry(b)}/leave/", {})],
        "clinic",
    ),
    "online:offer": (lambda b: [Call("post", f"/waitlist/offers/{_offer(b)}/", {})], "clinic"),
    "me-waitlist-entry": (
        lambda b: [Call("delete", f"/api/v1/me/waitlist/{_entry(b)}/")],
        "clinic",
    ),
    "me-offer-accept": (
        lambda b: [Call("post", f"/api/v1/me/waitlist/offers/{_offer_id(b)}/accept/", {})],
        "clinic",
    ),
    "appointment": (lambda b: [Call("get", f"/api/v1/appointments/{_visit(b)}/")], "clinic"),
    "appointment-cancel": (
        lambda b: [Call("post", f"/api/v1/appointments/{_visit(b)}/cancel/", {})],
        "clinic",
    ),
    "appointment-reschedule": (
        lambda b: [
            Call(
                "post",
                f"/api/v1/appointments/{_visit(b)}/reschedule/",
                {"start": f"{VISIT_DAY}T15:00:00+00:00"},
            )
        ],
        "clinic",
    ),
    # The forms a booking needs, and signing one (online/api/forms.py).
    "appointment-forms": (
        lambda b: [Call("get", f"/api/v1/appointments/{_visit(b)}/forms/")],
        "clinic",
    ),
    "appointment-form-sign": (
        lambda b: [
            Call(
                "post",
                f"/api/v1/appointments/{_visit(b)}/forms/{_form(b)}/sign/",
                {"agree": True, "typed_name": "Mallory"},
            )
        ],
        "clinic",
    ),
    "appointment-complete": (
        lambda b: [Call("post", f"/api/v1/appointments/{_visit(b)}/complete/", {})],
        "clinic",
    ),
    "appointment-no-show": (
        lambda b: [Call("post", f"/api/v1/appointments/{_visit(b)}/no-show/", {})],
        "clinic",
    ),
    "client-injectables": (
        lambda b: [
            Call("get", f"/api/v1/clients/{_client(b)}/injectables/"),
            Call(
                "post",
                f"/api/v1/clients/{_client(b)}/injectables/",
                {"kind": "filler", "date": "2027-02-20"},
            ),
        ],
        "organisation",
    ),
    "client-declarations": (
        lambda b: [
            Call("get", f"/api/v1/clients/{_client(b)}/declarations/"),
            Call("post", f"/api/v1/clients/{_client(b)}/declarations/", {"condition": "epilepsy"}),
        ],
        "organisation",
    ),
    "client-treatment-records": (
        lambda b: [Call("get", f"/api/v1/clients/{_client(b)}/treatment-records/")],
        "organisation",
    ),
    "client-sms": (
        lambda b: [
            Call("get", f"/api/v1/clients/{_client(b)}/sms/"),
            Call("put", f"/api/v1/clients/{_client(b)}/sms/", {"opted_in": False}),
        ],
        "organisation",
    ),
    "client-eligibility": (
        lambda b: [
            Call("get", f"/api/v1/clients/{_client(b)}/eligibility/?treatment={b.slug}-massage")
        ],
        "organisation",
    ),
    "workspace:client": (lambda b: [Call("get", f"/staff/clients/{_client(b)}/")], "organisation"),
    "workspace:injectable-new": (
        lambda b: [
            Call("get", f"/staff/clients/{_client(b)}/injectables/new/"),
            Call(
                "post",
                f"/staff/clients/{_client(b)}/injectables/new/",
                {"kind": "filler", "date": "2027-02-20"},
            ),
        ],
        "organisation",
    ),
    # Courses at the desk: selling one to the organisation's client (from the clinic's own
    # offers), recording the payment of a course bought at a clinic (the clinic's books).
    "workspace:course-sell": (
        lambda b: [
            Call("post", f"/staff/clients/{_client(b)}/courses/sell/", {"offer": _offer(b)})
        ],
        "organisation",
    ),
    "workspace:course-paid": (
        lambda b: [
            Call(
                "post",
                f"/staff/clients/{_client(b)}/courses/{_course(b)}/paid/",
                {"method": "cash"},
            )
        ],
        "clinic",
    ),
    "workspace:book": (
        lambda b: [Call("get", f"/staff/clients/{_client(b)}/book/?treatment={b.slug}-massage")],
        "organisation",
    ),
    "workspace:export": (
        lambda b: [Call("get", f"/staff/clients/{_client(b)}/export.json")],
        "organisation",
    ),
    "workspace:anonymise": (
        lambda b: [
            Call("get", f"/staff/clients/{_client(b)}/anonymise/"),
            Call("post", f"/staff/clients/{_client(b)}/anonymise/"),
        ],
        "organisation",
    ),
    "workspace:reschedule": (
        lambda b: [
            Call("get", f"/staff/appointments/{_visit(b)}/reschedule/"),
            Call(
                "post",
                f"/staff/appointments/{_visit(b)}/reschedule/",
                {"start": f"{VISIT_DAY}T15:00:00+00:00"},
            ),
        ],
        "clinic",
    ),
    "workspace:complete": (
        lambda b: [Call("post", f"/staff/appointments/{_visit(b)}/complete/")],
        "clinic",
    ),
    "workspace:grid-move": (
        lambda b: [
            Call("get", f"/staff/appointments/{_visit(b)}/move/"),
            Call(
                "post",
                f"/staff/appointments/{_visit(b)}/move/",
                {"date": VISIT_DAY, "time": "15:00", "dragged": "1"},
            ),
        ],
        "clinic",
    ),
    "workspace:grid-book": (
        lambda b: [
            Call("get", f"/staff/diary/book/?practitioner={b.practitioner.pk}&q=e"),
            Call(
                "post",
                "/staff/diary/book/",
                {"practitioner": b.practitioner.pk, "name": "X", "email": "x@example.com"},
            ),
        ],
        "clinic",
    ),
    "workspace:grid-block": (
        lambda b: [
            Call("get", f"/staff/diary/block/?practitioner={b.practitioner.pk}"),
            Call(
                "post",
                "/staff/diary/block/",
                {
                    "practitioner": b.practitioner.pk,
                    "date": VISIT_DAY,
                    "start": "15:00",
                    "end": "16:00",
                },
            ),
        ],
        "clinic",
    ),
    "workspace:no-show": (
        lambda b: [Call("post", f"/staff/appointments/{_visit(b)}/no-show/")],
        "clinic",
    ),
    # The front desk's actions (workspace/views/desk.py) and the outbox's retry.
    "workspace:cancel": (
        lambda b: [
            Call("get", f"/staff/appointments/{_visit(b)}/cancel/"),
            Call("post", f"/staff/appointments/{_visit(b)}/cancel/", {"reason": "Taken"}),
        ],
        "clinic",
    ),
    "workspace:appointment-notes": (
        lambda b: [
            Call("get", f"/staff/appointments/{_visit(b)}/notes/"),
            Call("post", f"/staff/appointments/{_visit(b)}/notes/", {"notes": "Taken"}),
        ],
        "clinic",
    ),
    "workspace:client-notes": (
        lambda b: [
            Call("get", f"/staff/clients/{_client(b)}/notes/"),
            Call("post", f"/staff/clients/{_client(b)}/notes/", {"notes": "Taken"}),
        ],
        "organisation",
    ),
    "workspace:merge": (
        lambda b: [
            Call("get", f"/staff/clients/{_client(b)}/merge/?q=e"),
            Call("post", f"/staff/clients/{_client(b)}/merge/", {"duplicate": _client(b)}),
        ],
        "organisation",
    ),
    "workspace:outbox-retry": (
        lambda b: [Call("post", f"/staff/outbox/{_message(b)}/retry/")],
        "clinic",
    ),
    # A practitioner's sign-off (approve or decline) of an appointment that needs one.
    "appointment-sign-off": (
        lambda b: [
            Call(
                "post",
                f"/api/v1/appointments/{_visit(b)}/sign-off/",
                {"decision": "decline", "note": "Taken"},
            )
        ],
        "clinic",
    ),
    "workspace:sign-off": (
        lambda b: [
            Call(
                "post",
                f"/staff/appointments/{_visit(b)}/sign-off/",
                {"decision": "decline", "note": "Taken"},
            )
        ],
        "clinic",
    ),
    # Consent forms: the tablet's pages for an appointment, and a signed form (a client's).
    "workspace:appointment-forms": (
        lambda b: [Call("get", f"/staff/appointments/{_visit(b)}/forms/")],
        "clinic",
    ),
    "workspace:form-sign": (
        lambda b: [
            Call("get", f"/staff/appointments/{_visit(b)}/forms/{_form(b)}/"),
            Call(
                "post",
                f"/staff/appointments/{_visit(b)}/forms/{_form(b)}/",
                {"agree": "on", "typed_name": "Taken"},
            ),
        ],
        "clinic",
    ),
    "workspace:submission": (
        lambda b: [Call("get", f"/staff/forms/{_signed(b)}/")],
        "organisation",
    ),
    "workspace:submission-pdf": (
        lambda b: [Call("get", f"/staff/forms/{_signed(b)}/pdf/")],
        "organisation",
    ),
    # Money at the desk: an appointment's payments, recording one, waiving its fee.
    "appointment-payments": (
        lambda b: [
            Call("get", f"/api/v1/appointments/{_visit(b)}/payments/"),
            Call(
                "post",
                f"/api/v1/appointments/{_visit(b)}/payments/",
                {"amount": "10.00", "kind": "deposit", "method": "cash"},
            ),
        ],
        "clinic",
    ),
    "appointment-fee-waive": (
        lambda b: [
            Call("post", f"/api/v1/appointments/{_visit(b)}/fee/waive/", {"reason": "Taken"})
        ],
        "clinic",
    ),
    "workspace:payments": (
        lambda b: [
            Call("get", f"/staff/appointments/{_visit(b)}/payments/"),
            Call(
                "post",
                f"/staff/appointments/{_visit(b)}/payments/",
                {"amount": "10.00", "kind": "deposit", "method": "cash"},
            ),
        ],
        "clinic",
    ),
    "workspace:fee-waive": (
        lambda b: [Call("post", f"/staff/appointments/{_visit(b)}/fee/waive/", {"reason": "X"})],
        "clinic",
    ),
    # Payment problems: a manager tries a failed card call again or settles it at the desk.
    "workspace:payment-problem-retry": (
        lambda b: [Call("post", f"/staff/payments/problems/{_failed_call(b)}/retry/")],
        "clinic",
    ),
    "workspace:payment-problem-resolve": (
        lambda b: [
            Call(
                "post",
                f"/staff/payments/problems/{_failed_call(b)}/resolve/",
                {"reason": "Taken"},
            )
        ],
        "clinic",
    ),
    # Treatment records (the appointment's clinic) and product recalls (the organisation's).
    "workspace:record": (
        lambda b: [
            Call("get", f"/staff/appointments/{_visit(b)}/record/"),
            Call("post", f"/staff/appointments/{_visit(b)}/record/", {"version": "0"}),
        ],
        "clinic",
    ),
    "workspace:recall": (lambda b: [Call("get", f"/staff/recalls/{_recall(b)}/")], "organisation"),
    "workspace:photo": (lambda b: [Call("get", f"/staff/photos/{_photo(b)}/")], "clinic"),
    # A client's photos compared across visits: the client is the organisation's, the photos
    # the clinic's (tests/records/test_photo_compare.py shows a sister clinic sees none).
    "workspace:photo-compare": (
        lambda b: [Call("get", f"/staff/clients/{_photographed(b)}/photos/")],
        "organisation",
    ),
    "workspace:photo-upload": (
        lambda b: [
            Call("post", f"/staff/appointments/{_visit(b)}/photos/", {"area": "lips"}),
        ],
        "clinic",
    ),
    "workspace:photo-consent": (
        lambda b: [
            Call("post", f"/staff/appointments/{_visit(b)}/photo-consent/", {"given": "yes"})
        ],
        "clinic",
    ),
}

# Addresses that list: what they show must hold nothing of another clinic's diary, nor of
# another organisation.
LISTS = {
    "appointments": lambda g: [
        Call("get", f"/api/v1/appointments/?date={VISIT_DAY}"),
        Call("post", "/api/v1/appointments/", {"treatment": "x"}),  # the public booking
    ],
    "clients": lambda g: [Call("get", "/api/v1/clients/?q="), Call("get", "/api/v1/clients/?q=e")],
    "workspace:client-lookup": lambda g: [Call("get", "/staff/clients/?q=e")],
    "workspace:home": lambda g: [
        Call("get", f"/staff/?date={VISIT_DAY}"),
        Call("get", f"/staff/?date={VISIT_DAY}&span=week"),
        Call("get", f"/staff/?date={VISIT_DAY}&span=week&by=resource"),
        *[Call("get", f"/staff/?date={VISIT_DAY}&clinic={b.slug}") for b in g.branches],
    ],
    "workspace:sheet": lambda g: [
        Call("get", f"/staff/sheet/?date={VISIT_DAY}"),
        Call("get", f"/staff/sheet/?date={VISIT_DAY}&span=week"),
        *[Call("get", f"/staff/sheet/?date={VISIT_DAY}&clinic={b.slug}") for b in g.branches],
    ],
    "workspace:rules": lambda g: [
        Call("get", "/staff/rules/"),
        *[Call("get", f"/staff/rules/?clinic={b.slug}") for b in g.branches],
    ],
    # The client's own space: it reads only the signed-in login's own records, and staff
    # have none (404).
    "online:my": lambda g: [Call("get", "/my/")],
    # A client buying a course (staff have no client space: a 404 to each of them).
    "online:course-buy": lambda g: [
        Call("post", f"/my/courses/{_offer(b)}/buy/") for b in g.branches
    ],
    # A client's switch for texts: their own records only (staff have none: 404).
    "online:my-texts": lambda g: [
        Call(
            "post", "/my/texts/", {"organisation": g.alpha.clinic.organisation.slug, "texts": "off"}
        )
    ],
    "me-appointments": lambda g: [Call("get", "/api/v1/me/appointments/")],
    "me-courses": lambda g: [Call("get", "/api/v1/me/courses/")],
    "me-sms": lambda g: [
        Call("get", "/api/v1/me/sms/"),
        Call("put", "/api/v1/me/sms/", {"opted_in": False}),
    ],
    "online:waitlist": lambda g: [Call("get", "/my/waitlist/")],
    "me-waitlist": lambda g: [Call("get", "/api/v1/me/waitlist/")],
    # The clinic's waitlist: its entries, offers and the reasons clients were passed over.
    "workspace:waitlist": lambda g: [
        Call("get", "/staff/waitlist/"),
        *[Call("get", f"/staff/waitlist/?clinic={b.slug}") for b in g.branches],
    ],
    "workspace:client-new": lambda g: [Call("get", "/staff/clients/new/")],
    "workspace:outbox": lambda g: [
        *[Call("get", f"/staff/outbox/?show={show}") for show in ("due", "sent", "failed")],
        *[Call("get", f"/staff/outbox/?show=sent&clinic={b.slug}") for b in g.branches],
    ],
    "workspace:payment-problems": lambda g: [
        Call("get", "/staff/payments/problems/"),
        *[Call("get", f"/staff/payments/problems/?clinic={b.slug}") for b in g.branches],
    ],
    "workspace:recalls": lambda g: [
        Call("get", "/staff/recalls/"),
        *[Call("get", f"/staff/recalls/?clinic={b.slug}") for b in g.branches],
    ],
    "workspace:audit": lambda g: [
        Call("get", "/staff/audit/"),
        *[Call("get", f"/staff/audit/?clinic={b.slug}") for b in g.branches],
    ],
}

# The admin's own pages that are not a model's.
ADMIN_PAGES = {
    "admin:index",
    "admin:login",
    "admin:logout",
    "admin:password_change",
    "admin:password_change_done",
    "admin:autocomplete",
    "admin:jsi18n",
    "admin:view_on_site",
    "admin:app_list",
}

# Each model of the admin: the rows of a branch to try (none: rows no branch owns), or why
# no role reaches it at all.
BRANCH_ROWS = {
    Clinic: lambda b: [b.clinic],
    Treatment: lambda b: [b.treatment],
    Practitioner: lambda b: [b.practitioner],
    Resource: lambda b: list(Resource.objects.filter(clinic=b.clinic)),
    TimeOff: lambda b: [b.time_off],
    Client: lambda b: [b.client],
    InjectableRecord: lambda b: [b.injectable],
    HealthDeclaration: lambda b: list(HealthDeclaration.objects.filter(client=b.client)),
    WaitingRule: lambda b: [
        b.rule,
        *WaitingRule.objects.filter(organisation=b.clinic.organisation_id),
    ],
    Term: lambda b: list(Term.objects.filter(organisation=b.clinic.organisation)),
    ContraindicationRule: lambda b: list(ContraindicationRule.objects.filter(clinic=b.clinic)),
    Appointment: lambda b: [b.visit],
    AppointmentChange: lambda b: list(AppointmentChange.objects.filter(appointment=b.visit)),
    Message: lambda b: list(Message.objects.filter(clinic=b.clinic)),
    AuditEntry: lambda b: list(AuditEntry.objects.filter(clinic=b.clinic)),
    Membership: lambda b: list(Membership.objects.filter(clinic=b.clinic)),
    Organisation: lambda b: [b.clinic.organisation],
    # The clinic's own, and its organisation's that name this clinic (see `group`).
    PrerequisiteRule: lambda b: list(
        PrerequisiteRule.objects.filter(clinic=b.clinic)
        | PrerequisiteRule.objects.filter(clinic=None, message__contains=b.clinic.name)
    ),
    FormTemplate: lambda b: list(FormTemplate.objects.filter(organisation=b.clinic.organisation)),
    FormVersion: lambda b: list(
        FormVersion.objects.filter(template__organisation=b.clinic.organisation)
    ),
    FormRule: lambda b: list(FormRule.objects.filter(organisation=b.clinic.organisation)),
    PaymentPolicy: lambda b: list(PaymentPolicy.objects.filter(clinic=b.clinic)),
    CourseOffer: lambda b: list(CourseOffer.objects.filter(clinic=b.clinic)),
    ProviderCall: lambda b: list(ProviderCall.objects.filter(clinic=b.clinic)),
    DeviceSettingsSchema: lambda b: [
        DeviceSettingsSchema.objects.get_or_create(
            treatment=b.treatment, defaults={"fields": [{"name": "level", "type": "integer"}]}
        )[0]
    ],
}
# The organisation's rows, shared by its clinics (a sister clinic's staff may see them).
ORGANISATION_ROWS = (
    Client,
    InjectableRecord,
    HealthDeclaration,
    FormTemplate,
    FormVersion,
    FormRule,
)
SHARED_ROWS = {ResourceKind, MessageTemplate}  # the installation's: no clinic owns them
INSTALLATION_ONLY = {  # no role holds a permission on them: the superuser's alone
    "auth.Group",
    "auth.User",
    "authtoken.TokenProxy",
    "axes.AccessAttempt",
    "axes.AccessLog",
    "axes.AccessFailureLog",
    "account.EmailAddress",  # clients' sign-in addresses
}


def url_names() -> set[str]:
    def walk(patterns, namespace=""):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                inner = namespace + (f"{pattern.namespace}:" if pattern.namespace else "")
                yield from walk(pattern.url_patterns, inner)
            else:
                yield namespace + (pattern.name or "")

    return set(walk(get_resolver().url_patterns))


def test_every_address_is_classified():
    names = url_names()
    model_pages = {
        f"admin:{m._meta.app_label}_{m._meta.model_name}_{page}"
        for m in admin.site._registry
        for page in ("changelist", "add", "change", "delete", "history")
    }
    model_pages |= {"admin:auth_user_password_change", "admin:"}  # the bare object URL
    known = PUBLIC | ABOUT_A_ROW.keys() | LISTS.keys() | ADMIN_PAGES | model_pages

    assert sorted(names - known) == []


def test_every_admin_model_is_classified():
    labels = {m._meta.label for m in admin.site._registry}
    known = {m._meta.label for m in (*BRANCH_ROWS, *SHARED_ROWS)} | INSTALLATION_ONLY

    assert sorted(labels - known) == []


# -- the tries ---------------------------------------------------------------------------------


@pytest.fixture
def group(db, frozen_now):
    default_rules()
    group = make_group()
    for branch in group.branches:  # a trail, a contraindication rule: rows of every kind
        desk = Browser()
        desk.force_login(branch.staff[FRONT_DESK])
        desk.get(f"/staff/clients/{branch.client.pk}/?clinic={branch.slug}")
        ContraindicationRule.objects.create(
            clinic=branch.clinic,
            condition="pregnancy",
            treatment_category="facial_massage",
            action="needs_approval",
            message=f"{branch.slug.capitalize()} rule for pregnancy.",
        )
        prerequisite_rules(branch)
        SignOff.objects.create(appointment=branch.visit, reasons=["pregnancy"])  # waits for one
    for organisation in {b.clinic.organisation for b in group.branches}:
        factories.consent_form(organisation=organisation, name="Consent", questions=[])
    for branch in group.branches:  # each client has signed it: a signed form to try
        factories.form_signed(branch.visit, version=FormVersion.objects.get(pk=_form(branch)))
        PaymentPolicy.objects.create(clinic=branch.clinic, deposit="fixed", deposit_value=10)
        ProviderCall.objects.create(  # a card refund Stripe refused: a payment problem
            key=f"lumiere-refund-{branch.slug}",
            kind="refund",
            status="failed",
            clinic=branch.clinic,
            appointment=branch.visit,
            amount=10,
            currency=branch.clinic.currency,
            payload={"payment_intent": f"pi_{branch.slug}"},
            result={"refused": True},
            attempts=1,
            due_at=frozen_now,
            last_error=f"CardError: refused for {branch.visit.reference}",
        )
        name = branch.slug.capitalize()
        offer = CourseOffer.objects.create(  # its name carries the clinic's marker
            clinic=branch.clinic,
            name=f"{name} massage course",
            treatment=branch.treatment,
            sessions=5,
            price=400,
            currency=branch.clinic.currency,
            validity=6,
        )
        course_buy(client=branch.client, offer=offer, by=None)
        waitlist_rows(branch, now=frozen_now)
    return group


def waitlist_rows(branch: Branch, *, now) -> None:
    """The branch's client waiting at its clinic, offered the visit's time, and passed over
    once with its waiting rule's words (a marker of the clinic) as the reason."""
    entry = Entry.objects.create(
        clinic=branch.clinic,
        client=branch.client,
        treatment=branch.treatment,
        first_day=VISIT_DAY,
        last_day=VISIT_DAY + timedelta(days=7),
    )
    freed = FreedTime.objects.create(
        clinic=branch.clinic,
        practitioner=branch.practitioner,
        start=branch.visit.start,
        end=branch.visit.end,
        cause=FreedTime.Cause.CANCELLED,
    )
    Skip.objects.create(freed=freed, entry=entry, reason=branch.rule.message, at=now)
    Offer.objects.create(
        freed=freed,
        entry=entry,
        hold=branch.visit,
        created_at=now,
        expires_at=now + timedelta(hours=1),
    )


def prerequisite_rules(branch: Branch) -> None:
    """A prerequisite rule of the clinic's own (its marker: only its staff see it) and, for
    Alpha and Zeta, one of their organisation's (the clinic's name: its sister sees it)."""
    name = branch.clinic.name.removesuffix(" Clinic")
    own = PrerequisiteRule.objects.create(
        organisation=branch.clinic.organisation,
        clinic=branch.clinic,
        treatment_category="microcurrent",
        message=f"{name} rule: a patch test first.",
    )
    own.required_treatments.set([branch.treatment])
    if branch.slug in ("alpha", "zeta"):
        shared = PrerequisiteRule.objects.create(
            organisation=branch.clinic.organisation,
            treatment_category="light_therapy",
            message=f"{branch.clinic.name} asks for a consultation first.",
        )
        shared.required_treatments.set([branch.treatment])


# Who tries: each role at Alpha (Beta is its sister clinic, Zeta another business), and each
# role at Zeta (Alpha and Beta are another business).
PERSONAS = [
    (home, role) for home in ("alpha", "zeta") for role in (FRONT_DESK, PRACTITIONER, MANAGER)
]


def _others(group, home: str) -> list[tuple[Branch, str]]:
    """The branches `home`'s staff must not see into: (branch, "clinic" for a sister clinic
    of the same organisation, "organisation" for another business)."""
    mine = getattr(group, home)
    return [
        (b, "clinic" if b.clinic.organisation_id == mine.clinic.organisation_id else "organisation")
        for b in group.branches
        if b is not mine
    ]


def _forbidden_words(group, branch: Branch, relation: str) -> list[str]:
    return branch.markers if relation == "clinic" else group.organisation_markers(branch)


def _row_state(branch: Branch) -> dict:
    """What a refused request must leave as it was."""
    visit = Appointment.objects.get(pk=branch.visit.pk)
    client = Client.objects.get(pk=branch.client.pk)
    return {
        "visit": (visit.status, visit.start, visit.practitioner_id),
        "sign_off": SignOff.objects.get(appointment=visit).status,
        "payments": list(visit.payments.values_list("amount", "kind")),
        "courses": list(
            ClientCourse.objects.filter(client=client).values_list("pk", "paid_at").order_by("pk")
        ),
        "client": (client.name, client.email, client.injectables.count()),
        "declarations": client.declarations.count(),
        "clinic": model_to_dict(Clinic.objects.get(pk=branch.clinic.pk)),
        "treatment": model_to_dict(
            Treatment.objects.get(pk=branch.treatment.pk), exclude=["required_resource_kinds"]
        ),
        "rule": model_to_dict(WaitingRule.objects.get(pk=branch.rule.pk)),
        "waitlist": list(Entry.objects.filter(client=branch.client).values_list("status")),
        "offers": list(Offer.objects.filter(entry__client=branch.client).values_list("status")),
        "provider_calls": list(
            ProviderCall.objects.filter(clinic=branch.clinic).values_list("pk", "status", "key")
        ),
    }


def _refused(response) -> bool:
    return response.status_code in (403, 404)


@pytest.mark.parametrize("home, role", PERSONAS)
def test_no_address_shows_or_changes_what_is_not_theirs(group, home, role):
    user = getattr(group, home).staff[role]
    wrong = []
    for branch, relation in _others(group, home):
        before = _row_state(branch)
        forbidden = _forbidden_words(group, branch, relation)
        for name, (calls, owner) in ABOUT_A_ROW.items():
            if relation == "clinic" and owner == "organisation":
                continue  # the organisation's client: theirs to see at either clinic
            for call in calls(branch):
                # The pages (workspace and client space) by session, the rest as the API.
                response = call.send(user, api=name.split(":")[0] not in ("workspace", "online"))
                if not _refused(response):
                    wrong.append(f"{name} {call.method} {call.url}: {response.status_code}")
                leaked = [w for w in forbidden if w in response.content.decode(errors="replace")]
                if leaked:
                    wrong.append(f"{name} {call.url} shows {leaked}")
        if _row_state(branch) != before:
            wrong.append(f"{branch.slug}'s rows changed")
    for name, calls in LISTS.items():
        for call in calls(group):
            content = call.send(user, api=not name.startswith("workspace")).content.decode()
            for branch, relation in _others(group, home):
                leaked = [w for w in _forbidden_words(group, branch, relation) if w in content]
                if leaked:
                    wrong.append(f"{name} {call.url} shows {branch.slug}'s {leaked}")

    assert wrong == []


@pytest.mark.parametrize("home, role", PERSONAS)
def test_no_admin_page_shows_or_changes_what_is_not_theirs(group, home, role):
    user = getattr(group, home).staff[role]
    browser = Browser()
    browser.force_login(user)
    wrong = []
    for model, model_admin in admin.site._registry.items():
        opts = model._meta
        base = f"/admin/{opts.app_label}/{opts.model_name}/"
        for page in (base, f"{base}add/", f"{base}?q=e"):
            content = browser.get(page).content.decode()
            for branch, relation in _others(group, home):
                leaked = [w for w in _forbidden_words(group, branch, relation) if w in content]
                if leaked:
                    wrong.append(f"{page} shows {branch.slug}'s {leaked}")
        rows = BRANCH_ROWS.get(model)
        for branch, relation in _others(group, home) if rows else ():
            if relation == "clinic" and model in ORGANISATION_ROWS:
                continue  # the organisation's
            for row in rows(branch):
                if relation == "clinic" and _the_organisations(row):
                    continue  # its words and its rules for all its clinics
                before = model_to_dict(type(row).objects.get(pk=row.pk))
                for page in ("change/", "delete/", "history/"):
                    response = browser.get(f"{base}{row.pk}/{page}")
                    if not _refused(response):
                        wrong.append(f"{base}{row.pk}/{page}: {response.status_code}")
                browser.post(f"{base}{row.pk}/change/", {})
                browser.post(f"{base}{row.pk}/delete/", {"post": "yes"})
                for action in model_admin.get_actions(_request_for(user)):
                    browser.post(
                        base, {"action": action, "_selected_action": [row.pk], "post": "yes"}
                    )
                after = type(row).objects.filter(pk=row.pk).first()
                if after is None or model_to_dict(after) != before:
                    wrong.append(f"{opts.label} {row.pk} of {branch.slug} changed")
    response = browser.get(  # the autocomplete behind the membership's user field
        "/admin/autocomplete/",
        {"app_label": "clinic", "model_name": "membership", "field_name": "user", "term": ""},
    )
    for branch, _ in _others(group, home):
        others = [u.username for u in branch.staff.values()]
        leaked = [name for name in others if name in response.content.decode()]
        if leaked:
            wrong.append(f"the user autocomplete shows {leaked}")
    response = browser.get(  # the autocomplete behind an injectable's "corrects": health data
        "/admin/autocomplete/",
        {
            "app_label": "clinical",
            "model_name": "injectablerecord",
            "field_name": "corrects",
            "term": "",
        },
    )
    offered = response.json()["results"] if response.status_code == 200 else []
    for branch, relation in _others(group, home):
        if relation == "organisation" and str(branch.injectable.pk) in [r["id"] for r in offered]:
            wrong.append(f"the injectable autocomplete offers {branch.slug}'s record")
    if (
        response.status_code == 200
        and offered
        and not AuditEntry.objects.filter(
            username=user.username, what="injectables", via="admin"
        ).exists()
    ):
        wrong.append("the injectable autocomplete showed records without an audit entry")

    assert wrong == []


def _the_organisations(row) -> bool:
    """A row its organisation owns rather than one of its clinics."""
    return isinstance(row, Term) or (
        isinstance(row, WaitingRule | ContraindicationRule) and row.clinic_id is None
    )


def _request_for(user):
    request = RequestFactory().get("/admin/")
    request.user = user
    return request


def _at(url: str, slug: str) -> str:
    return f"{url}{'&' if '?' in url else '?'}clinic={slug}"


def test_what_the_others_are_refused_is_there_to_see(group):
    """The control: the superuser reads every row tried above, and the lists show the words
    searched for, so the refusals are refusals and not missing rows."""
    root = group.superuser
    browser = Browser()
    browser.force_login(root)
    missing = []
    for branch in group.branches:
        for name, (calls, _) in ABOUT_A_ROW.items():
            for call in calls(branch):
                if call.method != "get":
                    continue  # a reading is proof enough, and leaves the rows for the rest
                if name.startswith("workspace:"):  # the workspace looks at one clinic
                    call = Call(call.method, _at(call.url, branch.slug))
                response = call.send(root, api=not name.startswith("workspace:"))
                if _refused(response):
                    missing.append(f"{name} {call.url}: {response.status_code}")
        for model, rows in BRANCH_ROWS.items():
            opts = model._meta
            for row in rows(branch):
                url = f"/admin/{opts.app_label}/{opts.model_name}/{row.pk}/change/"
                if browser.get(url).status_code != 200:
                    missing.append(url)
    for branch in group.branches:
        listed = browser.get(f"/staff/payments/problems/?clinic={branch.slug}").content.decode()
        if branch.visit.reference not in listed:
            missing.append(f"{branch.slug}'s payment problems")
    sheet = browser.get(f"/staff/sheet/?date={VISIT_DAY}&clinic=zeta").content.decode()
    if group.zeta.visit.reference not in sheet:
        missing.append("the sheet")
    appointments = browser.get("/admin/bookings/appointment/").content.decode()
    if not all(b.visit.reference in appointments for b in group.branches):
        missing.append("the admin's appointments")

    assert missing == []
