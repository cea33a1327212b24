"""Merging two records of one person (a duplicate made under another email): everything of
the duplicate moves to the survivor, and the duplicate is removed.

The organisation's managers do it from the workspace (workspace/views/desk.py). Records of
two organisations are never merged: each organisation holds its own record of a person.
"""

from dataclasses import dataclass

from django.db import transaction

from aftercare.models import Message
from bookings.models import Appointment
from clinic.audit import PERSONAL_DATA, Origin, audit_write
from clinic.models import AuditEntry, AuditSubject, Client
from clinical.models import HealthDeclaration, InjectableRecord
from clinical.services import appointments_recheck
from consent.models import Submission
from courses.models import ClientCourse
from diary.errors import BookingError
from money.models import Charge, Payment
from records.services import records_move
from waitlist.services import entries_move

# Every row that names a client, by model: what a merge moves to the survivor (signed forms,
# payments, fees and courses too: none is deleted with the duplicate, it is hers).
CLIENT_ROWS = (
    Appointment,
    InjectableRecord,
    HealthDeclaration,
    Message,
    AuditEntry,
    Submission,
    Payment,
    Charge,
    ClientCourse,  # with its sessions and history, which hang from it
)


class MergeRefused(BookingError):
    code = "merge_refused"
    status = 409
    detail = "These two records cannot be merged."


@dataclass(frozen=True)
class Merged:
    """What a merge did: the survivor as it now is, the id of the record removed, and how
    many rows of each kind moved (by model name)."""

    survivor: Client
    duplicate_id: int
    moved: dict[str, int]
    flagged: tuple[Appointment, ...] = ()


def client_merge(
    *, survivor: Client, duplicate: Client, by, origin: Origin | None = None
) -> Merged:
    """Move the duplicate's appointments, health records, messages and audit entries to the
    survivor, then delete the duplicate; one transaction, with a "merge" audit entry that
    names both ids.

    The survivor keeps its name and email. It takes the duplicate's phone and login when it
    has none (the duplicate's address then signs in to the survivor's record; a second login
    stays an account of its own but no longer opens a record), keeps an opt-out from
    aftercare if either had one, and gets both records' notes. The duplicate's health
    records now count for the survivor, so its upcoming appointments are checked again and
    flagged where a rule now refuses them (the reminder held, the clinic told).
    """
    if survivor.pk == duplicate.pk:
        raise MergeRefused("Pick another record: a client cannot be merged into itself.")
    if survivor.organisation_id != duplicate.organisation_id:
        raise MergeRefused("Clients of different organisations are never merged.")
    with transaction.atomic():
        # Both rows locked, in a fixed order so two merges of the same pair cannot deadlock.
        locked = {
            client.pk: client
            for client in Client.objects.select_for_update(of=("self",))
            .filter(pk__in=sorted((survivor.pk, duplicate.pk)))
            .order_by("pk")
        }
        if len(locked) != 2:
            raise MergeRefused("One of the two records is gone: it may have been merged already.")
        survivor, duplicate = locked[survivor.pk], locked[duplicate.pk]
        moved = {
            model._meta.model_name: model.objects.filter(client=duplicate).update(client=survivor)
            for model in CLIENT_ROWS
        }
        moved[AuditSubject._meta.model_name] = _move_listed(survivor, duplicate)
        moved.update(records_move(survivor=survivor, duplicate=duplicate))
        moved["entry"] = entries_move(survivor=survivor, duplicate=duplicate)
        _take_over(survivor, duplicate)
        duplicate_id, duplicate_email = duplicate.pk, duplicate.email
        duplicate.delete()
        flagged = appointments_recheck(client=survivor, by=by)
        audit_write(
            user=by,
            origin=origin,
            action=AuditEntry.Action.MERGE,
            what=PERSONAL_DATA,
            clients=[survivor],
            survivor=survivor.pk,
            duplicate=duplicate_id,
            duplicate_email=duplicate_email,
            moved=moved,
        )
    return Merged(survivor, duplicate_id, moved, tuple(flagged))


def _move_listed(survivor: Client, duplicate: Client) -> int:
    """The lists that showed the duplicate now name the survivor; a list that showed both
    names the survivor once."""
    subjects = AuditSubject.objects.filter(client=duplicate)
    subjects.filter(entry__in=AuditSubject.objects.filter(client=survivor).values("entry")).delete()
    return subjects.update(client=survivor)


def _take_over(survivor: Client, duplicate: Client) -> None:
    """What the survivor takes from the duplicate's own fields."""
    fields = []
    if not survivor.phone and duplicate.phone:
        survivor.phone = duplicate.phone
        fields.append("phone")
    if survivor.user_id is None and duplicate.user_id is not None:
        survivor.user_id = duplicate.user_id
        fields.append("user")
    if survivor.unsubscribed_at is None and duplicate.unsubscribed_at is not None:
        survivor.unsubscribed_at = duplicate.unsubscribed_at
        fields.append("unsubscribed_at")
    if duplicate.notes.strip():
        survivor.notes = "\n\n".join(
            part for part in (survivor.notes.strip(), duplicate.notes.strip()) if part
        )
        fields.append("notes")
    if fields:
        survivor.save(update_fields=fields)
