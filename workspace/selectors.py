"""Reads for the workspace pages: a client's page at a glance, the day sheet, free slots for
booking or moving, each in a fixed number of queries.

Who may see them is the views' business (access/); these only read. What they compute
about an appointment travels beside it, in a DiaryEntry or a SheetEntry, never on it.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.core.paginator import Page, Paginator
from django.db import connection
from django.db.models import Count, Min, Q, QuerySet
from django.utils import timezone

from aftercare.planning import course_progress
from bookings.models import DIARY_STATUSES, Appointment, AppointmentResource
from clinic.models import Client, Clinic, Practitioner, Resource, Treatment
from clinical import eligibility, rules, terms
from clinical.vocabulary import AREA, CATEGORY, CONDITION, PROCEDURE
from diary import availability
from records.selectors import any_of

# What the grid and the day sheet, their cells and lines
# (workspace/templatetags/diary_grid.py, records_tags.py), who is shown
# (access.visible_among), the audit and the forms to sign never read of the appointments and
# their clients: a busy week has 250 of each, and a field unread is neither sent, parsed nor
# set (a deferred field read later would cost a query per appointment: the grid's tests
# count them).
UNREAD = (
    "practitioner_requested",
    "held_until",
    "channel",
    "notes",
    "flagged_at",
    "discount_reason",
    "created_at",
    "updated_at",
    "created_by",
    "changed_by",
    "client__user",
    "client__email",
    "client__phone",
    "client__created_at",
    "client__sms_opted_in",
    "client__sms_opt_in_at",
    "client__sms_opt_in_source",
    "client__sms_opt_out_at",
    "client__sms_opt_out_source",
    "client__unsubscribed_at",
    "client__notes",
)
MESSAGES_SHOWN = 50
PAST_PER_PAGE = 20  # past appointments on the client's page, per page


def clinic_today(clinic: Clinic) -> date:
    return timezone.localdate(timezone=clinic.tzinfo)


def span_days(day: date, span: str) -> tuple[date, date]:
    """The first and last date a day sheet or the diary shows: `day` itself, or for
    span "week" the week (Monday to Sunday) that holds it."""
    if span != "week":
        return day, day
    monday = day - timedelta(days=day.weekday())
    return monday, monday + timedelta(days=6)


def local_day_bounds(clinic: Clinic, day: date) -> tuple[datetime, datetime]:
    """[start, end) of a clinic-local date, as aware datetimes (23 or 25 hours on DST days)."""
    tz = clinic.tzinfo
    return (
        datetime.combine(day, time(0), tzinfo=tz),
        datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz),
    )


@dataclass(frozen=True)
class DiaryEntry:
    """An appointment of the diary with the rules applied to its client's record as it is
    now: its findings say what a rule would refuse or warn about, its cautions are the
    practitioner's."""

    appointment: Appointment
    decision: eligibility.Decision
    resources: tuple[Resource, ...] = ()  # the rooms and devices it holds

    @property
    def cautions(self) -> tuple[str, ...]:
        return self.decision.cautions


def appointments_between(
    *,
    clinics,
    first_day: date,
    last_day: date,
    visible: Q,
    practitioner_id: int | None = None,
    defer: tuple[str, ...] = (),
    client_homes: bool = True,
) -> list[DiaryEntry]:
    """The appointments of `clinics` on their local dates `first_day`..`last_day` inclusive
    (cancelled ones and holds left out) that the `visible` filter lets through (access.diary_of), by
    start, each with the rules' decision, in a fixed number of queries. `defer`: fields of the
    appointments (and `client__...` of their clients) the caller never reads, left unread
    (UNREAD). `client_homes`: give the clients their home clinic (the API's client shape
    names it; the grid and the sheets never read it)."""
    in_range = Q(pk__in=[])
    for clinic in clinics:
        start, _ = local_day_bounds(clinic, first_day)
        _, end = local_day_bounds(clinic, last_day)
        in_range |= Q(clinic=clinic, start__gte=start, start__lt=end)
    appointments = (
        Appointment.objects.filter(in_range)
        .filter(visible)
        .filter(status__in=DIARY_STATUSES)
        .select_related("client", "sign_off")
        .order_by("start", "practitioner__name")
    )
    if defer:
        appointments = appointments.defer(*defer)
    if practitioner_id is not None:
        appointments = appointments.filter(practitioner_id=practitioner_id)
    appointments = list(appointments)
    _share_related(appointments, clinics, client_homes=client_homes)
    decisions = rules.decisions_for(appointments)
    held = _held_resources(appointments)
    return [
        DiaryEntry(appointment, decisions[appointment.pk], held.get(appointment.pk, ()))
        for appointment in appointments
    ]


def _held_resources(appointments: list[Appointment]) -> dict[int, tuple[Resource, ...]]:
    """The rooms and devices each appointment holds, in Resource's order, by two queries:
    the holds as pairs of ids, then the few rooms and devices they name, one instance each
    shared by every appointment holding it. Not prefetch_related("resources"), which builds
    a related manager and clones a queryset for every appointment, nor a select_related
    instance per hold: each was a good part of a busy week's time (issue 16)."""
    if not appointments:
        return {}
    pairs = list(
        AppointmentResource.objects.filter(any_of("appointment_id", [a.pk for a in appointments]))
        .order_by("resource__clinic", "resource__kind__name", "resource__name", "resource")
        .values_list("appointment_id", "resource_id")
    )
    if not pairs:
        return {}
    resources = Resource.objects.in_bulk({resource_id for _, resource_id in pairs})
    held: dict[int, list[Resource]] = defaultdict(list)
    for appointment_id, resource_id in pairs:
        held[appointment_id].append(resources[resource_id])
    return {pk: tuple(resources) for pk, resources in held.items()}


def _share_related(appointments: list[Appointment], clinics, *, client_homes: bool) -> None:
    """Give the appointments their clinic, treatment (with its resource kinds, which the
    rules read) and practitioner, and (with `client_homes`) their clients their home clinic,
    one instance of each shared by all their appointments: a week of 250 appointments has a
    handful of each, and building (and prefetching for) one per appointment was a good part
    of the sheet's time. A home clinic outside `clinics` (a client first seen at another
    branch) is read in one query more. Without `client_homes` a client has no related
    object cached, so no fields cache of its own: ~250 dicts fewer a week."""
    if not appointments:
        return
    by_id = {clinic.pk: clinic for clinic in clinics}
    treatments = Treatment.objects.prefetch_related("required_resource_kinds").in_bulk(
        {a.treatment_id for a in appointments}
    )
    practitioners = Practitioner.objects.in_bulk({a.practitioner_id for a in appointments})
    homes = by_id
    if client_homes:
        elsewhere = {a.client.home_clinic_id for a in appointments} - by_id.keys()
        homes = {**Clinic.objects.in_bulk(elsewhere), **by_id} if elsewhere else by_id
    # Put in each relation's cache, as select_related does: each is the instance its id
    # already names, so assigning it (the descriptor checks its type and database, and sets
    # the id again through another descriptor) only cost time, ~1,000 times a week.
    set_clinic = Appointment.clinic.field.set_cached_value
    set_treatment = Appointment.treatment.field.set_cached_value
    set_practitioner = Appointment.practitioner.field.set_cached_value
    set_home = Client.home_clinic.field.set_cached_value
    for appointment in appointments:
        set_clinic(appointment, by_id[appointment.clinic_id])
        set_treatment(appointment, treatments[appointment.treatment_id])
        set_practitioner(appointment, practitioners[appointment.practitioner_id])
        if client_homes:
            client = appointment.client
            set_home(client, homes[client.home_clinic_id])


def day_appointments(
    *, clinics, day: date, visible: Q, practitioner_id: int | None = None
) -> list[DiaryEntry]:
    """The appointments of the clinic-local date `day`; see appointments_between."""
    return appointments_between(
        clinics=clinics,
        first_day=day,
        last_day=day,
        visible=visible,
        practitioner_id=practitioner_id,
    )


@dataclass
class CategoryDates:
    """When a client may next have a category of treatment (from the treatment shown)."""

    category: str
    label: str
    treatment: Treatment
    decision: eligibility.Decision
    today: date

    @property
    def allowed_now(self) -> bool:
        return self.decision.decision != eligibility.REFUSED

    @property
    def allowed_from(self) -> date | None:
        """The first day a booking is allowed; None while a contraindication refuses it."""
        if self.allowed_now:
            return self.today
        if self.decision.code == eligibility.CONTRAINDICATED:
            return None
        return self.decision.earliest_date

    @property
    def recommended_from(self) -> date | None:
        if self.allowed_from is None:
            return None
        recommended = self.decision.recommended_date
        return max(recommended, self.today) if recommended else self.allowed_from


@dataclass
class ClientOverview:
    client: Client
    today: date
    injectables: list = field(default_factory=list)  # every record, superseded ones too
    declarations: list = field(default_factory=list)
    categories: list[CategoryDates] = field(default_factory=list)
    upcoming: list[Appointment] = field(default_factory=list)
    past: Page | list[Appointment] = field(default_factory=list)  # a page, newest first
    courses: list[dict] = field(default_factory=list)  # treatments sold as a course
    messages: list = field(default_factory=list)  # newest first, at most MESSAGES_SHOWN

    @property
    def conflicts(self) -> list[Appointment]:
        """Upcoming appointments a later health record flagged: reschedule or contact."""
        return [a for a in self.upcoming if a.eligibility_flag]


def client_overview(
    client: Client,
    *,
    clinic: Clinic,
    diary: Q,
    message_clinics: set[int] | None,
    past_page: str | int | None = 1,
) -> ClientOverview:
    """Everything the client's page shows at `clinic`: the injectable timeline (with who
    recorded each; their record is the organisation's, whichever clinic recorded it), the
    next allowed and recommended date per treatment category `clinic` sells, declarations,
    and the appointments before and after now that the `diary` filter lets through
    (access.diary_of), with the messages of the clinics in `message_clinics` (None: all).

    A client can have hundreds of visits: the past ones come a page (PAST_PER_PAGE, newest
    first) at a time, `past_page` being the page asked for, and the course counts are
    counted by the database; so the page's cost does not grow with the client's history.

    Per category, the clinic's first bookable treatment of that category stands for it
    (rules are per category; a device's contraindications show on that category's row); a
    treatment with rules of its own has a row of its own, under its name.
    """
    today = clinic_today(clinic)
    overview = ClientOverview(client=client, today=today)
    words = terms.vocabulary_for(client.organisation_id)
    overview.injectables = list(
        client.injectables.select_related("recorded_by", "corrects").order_by("-date", "-pk")
    )
    for record in overview.injectables:  # in the organisation's words
        record.kind_name = words.name(PROCEDURE, record.kind)
        record.area_names = words.names(AREA, record.areas)
    overview.declarations = list(client.declarations.select_related("recorded_by"))
    for declaration in overview.declarations:
        declaration.condition_name = words.name(CONDITION, declaration.condition)

    first_of_category: dict[str, Treatment] = {}
    own_rules: list[Treatment] = []  # treatments whose own rules replace their category's
    named = rules.treatments_with_own_rules(clinic)
    for treatment in (
        Treatment.objects.filter(clinic=clinic, active=True)
        .prefetch_related("required_resource_kinds")
        .order_by("position", "name")
    ):
        if treatment.pk in named:
            own_rules.append(treatment)
        else:
            first_of_category.setdefault(treatment.category, treatment)
    for category, treatment in first_of_category.items():
        decision = rules.client_decision(client=client, treatment=treatment, on=today)
        overview.categories.append(
            CategoryDates(category, words.name(CATEGORY, category), treatment, decision, today)
        )
    for treatment in own_rules:
        decision = rules.client_decision(client=client, treatment=treatment, on=today)
        overview.categories.append(
            CategoryDates(treatment.category, treatment.name, treatment, decision, today)
        )

    now = timezone.now()
    appointments = client.appointments.filter(diary).select_related(
        "treatment", "practitioner", "clinic"
    )
    overview.upcoming = list(appointments.filter(start__gte=now).order_by("start"))
    overview.past = Paginator(
        appointments.filter(start__lt=now).order_by("-start", "-pk"), PAST_PER_PAGE
    ).get_page(past_page)
    overview.courses = _courses(client.appointments.filter(diary))
    messages = client.messages.select_related("treatment").order_by("-due_at", "-pk")
    if message_clinics is not None:
        messages = messages.filter(clinic_id__in=message_clinics)
    overview.messages = list(messages[:MESSAGES_SHOWN])
    return overview


def _courses(appointments: QuerySet[Appointment]) -> list[dict]:
    """For each treatment sold as a course that the client has booked: sessions done
    (completed), booked ahead, and left, as the rebooking nudge counts them."""
    counted = (
        appointments.filter(treatment__course_sessions__gt=1)
        .exclude(status=Appointment.Status.CANCELLED)
        .values("treatment")
        .annotate(
            done=Count("pk", filter=Q(status=Appointment.Status.COMPLETED)),
            booked=Count("pk", filter=Q(status=Appointment.Status.CONFIRMED)),
        )
        .order_by("treatment")
    )
    treatments = Treatment.objects.in_bulk([row["treatment"] for row in counted])
    courses = []
    for row in counted:
        treatment = treatments[row["treatment"]]
        course = {"treatment": treatment, "done": row["done"], "booked": row["booked"]}
        course.update(course_progress(sessions=treatment.course_sessions, done=row["done"]))
        courses.append(course)
    return courses


@dataclass(frozen=True)
class SheetEntry:
    """One line of the day sheet: the appointment, its cautions (areas to avoid), what a
    declared condition says about it, whether it is the client's first visit, whether it has
    started (attendance can be marked), and its times in the clinic's zone. The flag a later
    record set and the override used are the appointment's own fields."""

    appointment: Appointment
    cautions: tuple[str, ...]
    contraindications: tuple[str, ...]
    first_visit: bool
    started: bool
    local_start: datetime
    local_end: datetime
    resources: tuple[Resource, ...] = ()


@dataclass
class SheetDay:
    day: date
    groups: list[tuple[Practitioner, list[SheetEntry]]]

    @property
    def count(self) -> int:
        return sum(len(entries) for _, entries in self.groups)


def day_sheet(
    *,
    clinic: Clinic,
    first_day: date,
    last_day: date,
    visible: Q,
    practitioner_id: int | None = None,
) -> list[SheetDay]:
    """The appointments of `clinic` each day from first_day to last_day that the `visible`
    filter lets through, grouped by practitioner."""
    entries = appointments_between(
        clinics=[clinic],
        first_day=first_day,
        last_day=last_day,
        visible=visible,
        practitioner_id=practitioner_id,
        defer=UNREAD,
        client_homes=False,
    )
    first_visits = _first_visits({e.appointment.client_id for e in entries})
    now = timezone.now()
    by_day: dict[date, dict[Practitioner, list]] = defaultdict(lambda: defaultdict(list))
    for entry in entries:
        appointment = entry.appointment
        tz = appointment.clinic.tzinfo
        line = SheetEntry(
            appointment=appointment,
            cautions=entry.cautions,
            contraindications=tuple(
                f.message for f in entry.decision.findings if f.code == eligibility.CONTRAINDICATED
            ),
            first_visit=first_visits.get(appointment.client_id) == appointment.start,
            started=appointment.start <= now,
            local_start=appointment.start.astimezone(tz),
            local_end=appointment.end.astimezone(tz),
            resources=entry.resources,
        )
        by_day[line.local_start.date()][appointment.practitioner].append(line)
    days = []
    day = first_day
    while day <= last_day:
        groups = sorted(by_day.get(day, {}).items(), key=lambda item: item[0].name)
        days.append(SheetDay(day=day, groups=groups))
        day += timedelta(days=1)
    return days


# Each client's first visit, their ids sent as ONE array: a busy week's 250 ids as an IN list
# were 250 parameters that the ORM prepared one by one and psycopg parses afresh each time
# (it caches statements of at most 50): half the CPU of the ORM's statement for the same two
# columns (issue 16).
FIRST_VISITS = f"""
    SELECT client_id, min(start) FROM {Appointment._meta.db_table}
    WHERE client_id = ANY(%(clients)s::bigint[]) AND status IN (%(confirmed)s, %(completed)s)
    GROUP BY client_id
"""


def _first_visits(client_ids: set[int]) -> dict[int, datetime]:
    """Each client's first visit: their earliest appointment that happened or still will
    (cancelled and missed ones do not count). In one statement with one parameter for the
    ids on PostgreSQL; through the ORM elsewhere (the SQLite demo has no arrays)."""
    if not client_ids:
        return {}
    counted = (Appointment.Status.CONFIRMED, Appointment.Status.COMPLETED)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                FIRST_VISITS,
                {
                    "clients": list(client_ids),
                    "confirmed": counted[0].value,
                    "completed": counted[1].value,
                },
            )
            return dict(cursor.fetchall())
    return dict(
        Appointment.objects.filter(client_id__in=client_ids, status__in=counted)
        .values_list("client_id")
        .annotate(first=Min("start"))
        .values_list("client_id", "first")
    )


def free_slots(
    *,
    treatment: Treatment,
    day: date,
    practitioner_id: int | None = None,
    exclude_appointment_id: int | None = None,
) -> list[dict]:
    """Free slots on one clinic-local day as staff may book them (short notice allowed,
    never in the past): [{start, local_start, practitioners: [Practitioner]}]."""
    slots = availability.find_slots(
        treatment=treatment,
        first_day=day,
        last_day=day,
        practitioner_id=practitioner_id,
        online=False,
        exclude_appointment_id=exclude_appointment_id,
    )
    names = {p.pk: p for p in Practitioner.objects.filter(clinic=treatment.clinic)}
    tz = treatment.clinic.tzinfo
    return [
        {
            "start": slot.start,
            "local_start": slot.start.astimezone(tz),
            "practitioners": [names[pk] for pk in slot.practitioner_ids if pk in names],
        }
        for slot in slots
    ]
