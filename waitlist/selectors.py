"""Reads of the waitlist for the client's space, the API and the staff page."""

from django.db.models import Prefetch, QuerySet

from clinic.models import Client
from waitlist.models import Entry, Offer, Skip

SHOWN_SKIPS = 200  # the latest reasons shown to staff


def entries_of(records: list[Client]) -> QuerySet[Entry]:
    """The caller's own entries still waiting, each with its live offers."""
    return (
        Entry.objects.filter(client__in=records, status=Entry.Status.WAITING)
        .select_related("clinic", "treatment", "practitioner")
        .prefetch_related(
            Prefetch(
                "offers",
                queryset=Offer.objects.filter(status=Offer.Status.OFFERED).select_related(
                    "hold", "hold__practitioner"
                ),
                to_attr="live_offers",
            )
        )
        .order_by("created_at", "pk")
    )


def clinic_waitlist(clinic_id: int) -> list[Entry]:
    """The clinic's waiting entries in the order offers go out (first come, first served)."""
    return list(
        Entry.objects.filter(clinic_id=clinic_id, status=Entry.Status.WAITING)
        .select_related("client", "treatment", "practitioner")
        .order_by("created_at", "pk")
    )


def clinic_offers(clinic_id: int, *, limit: int = 100) -> list[Offer]:
    return list(
        Offer.objects.filter(entry__clinic_id=clinic_id)
        .select_related("entry__client", "entry__treatment", "hold", "hold__practitioner")
        .order_by("-created_at", "-pk")[:limit]
    )


def clinic_skips(clinic_id: int) -> list[Skip]:
    return list(
        Skip.objects.filter(entry__clinic_id=clinic_id)
        .select_related("entry__client", "entry__treatment", "freed", "freed__practitioner")
        .order_by("-at", "-pk")[:SHOWN_SKIPS]
    )
