"""Reads of courses: a course's balance (used, booked, remaining, expiry) and history, a
client's courses, the offers a client may buy and the courses that may pay for a booking."""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Prefetch, Q

from clinic.models import Client, Treatment
from courses.models import ClientCourse, CourseOffer, Redemption

USED = (Redemption.Status.REDEEMED, Redemption.Status.BURNED)


@dataclass(frozen=True)
class Balance:
    total: int
    used: int
    booked: int
    expires_at: datetime
    expired: bool

    @property
    def remaining(self) -> int:
        """Sessions still free to book: neither used nor on an appointment."""
        return max(self.total - self.used - self.booked, 0)

    @property
    def used_up(self) -> bool:
        return self.used >= self.total


def with_counts(queryset):
    return queryset.annotate(
        n_used=Count("redemptions", filter=Q(redemptions__status__in=USED)),
        n_booked=Count("redemptions", filter=Q(redemptions__status=Redemption.Status.BOOKED)),
    )


def balance(course: ClientCourse, *, now: datetime) -> Balance:
    """From the counts `with_counts` annotated, else from its redemptions (one query)."""
    if hasattr(course, "n_used"):
        used, booked = course.n_used, course.n_booked
    else:
        counts = with_counts(ClientCourse.objects.filter(pk=course.pk)).values(
            "n_used", "n_booked"
        )[0]
        used, booked = counts["n_used"], counts["n_booked"]
    return Balance(
        total=course.sessions_total,
        used=used,
        booked=booked,
        expires_at=course.expires_at,
        expired=now >= course.expires_at,
    )


@dataclass(frozen=True)
class CourseView:
    course: ClientCourse
    balance: Balance
    sessions: list  # its redemptions, with their appointments
    history: list  # its CourseChange lines


def client_courses(
    client: Client, *, now: datetime, clinic_ids=None, lapsed: bool = True
) -> list[CourseView]:
    """The client's courses, newest first, with balances, sessions and history (3 queries).
    `clinic_ids`: only those bought at these clinics (None: all); `lapsed` False: without
    those that lapsed unpaid (the client's own list: they never had them)."""
    courses = with_counts(ClientCourse.objects.filter(client=client))
    if not lapsed:
        courses = courses.filter(lapsed_at__isnull=True)
    if clinic_ids is not None:
        courses = courses.filter(clinic_id__in=clinic_ids)
    courses = courses.select_related("clinic", "treatment").prefetch_related(
        Prefetch(
            "redemptions",
            queryset=Redemption.objects.select_related("appointment", "appointment__treatment"),
        ),
        "changes",
    )
    return [
        CourseView(c, balance(c, now=now), list(c.redemptions.all()), list(c.changes.all()))
        for c in courses
    ]


def usable_courses(client: Client, treatment: Treatment, *, start: datetime, now: datetime):
    """The client's courses that can pay for `treatment` at `start`: covering it, usable
    (not waiting for its card payment, not lapsed), not expired by then, with a session
    free; soonest to expire first."""
    candidates = with_counts(
        ClientCourse.objects.filter(
            client=client,
            clinic_id=treatment.clinic_id,
            expires_at__gt=max(start, now),
            lapsed_at__isnull=True,
        )
        .filter(Q(treatment=treatment) | Q(treatment__isnull=True, category=treatment.category))
        # Bought by card: usable once paid.
        .filter(Q(card_until__isnull=True) | Q(paid_at__isnull=False))
    ).order_by("expires_at", "pk")
    return [c for c in candidates if balance(c, now=now).remaining > 0]


def offers_for(clients) -> list[CourseOffer]:
    """The active offers of the clinics of the clients' organisations."""
    organisations = {c.organisation_id for c in clients}
    return list(
        CourseOffer.objects.filter(active=True, clinic__organisation_id__in=organisations)
        .select_related("clinic", "treatment")
        .order_by("clinic__name", "name")
    )
