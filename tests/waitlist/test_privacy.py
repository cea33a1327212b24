"""The waitlist on anonymisation (it goes, skip reasons included) and on a merge (it moves,
one entry per treatment waiting)."""

from privacy.anonymise import client_anonymise
from privacy.export import client_export
from privacy.merge import client_merge
from tests import factories
from tests.waitlist.conftest import make_waiting
from waitlist.models import Entry, FreedTime, Skip


def skipped(world, waiting) -> Skip:
    """The first entry passed over for a freed time, with its reason."""
    return Skip.objects.create(
        freed=FreedTime.objects.create(
            clinic=world.clinic,
            practitioner=world.practitioner,
            start=waiting.booked.start,
            end=waiting.booked.end,
            cause="cancelled",
        ),
        entry=waiting.entries[0],
        reason="Too soon after filler.",
        at=waiting.booked.start,
    )


def test_anonymising_a_client_forgets_their_waitlist_and_its_reasons(world):
    waiting = make_waiting(world, names=("Ann",))
    ann = waiting.clients[0]
    skipped(world, waiting)
    client_anonymise(client=ann)
    assert not Entry.objects.filter(client=ann).exists()
    assert not Skip.objects.exists()


def test_a_merge_moves_the_waitlist_and_keeps_one_entry_per_treatment(world):
    waiting = make_waiting(world, names=("Ann", "Ann2"))
    survivor, duplicate = waiting.clients
    client_merge(survivor=survivor, duplicate=duplicate, by=factories.StaffFactory(), origin=None)
    entries = Entry.objects.filter(client=survivor)
    assert entries.count() == 2
    assert entries.filter(status=Entry.Status.WAITING).count() == 1


def test_the_export_holds_the_waitlist_its_offers_and_why_a_time_was_not_offered(world):
    waiting = make_waiting(world, names=("Ann",))
    ann = waiting.clients[0]
    skipped(world, waiting)

    exported = client_export(ann)

    [entry] = exported["waitlist"]
    assert entry["id"] == waiting.entries[0].pk and entry["status"] == Entry.Status.WAITING
    assert [s["reason"] for s in entry["skipped"]] == ["Too soon after filler."]
    assert entry["offers"] == []
    assert "sms_opted_in" in exported["client"]  # their agreement to texts, with its source
