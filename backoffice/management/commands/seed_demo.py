"""`manage.py seed_demo`: the demo for a first look: two organisations, Lumière Skin Clinic
and Northside Skin Studio, each with a clinic, staff, treatments, clients and a few bookings
(the data: _demo_data.py beside this file). Idempotent: every row is keyed on a slug, name or
email, so a second run finds everything in place and writes nothing."""

from collections import Counter
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import models, transaction
from django.utils import timezone

from backoffice.management.commands._demo_data import (
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    ADMIN_USERNAME,
    ORGANISATIONS,
    RESOURCE_KINDS,
    DemoOrganisation,
)
from backoffice.management.commands._demo_forms import DEMO_FORMS
from bookings.models import Appointment
from clinic.models import (
    Client,
    Clinic,
    Closure,
    Membership,
    Organisation,
    Practitioner,
    Resource,
    ResourceKind,
    Term,
    TimeOff,
    Treatment,
)
from clinical.models import ContraindicationRule, PrerequisiteRule, WaitingRule
from clinical.services import declaration_record, injectable_record
from consent.models import FormRule, FormTemplate
from consent.services import form_version_publish
from courses.models import CourseOffer
from diary.availability import find_slots
from diary.errors import BookingError
from diary.services import appointment_book
from waitlist.models import Entry
from waitlist.services import entry_join

# Fewer upcoming confirmed appointments at a clinic than this (or than its demo bookings):
# book more.
MIN_UPCOMING_BEFORE_BOOKING = 3
PREFERRED_TIMES = {time(10), time(11, 30), time(14)}
SEARCH_DAYS = 14


def _either(words: list[str]) -> str:
    """'a, b or c'."""
    return ", ".join(words[:-1]) + " or " + words[-1] if len(words) > 1 else "".join(words)


def addresses_and_logins(admin_password: str) -> str:
    """Where to go and how to log in: the end of seed_demo's output, and the last thing
    `make run` prints once the server answers (demo_ready)."""
    # Every organisation lists its staff in the same order of roles.
    roles = [Membership.Role(role).label.lower() for _, _, role, _ in ORGANISATIONS[0].staff]
    staff = "".join(
        f"             {_either([username for username, *_ in org.staff])} at {org.name}\n"
        for org in ORGANISATIONS
    )
    return (
        "\n"
        "  Booking:   http://127.0.0.1:8000/\n"
        "  Admin:     http://127.0.0.1:8000/admin/\n"
        f"  Username:  {ADMIN_USERNAME}\n"
        f"  Password:  {admin_password}\n"
        "  API docs:  http://127.0.0.1:8000/api/docs/\n"
        f"  Workspace: http://127.0.0.1:8000/staff/, password {ADMIN_PASSWORD},\n"
        f"             as {_either(roles)}:\n"
        f"{staff}"
    )


class Command(BaseCommand):
    help = (
        "Create (or bring back) the demo: Lumière Skin Clinic and a second organisation, "
        "Northside Skin Studio. Safe to run repeatedly."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--reset-admin-password",
            action="store_true",
            help=f"Set the '{ADMIN_USERNAME}' user's password back to the demo password.",
        )

    def handle(self, *args, reset_admin_password=False, **options):
        self.created = Counter()
        self.updated = Counter()
        with transaction.atomic():
            kinds = self._resource_kinds()
            admin_note = self._admin(reset_admin_password)
            booking_notes = [self._organisation(org, kinds) for org in ORGANISATIONS]

        def counts(counter):
            return ", ".join(f"{n} {name}" for name, n in sorted(counter.items())) or "nothing"

        self.stdout.write(f"Created: {counts(self.created)}.")
        self.stdout.write(f"Updated: {counts(self.updated)}.")
        for note in booking_notes:
            self.stdout.write(note)
        self.stdout.write(self.style.SUCCESS("\nThe demo is ready."))
        self.stdout.write(addresses_and_logins(admin_note))

    def _organisation(self, org: DemoOrganisation, kinds: dict[str, ResourceKind]) -> str:
        """One organisation and its clinic, everything in it; returns what was booked."""
        clinic = self._clinic(org)
        self._resources(org, clinic, kinds)
        treatments = self._treatments(org, clinic, kinds)
        self._prerequisites(org, clinic, treatments)
        practitioners = self._practitioners(org, clinic, treatments)
        self._time_off(org, clinic, practitioners)
        self._vocabulary(org, clinic, treatments)
        clients = self._clients(org, clinic)
        self._injectables(org, clinic, clients)
        self._staff(org, clinic, practitioners)
        self._forms(clinic, treatments)
        self._course_offer(clinic, treatments)
        self._waitlist(clinic, treatments, clients)
        return self._appointments(org, clinic, treatments, practitioners, clients)

    def _waitlist(self, clinic, treatments, clients) -> None:
        """The organisation's first client waits for its first treatment over the next four
        weeks, so the staff waitlist page and /my/waitlist/ have an entry to show."""
        client, treatment = next(iter(clients.values())), next(iter(treatments.values()))
        if Entry.objects.filter(client=client, treatment=treatment).exists():
            return
        today = clinic.local_date(timezone.now())
        entry_join(
            client=client,
            treatment=treatment,
            first_day=today,
            last_day=today + timedelta(weeks=4),
            source=Entry.Source.STAFF,
        )
        self.created[Entry._meta.verbose_name_plural] += 1

    # -- helpers -------------------------------------------------------------------------------

    def _upsert(self, model: type[models.Model], lookup: dict, values: dict) -> models.Model:
        """get_or_create, then save only the fields that differ, so a rerun writes nothing."""
        obj, created = model.objects.get_or_create(**lookup, defaults=values)
        label = model._meta.verbose_name_plural
        if created:
            self.created[label] += 1
            return obj
        changed = [name for name, value in values.items() if self._differs(obj, name, value)]
        if changed:
            for name in changed:
                setattr(obj, name, values[name])
            obj.save(update_fields=changed)
            self.updated[label] += 1
        return obj

    @staticmethod
    def _differs(obj: models.Model, name: str, value) -> bool:
        field = obj._meta.get_field(name)
        if field.is_relation:  # compare ids: no query to load the related row
            return getattr(obj, field.attname) != value.pk
        return getattr(obj, name) != value

    def _sync_rows(self, queryset, fields: tuple[str, ...], wanted: set[tuple], **parent):
        """Make the rows of `queryset` exactly `wanted` (tuples of `fields`)."""
        label = queryset.model._meta.verbose_name_plural
        have = {tuple(getattr(row, f) for f in fields): row for row in queryset}
        for key, row in have.items():
            if key not in wanted:
                row.delete()
                self.updated[label] += 1
        for key in sorted(wanted - have.keys()):
            queryset.model.objects.create(**parent, **dict(zip(fields, key, strict=True)))
            self.created[label] += 1

    # -- consent and intake forms -------------------------------------------------------------

    def _course_offer(self, clinic: Clinic, treatments: dict[str, Treatment]) -> None:
        """One course per clinic, of its first treatment sold as a course (else its first
        treatment): the sessions it recommends, 15% off their price, for six months."""
        sold = [t for t in treatments.values() if t.course_sessions > 1] or list(
            treatments.values()
        )
        treatment = sold[0]
        sessions = max(treatment.course_sessions, 6)
        self._upsert(
            CourseOffer,
            {"clinic": clinic, "name": f"Course of {sessions}: {treatment.name}"},
            {
                "treatment": treatment,
                "category": "",
                "sessions": sessions,
                "price": (treatment.price * sessions * Decimal("0.85")).quantize(Decimal("1")),
                "currency": clinic.currency,
                "validity": 6,
                "validity_unit": "months",
                "active": True,
            },
        )

    def _forms(self, clinic: Clinic, treatments: dict[str, Treatment]) -> None:
        """The demo's forms (_demo_forms.py) and their rules; a form whose words changed
        gets a new version (versions are never edited)."""
        organisation = clinic.organisation
        for form in DEMO_FORMS:
            template = self._upsert(
                FormTemplate,
                {"organisation": organisation, "name": form["name"]},
                {"kind": form["kind"]},
            )
            newest = template.versions.order_by("-number").first()
            words = (form["title"], form["text"], form["questions"])
            if newest is None or (newest.title, newest.text, newest.questions) != words:
                form_version_publish(
                    template=template,
                    title=form["title"],
                    text=form["text"],
                    questions=form["questions"],
                )
                self.created["form versions"] += 1
            rule = {
                "valid_days": form["valid_days"],
                "new_version_needs_signature": form["new_version_needs_signature"],
            }
            for category in form["categories"]:
                self._upsert(
                    FormRule,
                    {"organisation": organisation, "template": template, "category": category},
                    rule,
                )
            for slug in form["treatments"]:
                if slug in treatments:
                    self._upsert(
                        FormRule,
                        {
                            "organisation": organisation,
                            "template": template,
                            "treatment": treatments[slug],
                            "category": "",
                        },
                        rule,
                    )

    # -- the clinic ----------------------------------------------------------------------------

    def _clinic(self, org: DemoOrganisation) -> Clinic:
        organisation = self._upsert(Organisation, {"slug": org.slug}, {"name": org.name})
        clinic = self._upsert(
            Clinic, {"slug": org.clinic_slug}, {**org.clinic, "organisation": organisation}
        )
        self._sync_rows(
            clinic.opening_hours.all(),
            ("weekday", "opens", "closes"),
            {(day, opens, closes) for day, (opens, closes) in org.opening_hours.items()},
            clinic=clinic,
        )
        for day, reason in org.closures:
            # Other closures (training days...) added by staff are left alone.
            self._upsert(Closure, {"clinic": clinic, "date": day}, {"reason": reason})
        return clinic

    def _resource_kinds(self) -> dict[str, ResourceKind]:
        return {
            slug: self._upsert(ResourceKind, {"slug": slug}, {"name": name})
            for slug, name in RESOURCE_KINDS.items()
        }

    def _resources(self, org, clinic, kinds) -> None:
        for name, kind in org.resources:
            self._upsert(
                Resource, {"clinic": clinic, "name": name}, {"kind": kinds[kind], "active": True}
            )

    def _treatments(self, org, clinic, kinds) -> dict[str, Treatment]:
        treatments = {}
        for position, spec in enumerate(org.treatments, start=1):
            values = {k: v for k, v in spec.items() if k not in ("slug", "kinds")}
            values.update(clinic=clinic, position=position, active=True)
            treatment = self._upsert(Treatment, {"slug": spec["slug"]}, values)
            treatment.required_resource_kinds.set([kinds[k] for k in spec["kinds"]])
            treatments[spec["slug"]] = treatment
        return treatments

    def _prerequisites(self, org, clinic, treatments) -> None:
        for slug, required, hours, months, message in org.prerequisites:
            rule = self._upsert(
                PrerequisiteRule,
                {
                    "organisation": clinic.organisation,
                    "clinic": None,
                    "treatment": treatments[slug],
                },
                {"min_hours_before": hours, "valid_months": months, "message": message},
            )
            rule.required_treatments.set([treatments[required]])

    def _vocabulary(self, org, clinic, treatments) -> None:
        """The organisation's own words and its rules for them (a treatment's rule is its
        clinic's, a category's the organisation's)."""
        organisation = clinic.organisation
        for position, (vocabulary, code, name, question, sheet, days) in enumerate(org.terms):
            self._upsert(
                Term,
                {"organisation": organisation, "vocabulary": vocabulary, "code": code},
                {
                    "name": name,
                    "question": question,
                    "sheet": sheet,
                    "caution_days": days,
                    "position": 50 + position,  # after the defaults
                },
            )
        for kind, category, slug, min_days, recommended, message in org.waiting_rules:
            self._upsert(
                WaitingRule,
                self._rule_scope(organisation, clinic, treatments, slug, category)
                | {"injectable_kind": kind},
                {"min_days": min_days, "recommended_days": recommended, "message": message},
            )
        for condition, category, slug, action, message in org.contraindication_rules:
            self._upsert(
                ContraindicationRule,
                self._rule_scope(organisation, clinic, treatments, slug, category)
                | {"condition": condition, "resource_kind": None},
                {"action": action, "message": message},
            )

    @staticmethod
    def _rule_scope(organisation, clinic, treatments, slug: str, category: str) -> dict:
        if slug:
            return {
                "clinic": clinic,
                "organisation": None,
                "treatment": treatments[slug],
                "treatment_category": "",
            }
        return {
            "clinic": None,
            "organisation": organisation,
            "treatment": None,
            "treatment_category": category,
        }

    def _practitioners(self, org, clinic, treatments) -> dict[str, Practitioner]:
        practitioners = {}
        for spec in org.practitioners:
            practitioner = self._upsert(
                Practitioner, {"clinic": clinic, "name": spec["name"]}, {"active": True}
            )
            practitioner.treatments.set([treatments[slug] for slug in spec["treatments"]])
            self._sync_rows(
                practitioner.working_hours.all(),
                ("weekday", "starts", "ends"),
                {(day, starts, ends) for day, (starts, ends) in spec["hours"].items()},
                practitioner=practitioner,
            )
            practitioners[spec["name"]] = practitioner
        return practitioners

    def _time_off(self, org, clinic, practitioners) -> None:
        """A week's leave, created once, relative to the first run's date; later runs find it
        by practitioner + reason."""
        if org.time_off is None:
            return
        practitioner = practitioners[org.time_off["practitioner"]]
        reason = org.time_off["reason"]
        if TimeOff.objects.filter(practitioner=practitioner, reason=reason).exists():
            return
        # A Monday-to-Sunday week, local midnight to local midnight, a few weeks ahead.
        today = clinic.local_date(timezone.now())
        monday = today + timedelta(days=7 - today.weekday(), weeks=org.time_off["weeks_ahead"] - 1)
        TimeOff.objects.create(
            practitioner=practitioner,
            start=datetime.combine(monday, time(0), tzinfo=clinic.tzinfo).astimezone(UTC),
            end=datetime.combine(
                monday + timedelta(days=7), time(0), tzinfo=clinic.tzinfo
            ).astimezone(UTC),
            reason=reason,
        )
        self.created[TimeOff._meta.verbose_name_plural] += 1

    def _clients(self, org, clinic) -> dict[str, Client]:
        """One record per email in the organisation: a person who is a client of both demo
        organisations is two records."""
        return {
            email: self._upsert(
                Client,
                {"organisation": clinic.organisation, "email__iexact": email},
                {"email": email, "name": name, "phone": phone, "home_clinic": clinic},
            )
            for name, email, phone in org.clients
        }

    def _injectables(self, org, clinic, clients) -> None:
        """Filler and Botox records and declared conditions, so the clinical rules show in the
        demo. Keyed on client + kind + product (+ condition); the dates are relative to the
        first run. Recorded through the health service, as staff would."""
        today = clinic.local_date(timezone.now())
        for email, kind, product, days_ago, areas, amount, unit in org.injectables:
            client = clients[email]
            if client.injectables.filter(kind=kind, product=product).exists():
                continue
            injectable_record(
                client=client,
                kind=kind,
                date=today - timedelta(days=days_ago),
                areas=areas,
                product=product,
                amount=Decimal(amount) if amount else None,
                amount_unit=unit,
                given_here=True,
                notes="Demo record.",
            )
            self.created["injectable records"] += 1
        for email, condition in org.declarations:
            client = clients[email]
            if not client.declarations.filter(condition=condition).exists():
                declaration_record(client=client, condition=condition, declared_on=today)
                self.created["health declarations"] += 1

    def _staff(self, org, clinic: Clinic, practitioners: dict[str, Practitioner]) -> None:
        """The organisation's staff accounts, one per role at its clinic and none elsewhere;
        created once, never changed after."""
        user_model = get_user_model()
        for username, first_name, role, practitioner_name in org.staff:
            if user_model.objects.filter(username=username).exists():
                continue
            user = user_model.objects.create_user(
                username=username,
                first_name=first_name,
                email=f"{username}@{org.staff_email_domain}",
                password=ADMIN_PASSWORD,
                is_staff=True,
            )
            Membership.objects.create(user=user, clinic=clinic, role=role)
            if practitioner_name:
                practitioner = practitioners[practitioner_name]
                practitioner.user = user
                practitioner.save(update_fields=["user"])
            self.created["users"] += 1

    def _admin(self, reset_password: bool) -> str:
        """Create the demo superuser once; an existing password is only replaced on request."""
        user_model = get_user_model()
        user = user_model.objects.filter(**{user_model.USERNAME_FIELD: ADMIN_USERNAME}).first()
        if user is None:
            user_model.objects.create_superuser(
                username=ADMIN_USERNAME, email=ADMIN_EMAIL, password=ADMIN_PASSWORD
            )
            self.created["users"] += 1
            return ADMIN_PASSWORD
        if reset_password:
            user.set_password(ADMIN_PASSWORD)
            user.is_active = user.is_staff = user.is_superuser = True
            user.save()
            self.updated["users"] += 1
            return f"{ADMIN_PASSWORD} (reset)"
        if user.check_password(ADMIN_PASSWORD):
            return ADMIN_PASSWORD
        return "(changed since the demo was seeded; `seed_demo --reset-admin-password` resets it)"

    # -- appointments --------------------------------------------------------------------------

    def _appointments(self, org, clinic, treatments, practitioners, clients) -> str:
        """The organisation's demo bookings, each on the next free candidate time, unless
        enough are upcoming already."""
        now = timezone.now()
        count = Appointment.objects.filter(
            clinic=clinic, status=Appointment.Status.CONFIRMED, start__gte=now
        ).count()
        if count >= min(MIN_UPCOMING_BEFORE_BOOKING, len(org.bookings)):
            return f"Appointments at {clinic}: {count} upcoming already, none added."

        tomorrow = clinic.local_date(now) + timedelta(days=1)
        booked, failed = [], []
        for email, slug, name in org.bookings:
            if count + len(booked) >= len(org.bookings):
                break
            treatment, practitioner = treatments[slug], practitioners[name]
            slots = find_slots(
                treatment=treatment,
                first_day=tomorrow,
                last_day=tomorrow + timedelta(days=SEARCH_DAYS - 1),
                practitioner_id=practitioner.pk,
                online=True,
                now=now,
            )
            # Round times a receptionist would offer first, then any free slot.
            starts = [slot.start for slot in slots]
            starts.sort(key=lambda s: s.astimezone(clinic.tzinfo).time() not in PREFERRED_TIMES)
            for start in starts:
                try:
                    # A savepoint per attempt: a refusal leaves the seed's transaction usable.
                    with transaction.atomic():
                        appointment = appointment_book(
                            treatment=treatment,
                            start=start,
                            client=clients[email],
                            practitioner=practitioner,
                            by=None,
                            channel="staff",
                            # Booked by the desk with the client, who heard the warnings.
                            acknowledge_warnings=True,
                        ).appointment
                except BookingError:
                    continue
                booked.append(appointment)
                break
            else:
                failed.append(f"{slug} with {name}")
        self.created["appointments"] += len(booked)
        lines = [f"Appointments booked at {clinic}: {len(booked)}"]
        lines += [
            f"  {a.start.astimezone(clinic.tzinfo):%a %d %b %H:%M}  {a.treatment} "
            f"with {a.practitioner} for {a.client.name}"
            for a in booked
        ]
        if failed:
            lines.append(self.style.WARNING(f"  No free time found for: {', '.join(failed)}"))
        return "\n".join(lines)
