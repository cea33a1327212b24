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


def test_a_common_term_is_rechecked_on_the_stored_text_and_sorted_by_name(db):
    """'turner' matches one client in eight: the matches are found through the index,
    rechecked against the stored search text (not by unaccenting each client again), and
    sorted by name; PostgreSQL does not walk the name index testing each client. The same
    clients, in the same order (name, then id), as before."""
    clinic = factories.ClinicFactory()
    fifty_thousand_clients(clinic)

    search = client_search(q="turner")
    plan = search.explain()

    assert INDEX_NAME in plan, plan
    assert "client_name_id" not in plan, plan
    assert "search_text ~~" in plan, plan
    assert "immutable_unaccent" not in plan, plan
    expected = Client.objects.filter(name__icontains="turner").order_by("name", "pk")[:50]
    assert [c.pk for c in search] == [c.pk for c in expected]


def test_the_stored_search_text_follows_a_client_s_changes(db):
    clinic = factories.ClinicFactory()
    client = factories.ClientFactory(clinic=clinic, name="Inès Old", phone="07911 123456")

    client.name = "Zoë Ångström"
    client.save()
    assert list(client_search(q="angstrom")) == [client]
    assert list(client_search(q="ines old")) == []

    Client.objects.filter(pk=client.pk).update(email="new.mail@example.com", phone="07922 654321")
    assert list(client_search(q="NEW.MAIL")) == [client]
    assert list(client_search(q="07922654321")) == [client]
    assert list(client_search(q="07911")) == []
