"""bookings/0009 keeps a price on the appointments that were booked before prices were kept:
their treatment's price as it is, in their clinic's currency. Run on the suite's database
against rows written with the models of the state before; the database is left migrated
to the latest state again, so the rest of the suite runs on the schema of the code."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("bookings", "0008_booking_request_recent_by_email"), ("money", None)]


@pytest.fixture
def migrator(transactional_db):
    executor = MigrationExecutor(connection)
    yield executor
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())


def test_existing_appointments_keep_their_treatments_price(migrator):
    migrator.migrate(BEFORE)
    migrator.loader.build_graph()
    old = migrator.loader.project_state([("bookings", "0008_booking_request_recent_by_email")]).apps
    organisation = old.get_model("clinic", "Organisation").objects.create(name="O", slug="o")
    clinic = old.get_model("clinic", "Clinic").objects.create(
        organisation=organisation, name="Euro", slug="euro", currency="EUR"
    )
    treatment = old.get_model("clinic", "Treatment").objects.create(
        clinic=clinic,
        slug="gua-sha",
        name="Gua sha",
        category="facial_massage",
        duration_minutes=60,
        price=Decimal("110.00"),
    )
    practitioner = old.get_model("clinic", "Practitioner").objects.create(clinic=clinic, name="A")
    client = old.get_model("clinic", "Client").objects.create(
        organisation=organisation, home_clinic=clinic, name="C", email="c@example.com"
    )
    start = datetime(2026, 5, 1, 10, tzinfo=UTC)
    old.get_model("bookings", "Appointment").objects.create(
        clinic=clinic,
        reference="OLDPRICE",
        client=client,
        treatment=treatment,
        practitioner=practitioner,
        start=start,
        end=start + timedelta(hours=1),
        blocked_until=start + timedelta(hours=1),
        status="completed",
    )

    migrator = MigrationExecutor(connection)
    migrator.migrate(migrator.loader.graph.leaf_nodes())
    new = migrator.loader.project_state(migrator.loader.graph.leaf_nodes()).apps

    kept = new.get_model("bookings", "Appointment").objects.get(reference="OLDPRICE")
    assert (kept.price, kept.discount, kept.currency) == (Decimal("110.00"), Decimal(0), "EUR")
