"""Finding a client by email address, as every online booking and the staff's "add a
client" do, through the (organisation, lower(email)) unique index rather than a scan of the
whole clients table."""

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from clinic import sql as clinic_sql
from clinic.models import Client
from clinic.services import client_get_or_create
from tests import factories

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="reads PostgreSQL's query plans"
)


def plan_without_scans(sql: str) -> str:
    """The plan PostgreSQL makes for `sql` when a sequential scan costs it all but
    everything: an index scan where the index can answer the condition, still a sequential
    scan where it cannot."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + sql)
        return "\n".join(row[0] for row in cursor.fetchall())


@pytest.mark.django_db
def test_the_booking_lookup_of_a_client_by_email_uses_the_unique_index(world):
    existing = factories.ClientFactory(clinic=world.clinic, email="Dana@Example.com")
    # Enough of the organisation's clients, and fresh statistics, that reading them all
    # through the organisation's own index cannot tie with the unique index on cost.
    Client.objects.bulk_create(
        Client(
            organisation_id=world.clinic.organisation_id,
            home_clinic=world.clinic,
            name=f"Client {n}",
            email=f"client{n}@example.com",
        )
        for n in range(500)
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE clinic_client")

    with CaptureQueriesContext(connection) as queries:
        client, created = client_get_or_create(
            clinic=world.clinic, name="Someone", email=" dana@EXAMPLE.com "
        )

    assert (client, created) == (existing, False)
    # As sent: `EXECUTE clinic_client_by_email (...)` on PostgreSQL (its plan, made once per
    # connection, is the one explained), the statement itself with DB_PREPARED_READS off.
    lookups = [q["sql"] for q in queries if clinic_sql._client_query().sent_in(q["sql"])]
    assert len(lookups) == 1, lookups
    plan = plan_without_scans(lookups[0])
    assert "client_email_unique_per_organisation" in plan, plan
    # The clients are never scanned. (The home clinic's row may be: a plan made once per
    # connection, before this test's SET, may read the few clinics by a scan.)
    assert "Seq Scan on clinic_client" not in plan, plan


@pytest.mark.django_db
def test_another_organisations_client_with_the_address_is_not_found(world):
    other_clinic = factories.ClinicFactory()
    theirs = factories.ClientFactory(clinic=other_clinic, email="dana@example.com")

    client, created = client_get_or_create(
        clinic=world.clinic, name="Dana", email="DANA@example.com"
    )

    assert created and client != theirs
    assert client.organisation_id == world.clinic.organisation_id
    assert Client.objects.filter(email__iexact="dana@example.com").count() == 2
