"""Client search over 50,000 clients reads the trigram index instead of every row: shown
with EXPLAIN on PostgreSQL (no timing, which a shared machine makes meaningless; the
figure is in bench/client_search.py)."""

import pytest
from django.db import connection

from clinic.models import Client
from clinic.search import INDEX_NAME, client_search
from tests import factories

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the trigram index is PostgreSQL's"
)

SURNAMES = ["Turner", "Okafor", "Nguyen", "Müller", "García", "Kowalski", "O'Brien", "Sato"]


def fifty_thousand_clients(clinic) -> None:
    Client.objects.bulk_create(
        (
            Client(
                organisation=clinic.organisation,
                home_clinic=clinic,
                name=f"Client{n} {SURNAMES[n % len(SURNAMES)]}",
                email=f"client{n}@example.com",
                phone=f"07700 {n:06d}",
            )
            for n in range(50_000)
        ),
        batch_size=5_000,
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE clinic_client")


def test_search_over_50000_clients_uses_the_index(db):
    clinic = factories.ClinicFactory()
    fifty_thousand_clients(clinic)
    zoe = factories.ClientFactory(
        clinic=clinic, name="Zoë Ångström", email="zoe.a@example.com", phone="07911 123456"
    )

    # By name with and without accents, part of an email, a phone typed with a space.
    for q in ["Zoë Ångström", "angstrom", "zoe.a@", "07911 123456"]:
        search = client_search(q=q)
        plan = search.explain()

        assert INDEX_NAME in plan, (q, plan)
        assert "Seq Scan on clinic_client" not in plan, (q, plan)
        assert list(search) == [zoe], q
