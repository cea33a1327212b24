"""The demo's data, which seed_demo writes: two businesses on one installation, each with
one clinic, its catalogue, practitioners, clients, clinical records, bookings and staff.

Lumière Skin Clinic is the demo proper. Northside Skin Studio is a second organisation, so
the separation shows: its staff see none of Lumière's clients, and Olivia Turner, a client
of both, is two records with two health histories, one per organisation.

Every row is keyed on a slug, name or email (see seed_demo), so these can be edited and
seed_demo run again. Treatment slugs are unique across the installation (they are the
booking pages' addresses), so the two catalogues use different ones.
"""

from dataclasses import dataclass
from datetime import date, time
from decimal import Decimal

from clinic.models import Membership, TreatmentCategory, Weekday


@dataclass(frozen=True)
class DemoOrganisation:
    """One business of the demo and its one clinic."""

    slug: str
    name: str
    clinic_slug: str
    clinic: dict  # the Clinic's fields
    opening_hours: dict  # weekday: (opens, closes)
    closures: list  # (date, reason)
    resources: list  # (name, resource kind slug)
    treatments: list  # the Treatment's fields, with its slug and "kinds" (resource kinds)
    practitioners: list  # name, "hours" (weekday: (starts, ends)), "treatments" (slugs)
    time_off: dict | None  # practitioner, reason, weeks ahead of the first run
    clients: list  # (name, email, phone)
    injectables: list  # (email, kind, product, days before the first run, areas, amount, unit)
    declarations: list  # (email, condition)
    bookings: list  # (email, treatment slug, practitioner name), on the next free time
    staff: list  # (username, first name, role, practitioner name), one per role, in this order
    staff_email_domain: str
    # (treatment slug, required treatment slug, hours before, months valid, message)
    prerequisites: tuple = ()
    # The organisation's own clinical words: (vocabulary, code, name, question, sheet, caution
    # days), and rules for them or for one treatment: (procedure or condition, category,
    # treatment slug, min days, recommended days, message) and (condition, category,
    # treatment slug, action, message). A rule naming a treatment is its clinic's; one naming
    # a category is the organisation's.
    terms: tuple = ()
    waiting_rules: tuple = ()
    contraindication_rules: tuple = ()


ADMIN_USERNAME = "admin"
ADMIN_EMAIL = "admin@example.com"
# The superuser's, and every staff account's (set once, when the account is created).
ADMIN_PASSWORD = "clinic-demo-2026"

RESOURCE_KINDS = {
    "treatment-room": "Treatment room",
    "microcurrent-device": "Microcurrent device",
    "led-panel": "LED panel",
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

WEEKDAYS_MON_FRI = [Weekday(day) for day in range(Weekday.SATURDAY)]

# -- Lumière Skin Clinic, Marylebone ---------------------------------------------------------

LUMIERE_CLINIC = {
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

LUMIERE_OPENING_HOURS = {
    Weekday.MONDAY: (time(9), time(19)),
    Weekday.TUESDAY: (time(9), time(19)),
    Weekday.WEDNESDAY: (time(9), time(19)),
    Weekday.THURSDAY: (time(9), time(19)),
    Weekday.FRIDAY: (time(9), time(19)),
    Weekday.SATURDAY: (time(9), time(17)),
    # Sunday: closed.
}

LUMIERE_RESOURCES = [
    ("Room 1", "treatment-room"),
    ("Room 2", "treatment-room"),
    ("Microcurrent device", "microcurrent-device"),
    ("LED panel", "led-panel"),
]

# rebook_after_days and course_sessions are for the rebooking reminder: days until the next
# session, and sessions in a course (1: none). Results build up, so the intensive and device
# treatments are sold as weekly courses of 10.
LUMIERE_TREATMENTS = [
    {
        "slug": "manual-facial-massage",
        "name": "Manual facial massage",
        "category": TreatmentCategory.FACIAL_MASSAGE,
        "duration_minutes": 60,
        "buffer_after_minutes": 15,
        "price": Decimal("95.00"),
        "rebook_after_days": 28,
        "course_sessions": 1,
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
        "rebook_after_days": 14,
        "course_sessions": 1,
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
        "rebook_after_days": 28,
        "course_sessions": 1,
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
        "rebook_after_days": 7,
        "course_sessions": 10,
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
        "rebook_after_days": 21,
        "course_sessions": 1,
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
        "rebook_after_days": 7,
        "course_sessions": 10,
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
        "slug": "patch-test",
        "name": "Patch test",
        # The test of the microcurrent's conducting gel: its category's contraindications
        # (a pacemaker...) rule it out as they rule out the treatment.
        "category": TreatmentCategory.MICROCURRENT,
        "duration_minutes": 15,
        "buffer_after_minutes": 0,
        "price": Decimal("0.00"),
        "kinds": ["treatment-room"],
        "description": (
            "A free 15-minute test of the conducting gel we use for microcurrent: a small "
            "amount is applied behind your ear and checked for any reaction. Needed at least "
            "48 hours before your first microcurrent facial, and again after six months."
        ),
    },
    {
        "slug": "led-light-therapy",
        "name": "LED red light therapy",
        "category": TreatmentCategory.LIGHT_THERAPY,
        "duration_minutes": 30,
        "buffer_after_minutes": 10,
        "price": Decimal("80.00"),
        "rebook_after_days": 7,
        "course_sessions": 10,
        "kinds": ["treatment-room", "led-panel"],
        "description": (
            "Relax under our medical-grade red and near-infrared LED panel, which supports "
            "collagen production, calms redness and speeds up skin recovery. No downtime, and a "
            "good add-on after a facial massage. Please tell us if you are sensitive to light, "
            "take photosensitising medication or have a history of epilepsy."
        ),
    },
]

LUMIERE_PRACTITIONERS = [
    {
        "name": "Amelia Hart",  # full time, every treatment
        "hours": {day: (time(9), time(17)) for day in WEEKDAYS_MON_FRI},
        "treatments": [t["slug"] for t in LUMIERE_TREATMENTS],
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
        "treatments": [
            "microcurrent-toning",
            "patch-test",
            "led-light-therapy",
            "sculpting-massage",
        ],
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
LUMIERE_TIME_OFF = {"practitioner": "Sofia Marchetti", "reason": "Annual leave", "weeks_ahead": 3}

# 07700 900xxx is Ofcom's mobile range reserved for drama.
LUMIERE_CLIENTS = [
    ("Olivia Turner", "olivia.turner@example.com", "07700 900101"),
    ("James Whitfield", "james.whitfield@example.com", "07700 900214"),
    ("Hannah Okafor", "hannah.okafor@example.com", "07700 900327"),
    ("Charlotte Davies", "charlotte.davies@example.com", "07700 900438"),
    ("Aisha Rahman", "aisha.rahman@example.com", "07700 900552"),
]

# So the clinical rules show: one client refused, one warned, one allowed with cautions.
LUMIERE_INJECTABLES = [
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
    # A prior procedure Lumière added as its own word: on the sheet, "avoid ... jawline".
    ("charlotte.davies@example.com", "profound_rf", "Profound RF", 30, ["jawline"], "", ""),
]
# Microcurrent is refused for her (pacemaker); facial massages are fine. Her lymphatic
# drainage needs the practitioner's approval (thyroid disease, a rule for that treatment).
LUMIERE_DECLARATIONS = [
    ("hannah.okafor@example.com", "pacemaker"),
    ("hannah.okafor@example.com", "thyroid_disease"),
]

LUMIERE_BOOKINGS = [
    ("olivia.turner@example.com", "manual-facial-massage", "Amelia Hart"),
    ("james.whitfield@example.com", "tmj-release", "Chloe Bennett"),
    ("hannah.okafor@example.com", "lymphatic-drainage", "Sofia Marchetti"),
    # Her patch test first: microcurrent is booked from 48 hours after it.
    ("charlotte.davies@example.com", "patch-test", "Priya Shah"),
    ("charlotte.davies@example.com", "microcurrent-toning", "Priya Shah"),
]

LUMIERE_PREREQUISITES = (
    (
        "microcurrent-toning",
        "patch-test",
        48,
        6,
        "Microcurrent uses a conducting gel: we test it on your skin at least 48 hours "
        "before your first session, and again every six months.",
    ),
)

LUMIERE_STAFF = [
    ("desk", "Dee", Membership.Role.FRONT_DESK, None),
    ("amelia", "Amelia", Membership.Role.PRACTITIONER, "Amelia Hart"),
    ("manager", "Morgan", Membership.Role.MANAGER, None),
]

# The prior procedures and conditions the treatments' own texts and the source articles name,
# as Lumière's own words (shared/DESIGN.md: added without a code change).
LUMIERE_TERMS = (
    (
        "procedure",
        "profound_rf",
        "Profound RF",
        "Profound RF (radiofrequency microneedling)",
        "Profound RF",
        90,
    ),
    ("procedure", "sofwave", "Sofwave", "Sofwave (ultrasound skin tightening)", "Sofwave", 90),
    ("procedure", "chemical_peel", "Chemical peel", "a chemical peel", "peel", 30),
    ("procedure", "laser", "Laser treatment", "a laser treatment on the face", "laser", 30),
    (
        "condition",
        "metal_implants",
        "Metal implants",
        "I have metal implants in my face or jaw",
        "metal implants",
        None,
    ),
    (
        "condition",
        "skin_infection",
        "Active skin infection",
        "I have an active skin infection (a cold sore, impetigo...)",
        "active skin infection",
        None,
    ),
    (
        "condition",
        "thyroid_disease",
        "Thyroid disease",
        "I have a thyroid condition that is not under treatment",
        "thyroid disease",
        None,
    ),
    (
        "condition",
        "photosensitising_medication",
        "Photosensitising medication",
        "I take medication that makes my skin sensitive to light",
        "photosensitising medication",
        None,
    ),
)
_MASSAGE = "facial_massage"
LUMIERE_WAITING_RULES = (
    # The sculpting massage's own text says four weeks: its rule, not its category's.
    (
        "filler",
        "",
        "sculpting-massage",
        28,
        28,
        "Our sculpting massage works deep in the face: please wait four weeks after dermal filler.",
    ),
    (
        "botox",
        "",
        "sculpting-massage",
        28,
        28,
        "Our sculpting massage works deep in the face: please wait four weeks after Botox.",
    ),
    (
        "profound_rf",
        _MASSAGE,
        "",
        14,
        28,
        "The skin needs time to heal after Profound RF. Please wait at least two weeks before a "
        "facial massage, ideally four.",
    ),
    (
        "sofwave",
        _MASSAGE,
        "",
        7,
        14,
        "Please wait at least a week after Sofwave before a facial massage, ideally two.",
    ),
    (
        "chemical_peel",
        _MASSAGE,
        "",
        7,
        14,
        "Freshly peeled skin is fragile. Please wait at least a week after a chemical peel "
        "before a facial massage, ideally two.",
    ),
    (
        "laser",
        _MASSAGE,
        "",
        7,
        14,
        "Please wait at least a week after a laser treatment before a facial massage, ideally two.",
    ),
)
LUMIERE_CONTRAINDICATION_RULES = (
    (
        "metal_implants",
        "microcurrent",
        "",
        "refuse",
        "Microcurrent is not used over metal implants.",
    ),
    (
        "skin_infection",
        _MASSAGE,
        "",
        "refuse",
        "A facial massage could spread an active skin infection: please book once it has cleared.",
    ),
    (
        "thyroid_disease",
        "",
        "lymphatic-drainage",
        "needs_approval",
        "Lymphatic drainage is not advised with untreated thyroid disease: your practitioner "
        "will check with you before the treatment.",
    ),
    (
        "photosensitising_medication",
        "light_therapy",
        "",
        "needs_approval",
        "Some medicines make the skin sensitive to light: your practitioner will check yours "
        "before LED light therapy.",
    ),
)

LUMIERE = DemoOrganisation(
    slug="lumiere",
    name="Lumière Skin Clinic",
    clinic_slug="lumiere",
    clinic=LUMIERE_CLINIC,
    opening_hours=LUMIERE_OPENING_HOURS,
    closures=BANK_HOLIDAYS,
    resources=LUMIERE_RESOURCES,
    treatments=LUMIERE_TREATMENTS,
    practitioners=LUMIERE_PRACTITIONERS,
    time_off=LUMIERE_TIME_OFF,
    clients=LUMIERE_CLIENTS,
    injectables=LUMIERE_INJECTABLES,
    declarations=LUMIERE_DECLARATIONS,
    bookings=LUMIERE_BOOKINGS,
    staff=LUMIERE_STAFF,
    staff_email_domain="lumiere.example.com",
    prerequisites=LUMIERE_PREREQUISITES,
    terms=LUMIERE_TERMS,
    waiting_rules=LUMIERE_WAITING_RULES,
    contraindication_rules=LUMIERE_CONTRAINDICATION_RULES,
)

# -- Northside Skin Studio, Ancoats (Manchester): another business ---------------------------

NORTHSIDE_CLINIC = {
    "name": "Northside Skin Studio, Ancoats",
    "timezone": "Europe/London",
    "currency": "GBP",
    # 0161 496 0xxx: Ofcom's drama range for Manchester.
    "phone": "0161 496 0742",
    "email": "hello@northside.example.com",
    "address": "Unit 4, Weavers' Yard\nAncoats\nManchester M4 6BU",
    "slot_step_minutes": 15,
    "min_notice_minutes": 240,
    "max_advance_days": 60,
    "cancellation_window_hours": 48,
    "logo_url": "",  # none: the pages show its name
    "primary_colour": "#4a3b5c",
    "accent_colour": "#ece6f2",
}

NORTHSIDE_OPENING_HOURS = {
    # Monday and Sunday: closed.
    Weekday.TUESDAY: (time(10), time(20)),
    Weekday.WEDNESDAY: (time(10), time(20)),
    Weekday.THURSDAY: (time(10), time(20)),
    Weekday.FRIDAY: (time(10), time(20)),
    Weekday.SATURDAY: (time(9), time(16)),
}

NORTHSIDE_RESOURCES = [
    ("Studio room 1", "treatment-room"),
    ("Studio room 2", "treatment-room"),
    ("Microcurrent device", "microcurrent-device"),
]

NORTHSIDE_TREATMENTS = [
    {
        "slug": "sculpt-and-glow",
        "name": "Sculpt and glow facial massage",
        "category": TreatmentCategory.FACIAL_MASSAGE,
        "duration_minutes": 50,
        "buffer_after_minutes": 10,
        "price": Decimal("75.00"),
        "rebook_after_days": 21,
        "course_sessions": 1,
        "kinds": ["treatment-room"],
        "description": (
            "Our everyday facial massage: lifting strokes, gentle cupping and a cool jade roller "
            "to wake up tired skin and ease a tight jaw. Please tell us about any dermal filler "
            "or anti-wrinkle injections in the last four weeks before you book."
        ),
    },
    {
        "slug": "buccal-facial-massage",
        "name": "Buccal facial massage",
        "category": TreatmentCategory.FACIAL_MASSAGE,
        "duration_minutes": 60,
        "buffer_after_minutes": 15,
        "price": Decimal("110.00"),
        "rebook_after_days": 14,
        "course_sessions": 6,
        "kinds": ["treatment-room"],
        "description": (
            "Deep sculpting massage from inside and outside the mouth, with gloves, for the "
            "cheeks, jaw and the muscles that hold tension. Best as a course of six, a fortnight "
            "apart. Not suitable within four weeks of dermal fillers or anti-wrinkle injections."
        ),
    },
    {
        "slug": "microcurrent-express",
        "name": "Express microcurrent lift",
        "category": TreatmentCategory.MICROCURRENT,
        "duration_minutes": 30,
        "buffer_after_minutes": 10,
        "price": Decimal("65.00"),
        "rebook_after_days": 7,
        "course_sessions": 10,
        "kinds": ["treatment-room", "microcurrent-device"],
        "description": (
            "A quick lunchtime microcurrent session to tone and lift the face. Not suitable if "
            "you have a pacemaker or any other implanted electronic device, if you are pregnant, "
            "or if you have epilepsy."
        ),
    },
]

NORTHSIDE_PRACTITIONERS = [
    {
        "name": "Noah Clarke",  # every treatment, Tuesday to Friday
        "hours": {
            day: (time(10), time(18))
            for day in (Weekday.TUESDAY, Weekday.WEDNESDAY, Weekday.THURSDAY, Weekday.FRIDAY)
        },
        "treatments": [t["slug"] for t in NORTHSIDE_TREATMENTS],
    },
    {
        "name": "Leah Brennan",  # the late shifts and Saturday, massages only
        "hours": {
            Weekday.WEDNESDAY: (time(12), time(20)),
            Weekday.THURSDAY: (time(12), time(20)),
            Weekday.FRIDAY: (time(12), time(20)),
            Weekday.SATURDAY: (time(9), time(16)),
        },
        "treatments": ["sculpt-and-glow", "buccal-facial-massage"],
    },
]

# Olivia Turner is a client of Lumière too: Northside keeps its own record of her, without
# Lumière's filler record.
NORTHSIDE_CLIENTS = [
    ("Olivia Turner", "olivia.turner@example.com", "07700 900101"),
    ("Grace Mensah", "grace.mensah@example.com", "07700 900663"),
    ("Ruby Walsh", "ruby.walsh@example.com", "07700 900774"),
]

# Day 18 after filler: a facial massage is allowed once the warning is acknowledged.
NORTHSIDE_INJECTABLES = [
    (
        "grace.mensah@example.com",
        "filler",
        "Restylane Lyft",
        18,
        ["cheeks", "jawline"],
        "1.0",
        "ml",
    ),
]

NORTHSIDE_BOOKINGS = [
    ("olivia.turner@example.com", "sculpt-and-glow", "Noah Clarke"),
    ("ruby.walsh@example.com", "buccal-facial-massage", "Leah Brennan"),
]

NORTHSIDE_STAFF = [
    ("nina", "Nina", Membership.Role.FRONT_DESK, None),
    ("noah", "Noah", Membership.Role.PRACTITIONER, "Noah Clarke"),
    ("nadia", "Nadia", Membership.Role.MANAGER, None),
]

NORTHSIDE = DemoOrganisation(
    slug="northside",
    name="Northside Skin Studio",
    clinic_slug="northside-ancoats",
    clinic=NORTHSIDE_CLINIC,
    opening_hours=NORTHSIDE_OPENING_HOURS,
    closures=BANK_HOLIDAYS,
    resources=NORTHSIDE_RESOURCES,
    treatments=NORTHSIDE_TREATMENTS,
    practitioners=NORTHSIDE_PRACTITIONERS,
    time_off=None,
    clients=NORTHSIDE_CLIENTS,
    injectables=NORTHSIDE_INJECTABLES,
    declarations=[],
    bookings=NORTHSIDE_BOOKINGS,
    staff=NORTHSIDE_STAFF,
    staff_email_domain="northside.example.com",
)

ORGANISATIONS = [LUMIERE, NORTHSIDE]
