"""The benchmarks' seeders, run small on the current schema: `make bench` is not part of the
suite, so without this a model change (a clinic's organisation, a client's home clinic) would
first break the benchmarks at the next full run."""

from datetime import date

import pytest
from django.db import connection
from django.db.models import F

from bench import booking_clinic, clinic_spec, gen_clinic, outbox_clinic, peer_clinic
from bookings.models import Appointment
from clinic.models import Client, Clinic

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the generated clinic is written with COPY"
)


def test_every_seeder_writes_its_clinic(db):
    generated = gen_clinic.seed(appointments=200)
    booking_clinic.seed(practitioners=2, rooms=1, days=2)
    outbox_clinic.seed(messages=4)
    peer_clinic.seed(clinic_spec.make(date(2027, 3, 1), staff=2, days=7))

    assert (
        generated["appointments"] == Appointment.objects.filter(clinic__slug="bench-clinic").count()
    )
    assert generated["appointments"] >= 200
    slugs = set(Clinic.objects.values_list("slug", flat=True))
    assert {"bench-clinic", "rush-clinic", "outbox-clinic", "peer-clinic"} <= slugs
    assert Client.objects.exists()
    assert not Client.objects.exclude(organisation_id=F("home_clinic__organisation_id")).exists()
