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
    """Client{n} <surname> / client{n}@example.com / 07700 {n:06d}, n from 0 to 49,999, in one
    INSERT ... SELECT over generate_series: the same rows bulk_create would write, without
    building 50,000 model instances. One row is written with the ORM first and copied, so a
    column added to Client later is filled as the model fills it."""
    template = Client.objects.create(
        organisation=clinic.organisation, home_clinic=clinic, name="template", email="t@x.eu"
    )
    generated = {
        "name": "'Client' || n || ' ' || (%s::text[])[n %% %s + 1]",
        "email": "'client' || n || '@example.com'",
        "phone": "'07700 ' || lpad(n::text, 6, '0')",
    }
    columns = [f.column for f in Client._meta.concrete_fields if not f.primary_key]
    chosen = [generated.get(column, f"t.{connection.ops.quote_name(column)}") for column in columns]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO clinic_client ({', '.join(map(connection.ops.quote_name, columns))}) "
            f"SELECT {', '.join(chosen)} FROM clinic_client t, generate_series(0, 49999) n "
            "WHERE t.id = %s",
            [SURNAMES, len(SURNAMES), template.pk],
        )
        template.delete()
        cursor.execute("ANALYZE clinic_client")


def test_search_over_50000_clients_uses_the_index(db):
    clinic = factories.ClinicFactory()
    fifty_thousand_clients(clinic)
    zoe = factories.ClientFactory(
        clinic=clinic, name="Zoë Ångström", email="zoe.a@example.com", phone="07911 123456"
    )
    assert Client.objects.filter(home_clinic=clinic).count() == 50_001

    # By name with and without accents, part of an email, a phone typed with a space.
    for q in ["Zoë Ångström", "angstrom", "zoe.a@", "07911 123456"]:
        search = client_search(q=q)
        plan = search.explain()

        assert INDEX_NAME in plan, (q, plan)
        assert "Seq Scan on clinic_client" not in plan, (q, plan)
        assert list(search) == [zoe], q
