"""Joining and leaving the waitlist (the client, or staff for them). Offers, acceptance and
expiry need the diary and live in diary/waitlist.py."""

from datetime import date

from django.db import IntegrityError, transaction
from django.utils import timezone

from clinic.audit import acting_user
from clinic.models import Client, Practitioner, Treatment
from waitlist.models import TIME_OF_DAY_HOURS, Entry, Offer


class WaitlistError(Exception):
    code = "invalid_waitlist_entry"
    status = 400

    def __init__(self, detail: str):
        super().__init__(detail)
        self.detail = detail


# The longest a client may wait for, from today: the range is searched every time time
# comes free, so it is bounded.
MAX_RANGE_DAYS = 180


def entry_join(
    *,
    client: Client,
    treatment: Treatment,
    first_day: date,
    last_day: date,
    practitioner: Practitioner | None = None,
    weekdays=(),
    times_of_day=(),
    by=None,
    source: str = Entry.Source.CLIENT,
) -> Entry:
    """Put `client` on `treatment`'s waitlist at its clinic; a client already waiting for
    it has their entry widened to the new wishes (one entry per client and treatment).
    Raises WaitlistError for a range that is backwards, past, or too long, or wishes that
    are not days or parts of the day."""
    clinic = treatment.clinic
    today = clinic.local_date(timezone.now())
    if last_day < first_day:
        raise WaitlistError("The last day must not be before the first.")
    if last_day < today:
        raise WaitlistError("The dates are in the past.")
    first_day = max(first_day, today)
    if (last_day - today).days > MAX_RANGE_DAYS:
        raise WaitlistError(f"Please choose dates within {MAX_RANGE_DAYS} days from today.")
    if practitioner is not None and practitioner.clinic_id != clinic.pk:
        raise WaitlistError("That practitioner does not work at this clinic.")
    weekdays = sorted({int(d) for d in weekdays}) if weekdays else []
    if any(d < 0 or d > 6 for d in weekdays):
        raise WaitlistError("Days of the week are 0 (Monday) to 6 (Sunday).")
    times = sorted(set(times_of_day or ()))
    if any(t not in TIME_OF_DAY_HOURS for t in times):
        raise WaitlistError("Times of day are morning, afternoon or evening.")
    if client.organisation_id != clinic.organisation_id:
        raise WaitlistError("That client is not a client of this clinic.")
    wishes = {
        "clinic": clinic,
        "practitioner": practitioner,
        "weekdays": weekdays,
        "times_of_day": times,
        "first_day": first_day,
        "last_day": last_day,
    }
    try:
        with transaction.atomic():
            existing = (
                Entry.objects.select_for_update()
                .filter(client=client, treatment=treatment, status=Entry.Status.WAITING)
                .first()
            )
            if existing is not None:
                for name, value in wishes.items():
                    setattr(existing, name, value)
                existing.save()
                return existing
            return Entry.objects.create(
                client=client,
                treatment=treatment,
                source=source,
                created_by=acting_user(by),
                **wishes,
            )
    except IntegrityError:  # joined at the same moment from another tab: that entry stands
        return Entry.objects.get(client=client, treatment=treatment, status=Entry.Status.WAITING)


def entry_leave(*, entry: Entry, by=None, removed: bool = False) -> bool:
    """Take `entry` off the waitlist (`removed`: by the clinic). Its live offers end as
    declined; the time they hold stays held until they expire, then goes to the next client
    (diary/waitlist.py). False if it was no longer waiting."""
    now = timezone.now()
    with transaction.atomic():
        locked = Entry.objects.select_for_update().get(pk=entry.pk)
        if locked.status != Entry.Status.WAITING:
            return False
        locked.status = Entry.Status.REMOVED if removed else Entry.Status.LEFT
        locked.ended_at = now
        locked.save(update_fields=["status", "ended_at"])
        Offer.objects.filter(entry=locked, status=Offer.Status.OFFERED).update(
            status=Offer.Status.DECLINED, decided_at=now
        )
    entry.status, entry.ended_at = locked.status, now
    return True


def entries_forget(*, client: Client) -> int:
    """Anonymisation (privacy/anonymise.py): the client's waitlist is a wish list, not diary
    history, and the reasons they were passed over name their health record: all of it goes
    (offers and skips with their entries). The held times stay until they lapse."""
    deleted, _ = Entry.objects.filter(client=client).delete()
    return deleted


def entries_move(*, survivor: Client, duplicate: Client) -> int:
    """A merge (privacy/merge.py): the duplicate's entries become the survivor's; one the
    survivor already waits for the same treatment ends as left, so one entry waits."""
    now = timezone.now()
    waiting = Entry.objects.filter(client=survivor, status=Entry.Status.WAITING).values(
        "treatment_id"
    )
    Entry.objects.filter(
        client=duplicate, status=Entry.Status.WAITING, treatment_id__in=waiting
    ).update(status=Entry.Status.LEFT, ended_at=now)
    return Entry.objects.filter(client=duplicate).update(client=survivor)
