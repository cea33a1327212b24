"""`manage.py seed_demo`: the demo clinic for a first look, with staff, treatments, clients and
a few bookings. Idempotent: every row is keyed on a slug, name or email, so a second run
finds everything in place and writes nothing."""

from collections import Counter
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import models, transaction
from django.utils import timezone

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
    TimeOff,
    Treatment,
    TreatmentCategory,
    Weekday,
)
from clinical.services import declaration_record, injectable_record
from diary.availability import find_slots
from diary.errors import BookingError
from diary.services import appointment_book

ORGANISATION = {"slug": "lumiere", "name": "Lumière Skin Clinic"}
CLINIC_SLUG = "lumiere"
CLINIC = {
    "name": "Lumière Skin Clinic",
    "timezone": "Europe/London",
    "currency": "GBP",
    # 020 7946 0xxx is Ofcom's range reserved for drama: it never rings a real person.
    "phone": "020 7946 0321",
    "email": "hello@lumiere.example.com",
    "address": "18 Chiltern Street\nMarylebone\nLondon W1U 7QA",
    "slot_step_minutes": 15,
    "min_notice_minutes": 120,
    "max_advance_days": 90,
    "cancellation_window_hours": 24,
    "logo_url": "/static/bookings/img/lumiere-mark.svg",
    "primary_colour": "#3d5a56",
    "accent_colour": "#efe4d6",
}

OPENING_HOURS = {
    Weekday.MONDAY: (time(9), time(19)),
    Weekday.TUESDAY: (time(9), time(19)),
    Weekday.WEDNESDAY: (time(9), time(19)),
    Weekday.THURSDAY: (time(9), time(19)),
    Weekday.FRIDAY: (time(9), time(19)),
    Weekday.SATURDAY: (time(9), time(17)),
    # Sunday: closed.
}

# England and Wales bank holidays (gov.uk/bank-holidays), substitute days included.
BANK_HOLIDAYS = [
    (date(2026, 1, 1), "New Year's Day"),
    (date(2026, 4, 3), "Good Friday"),
    (date(2026, 4, 6), "Easter Monday"),
    (date(2026, 5, 4), "Early May bank holiday"),
    (date(2026, 5, 25), "Spring bank holiday"),
    (date(2026, 8, 31), "Summer bank holiday"),
    (date(2026, 12, 25), "Christmas Day"),
    (date(2026, 12, 28), "Boxing Day (substitute day)"),
    (date(2027, 1, 1), "New Year's Day"),
    (date(2027, 3, 26), "Good Friday"),
    (date(2027, 3, 29), "Easter Monday"),
    (date(2027, 5, 3), "Early May bank holiday"),
    (date(2027, 5, 31), "Spring bank holiday"),
    (date(2027, 8, 30), "Summer bank holiday"),
    (date(2027, 12, 27), "Christmas Day (substitute day)"),
    (date(2027, 12, 28), "Boxing Day (substitute day)"),
]

RESOURCE_KINDS = {
    "treatment-room": "Treatment room",
    "microcurrent-device": "Microcurrent device",
    "led-panel": "LED panel",
}

RESOURCES = [
    ("Room 1", "treatment-room"),
    ("Room 2", "treatment-room"),
    ("Microcurrent device", "microcurrent-device"),
    ("LED panel", "led-panel"),
]

TREATMENTS = [
    {
        "slug": "manual-facial-massage",
        "name": "Manual facial massage",
        "category": TreatmentCategory.FACIAL_MASSAGE,
        "duration_minutes": 60,
        "buffer_after_minutes": 15,
        "price": Decimal("95.00"),
        "kinds": ["treatment-room"],
        "description": (
            "Our signature hands-only facial massage. After a double cleanse, your practitioner "
            "works through the face, neck and décolletage with a nourishing oil, releasing "
            "tension in the jaw and brow and bringing fresh circulation to the skin. Expect a "
            "brighter, more rested complexion straight away; results build over a course of "
            "sessions. Please tell us about any dermal filler or anti-wrinkle injections in the "
            "last four weeks before you book."
        ),
    },
    {
        "slug": "lymphatic-drainage",
        "name": "Lymphatic drainage facial",
        "category": TreatmentCategory.FACIAL_MASSAGE,
        "duration_minutes": 60,
        "buffer_after_minutes": 15,
        "price": Decimal("105.00"),
        "kinds": ["treatment-room"],
        "description": (
            "Slow, feather-light rhythmic strokes that follow the lymphatic pathways of the face "
            "and neck to ease puffiness, fluid retention and dullness. Ideal before an event, "
            "during hay-fever season or whenever the face feels congested. Drink plenty of water "
            "afterwards. Not suitable during an active infection or with untreated thyroid "
            "conditions; please ask us if you are unsure."
        ),
    },
    {
        "slug": "gua-sha",
        "name": "Gua sha facial",
        "category": TreatmentCategory.FACIAL_MASSAGE,
        "duration_minutes": 45,
        "buffer_after_minutes": 15,
        "price": Decimal("85.00"),
        "kinds": ["treatment-room"],
        "description": (
            "A traditional technique using a smooth, cooled stone tool glided over the skin with "
            "facial oil to release muscle tension, reduce puffiness and sharpen the contours of "
            "the cheekbones and jaw. Your practitioner will show you a short routine to continue "
            "at home. Mild pinkness fades within an hour."
        ),
    },
    {
        "slug": "sculpting-massage",
        "name": "Sculpting and lifting massage",
        "category": TreatmentCategory.FACIAL_MASSAGE,
        "duration_minutes": 75,
        "buffer_after_minutes": 15,
        "price": Decimal("125.00"),
        "kinds": ["treatment-room"],
        "description": (
            "Deep, structured massage, including intra-oral buccal work on request, that works "
            "the muscles and fascia of the face for a visibly lifted, defined look. Our most "
            "intensive massage: most clients book a course of ten sessions, weekly at first. Not "
            "suitable within four weeks of dermal fillers or anti-wrinkle injections."
        ),
    },
    {
        "slug": "tmj-release",
        "name": "TMJ and jaw tension release",
        "category": TreatmentCategory.FACIAL_MASSAGE,
        "duration_minutes": 45,
        "buffer_after_minutes": 15,
        "price": Decimal("90.00"),
        "kinds": ["treatment-room"],
        "description": (
            "Focused massage of the jaw, temples, neck and shoulders for clients who clench or "
            "grind their teeth, wake with headaches or carry stress in the face. Can include "
            "gloved intra-oral work on the masseter with your consent. A complement to, not a "
            "replacement for, care from your dentist."
        ),
    },
    {
        "slug": "microcurrent-toning",
        "name": "Microcurrent toning facial",
        "category": TreatmentCategory.MICROCURRENT,
        "duration_minutes": 45,
        "buffer_after_minutes": 15,
        "price": Decimal("120.00"),
        "kinds": ["treatment-room", "microcurrent-device"],
        "description": (
            "A gentle, painless low-level electrical current delivered through hand-held probes "
            "re-educates the facial muscles for a toned, lifted result. We use oil-free conducting "
            "gels and serums only, as oils block the current. Not suitable if you have a "
            "pacemaker or any other implanted electronic device, if you are pregnant, or if you "
            "have epilepsy; please also tell us about metal implants, active skin conditions "
            "and recent injections. Results build over a course; at home, a microcurrent device "
            "is used for about five minutes a day after moisturising."
        ),
    },
    {
        "slug": "led-light-therapy",
        "name": "LED red light therapy",
        "category": TreatmentCategory.LIGHT_THERAPY,
        "duration_minutes": 30,
        "buffer_after_minutes": 10,
        "price": Decimal("80.00"),
        "kinds": ["treatment-room", "led-panel"],
        "description": (
            "Relax under our medical-grade red and near-infrared LED panel, which supports "
            "collagen production, calms redness and speeds up skin recovery. No downtime, and a "
            "good add-on after a facial massage. Please tell us if you are sensitive to light, "
            "take photosensitising medication or have a history of epilepsy."
        ),
    },
]

ALL_TREATMENTS = [t["slug"] for t in TREATMENTS]

# For the rebooking reminder: days until the next session, and sessions in a course (1: none).
# Results build up, so the intensive and device treatments are sold as weekly courses of 10.
REBOOKING = {
    "manual-facial-massage": (28, 1),
    "lymphatic-drainage": (14, 1),
    "gua-sha": (28, 1),
    "sculpting-massage": (7, 10),
    "tmj-release": (21, 1),
    "microcurrent-toning": (7, 10),
    "led-light-therapy": (7, 10),
}
WEEKDAYS_MON_FRI = [Weekday(day) for day in range(Weekday.SATURDAY)]

PRACTITIONERS = [
    {
        "name": "Amelia Hart",  # full time, every treatment
        "hours": {day: (time(9), time(17)) for day in WEEKDAYS_MON_FRI},
        "treatments": ALL_TREATMENTS,
    },
    {
        "name": "Sofia Marchetti",
        # 10-18 Tuesday to Friday; Saturday ends at 17:00 when the clinic closes.
        "hours": {
            Weekday.TUESDAY: (time(10), time(18)),
            Weekday.WEDNESDAY: (time(10), time(18)),
            Weekday.THURSDAY: (time(10), time(18)),
            Weekday.FRIDAY: (time(10), time(18)),
            Weekday.SATURDAY: (time(10), time(17)),
        },
        "treatments": ["manual-facial-massage", "gua-sha", "lymphatic-drainage"],
    },
    {
        "name": "Priya Shah",  # part time, the device treatments and sculpting
        "hours": {
            Weekday.MONDAY: (time(12), time(19)),
            Weekday.WEDNESDAY: (time(12), time(19)),
            Weekday.FRIDAY: (time(12), time(19)),
        },
        "treatments": ["microcurrent-toning", "led-light-therapy", "sculpting-massage"],
    },
    {
        "name": "Chloe Bennett",
        "hours": {
            Weekday.THURSDAY: (time(9), time(15)),
            Weekday.FRIDAY: (time(9), time(15)),
            Weekday.SATURDAY: (time(9), time(15)),
        },
        "treatments": ["tmj-release", "manual-facial-massage", "led-light-therapy"],
    },
]

# Created once, relative to the first run's date; later runs find it by practitioner + reason.
TIME_OFF = {"practitioner": "Sofia Marchetti", "reason": "Annual leave", "weeks_ahead": 3}

# 07700 900xxx is Ofcom's mobile range reserved for drama.
CLIENTS = [
    ("Olivia Turner", "olivia.turner@example.com", "07700 900101"),
    ("James Whitfield", "james.whitfield@example.com", "07700 900214"),
    ("Hannah Okafor", "hannah.okafor@example.com", "07700 900327"),
    ("Charlotte Davies", "charlotte.davies@example.com", "07700 900438"),
    ("Aisha Rahman", "aisha.rahman@example.com", "07700 900552"),
]

# (client email, kind, product, days before the first run, areas, amount, unit)
DEMO_INJECTABLES = [
    # Facial massage refused until day 14: the staff eligibility view shows from when.
    (
        "aisha.rahman@example.com",
        "filler",
        "Juvederm Voluma",
        10,
        ["cheeks", "tear_trough"],
        "1.0",
        "ml",
    ),
    # Day 20 after Botox: allowed once the warning is acknowledged.
    (
        "james.whitfield@example.com",
        "botox",
        "Azzalure",
        20,
        ["forehead", "glabella"],
        "50",
        "units",
    ),
    # Long enough ago to book freely; the practitioner's sheet still says "avoid the lips".
    ("olivia.turner@example.com", "filler", "Juvederm Volbella", 40, ["lips"], "1.0", "ml"),
]
# Microcurrent is refused for her (pacemaker); facial massages are fine.
DEMO_DECLARATIONS = [("hannah.okafor@example.com", "pacemaker")]

# (client email, treatment slug, practitioner name), booked on the next free candidate time.
DEMO_BOOKINGS = [
    ("olivia.turner@example.com", "manual-facial-massage", "Amelia Hart"),
    ("james.whitfield@example.com", "tmj-release", "Chloe Bennett"),
    ("hannah.okafor@example.com", "lymphatic-drainage", "Sofia Marchetti"),
    ("charlotte.davies@example.com", "microcurrent-toning", "Priya Shah"),
]
MIN_UPCOMING_BEFORE_BOOKING = 3  # fewer upcoming confirmed appointments than this: book more
PREFERRED_TIMES = {time(10), time(11, 30), time(14)}
SEARCH_DAYS = 14

# One account per staff role, to try the workspace as each (the demo password, set once).
DEMO_STAFF = [
    ("desk", "Dee", Membership.Role.FRONT_DESK, None),
    ("amelia", "Amelia", Membership.Role.PRACTITIONER, "Amelia Hart"),
    ("manager", "Morgan", Membership.Role.MANAGER, None),
]

ADMIN_USERNAME = "admin"
ADMIN_EMAIL = "admin@example.com"
ADMIN_PASSWORD = "clinic-demo-2026"


def addresses_and_logins(admin_password: str) -> str:
    """Where to go and how to log in: the end of seed_demo's output, and the last thing
    `make run` prints once the server answers (demo_ready)."""
    return (
        "\n"
        "  Booking:   http://127.0.0.1:8000/\n"
        "  Admin:     http://127.0.0.1:8000/admin/\n"
        f"  Username:  {ADMIN_USERNAME}\n"
        f"  Password:  {admin_password}\n"
        "  API docs:  http://127.0.0.1:8000/api/docs/\n"
        "  Workspace: http://127.0.0.1:8000/staff/ as desk, amelia (a practitioner) or\n"
        f"             manager, password {ADMIN_PASSWORD}\n"
    )


class Command(BaseCommand):
    help = "Create (or bring back) the demo clinic 'Lumière Skin Clinic'. Safe to run repeatedly."

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
            clinic = self._clinic()
            kinds = self._resource_kinds()
            self._resources(clinic, kinds)
            treatments = self._treatments(clinic, kinds)
            practitioners = self._practitioners(clinic, treatments)
            self._time_off(clinic, practitioners)
            clients = self._clients(clinic)
            self._injectables(clinic, clients)
            admin_note = self._admin(reset_admin_password)
            self._staff(clinic, practitioners)
            booking_note = self._appointments(clinic, treatments, practitioners, clients)

        def counts(counter):
            return ", ".join(f"{n} {name}" for name, n in sorted(counter.items())) or "nothing"

        self.stdout.write(f"Created: {counts(self.created)}.")
        self.stdout.write(f"Updated: {counts(self.updated)}.")
        self.stdout.write(booking_note)
        self.stdout.write(self.style.SUCCESS(f"\n{CLINIC['name']} is ready."))
        self.stdout.write(addresses_and_logins(admin_note))

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

    # -- the clinic ----------------------------------------------------------------------------

    def _clinic(self) -> Clinic:
        organisation = self._upsert(
            Organisation, {"slug": ORGANISATION["slug"]}, {"name": ORGANISATION["name"]}
        )
        clinic = self._upsert(
            Clinic, {"slug": CLINIC_SLUG}, {**CLINIC, "organisation": organisation}
        )
        self._sync_rows(
            clinic.opening_hours.all(),
            ("weekday", "opens", "closes"),
            {(day, opens, closes) for day, (opens, closes) in OPENING_HOURS.items()},
            clinic=clinic,
        )
        for day, reason in BANK_HOLIDAYS:
            # Other closures (training days...) added by staff are left alone.
            self._upsert(Closure, {"clinic": clinic, "date": day}, {"reason": reason})
        return clinic

    def _resource_kinds(self) -> dict[str, ResourceKind]:
        return {
            slug: self._upsert(ResourceKind, {"slug": slug}, {"name": name})
            for slug, name in RESOURCE_KINDS.items()
        }

    def _resources(self, clinic: Clinic, kinds: dict[str, ResourceKind]) -> None:
        for name, kind in RESOURCES:
            self._upsert(
                Resource, {"clinic": clinic, "name": name}, {"kind": kinds[kind], "active": True}
            )

    def _treatments(self, clinic, kinds) -> dict[str, Treatment]:
        treatments = {}
        for position, spec in enumerate(TREATMENTS, start=1):
            values = {k: v for k, v in spec.items() if k not in ("slug", "kinds")}
            values.update(clinic=clinic, position=position, active=True)
            values["rebook_after_days"], values["course_sessions"] = REBOOKING[spec["slug"]]
            treatment = self._upsert(Treatment, {"slug": spec["slug"]}, values)
            treatment.required_resource_kinds.set([kinds[k] for k in spec["kinds"]])
            treatments[spec["slug"]] = treatment
        return treatments

    def _practitioners(self, clinic, treatments) -> dict[str, Practitioner]:
        practitioners = {}
        for spec in PRACTITIONERS:
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

    def _time_off(self, clinic, practitioners) -> None:
        practitioner = practitioners[TIME_OFF["practitioner"]]
        if TimeOff.objects.filter(practitioner=practitioner, reason=TIME_OFF["reason"]).exists():
            return
        # A Monday-to-Sunday week, local midnight to local midnight, a few weeks ahead.
        today = clinic.local_date(timezone.now())
        monday = today + timedelta(days=7 - today.weekday(), weeks=TIME_OFF["weeks_ahead"] - 1)
        TimeOff.objects.create(
            practitioner=practitioner,
            start=datetime.combine(monday, time(0), tzinfo=clinic.tzinfo).astimezone(UTC),
            end=datetime.combine(
                monday + timedelta(days=7), time(0), tzinfo=clinic.tzinfo
            ).astimezone(UTC),
            reason=TIME_OFF["reason"],
        )
        self.created[TimeOff._meta.verbose_name_plural] += 1

    def _clients(self, clinic) -> dict[str, Client]:
        return {
            email: self._upsert(
                Client,
                {"organisation": clinic.organisation, "email__iexact": email},
                {"email": email, "name": name, "phone": phone, "home_clinic": clinic},
            )
            for name, email, phone in CLIENTS
        }

    def _injectables(self, clinic, clients) -> None:
        """Filler and Botox records and a declared condition, so the clinical rules show in the
        demo: one client refused, one warned, one allowed with cautions, one who cannot have
        microcurrent. Keyed on client + kind + product; the dates are relative to the first run.
        Recorded through the health service, as staff would."""
        today = clinic.local_date(timezone.now())
        for email, kind, product, days_ago, areas, amount, unit in DEMO_INJECTABLES:
            client = clients[email]
            if client.injectables.filter(kind=kind, product=product).exists():
                continue
            injectable_record(
                client=client,
                kind=kind,
                date=today - timedelta(days=days_ago),
                areas=areas,
                product=product,
                amount=Decimal(amount),
                amount_unit=unit,
                given_here=True,
                notes="Demo record.",
            )
            self.created["injectable records"] += 1
        for email, condition in DEMO_DECLARATIONS:
            client = clients[email]
            if not client.declarations.filter(condition=condition).exists():
                declaration_record(client=client, condition=condition, declared_on=today)
                self.created["health declarations"] += 1

    def _staff(self, clinic: Clinic, practitioners: dict[str, Practitioner]) -> None:
        """The demo's staff accounts, one per role at the clinic; created once, never
        changed after."""
        user_model = get_user_model()
        for username, first_name, role, practitioner_name in DEMO_STAFF:
            if user_model.objects.filter(username=username).exists():
                continue
            user = user_model.objects.create_user(
                username=username,
                first_name=first_name,
                email=f"{username}@lumiere.example.com",
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

    def _appointments(self, clinic, treatments, practitioners, clients) -> str:
        now = timezone.now()
        count = Appointment.objects.filter(
            clinic=clinic, status=Appointment.Status.CONFIRMED, start__gte=now
        ).count()
        if count >= MIN_UPCOMING_BEFORE_BOOKING:
            return f"Appointments: {count} upcoming already, none added."

        tomorrow = clinic.local_date(now) + timedelta(days=1)
        booked, failed = [], []
        for email, slug, name in DEMO_BOOKINGS:
            if count + len(booked) >= len(DEMO_BOOKINGS):
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
        lines = [f"Appointments booked: {len(booked)}"]
        lines += [
            f"  {a.start.astimezone(clinic.tzinfo):%a %d %b %H:%M}  {a.treatment} "
            f"with {a.practitioner} for {a.client.name}"
            for a in booked
        ]
        if failed:
            lines.append(self.style.WARNING(f"  No free time found for: {', '.join(failed)}"))
        return "\n".join(lines)
