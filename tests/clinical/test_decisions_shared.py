"""clinical.rules.decisions_for decides once per distinct (record, clinic, treatment, day)
and shares the decision (issue 16: a busy week's 250 appointments need some 70): its
answers must be those of deciding each appointment on its own."""

from datetime import date, datetime, time, timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext

from bookings.models import Appointment
from clinical import eligibility, rules
from tests import factories
from tests.conftest import add_microcurrent

DAY = date(2027, 3, 10)


def _appointments(world, microcurrent) -> list[Appointment]:
    """Clients with no record, with filler, with a pacemaker declared; two treatments; days
    inside and past the filler's waiting period."""
    plain = [factories.ClientFactory(clinic=world.clinic) for _ in range(3)]
    filler = factories.ClientFactory(clinic=world.clinic)
    factories.InjectableRecordFactory(client=filler, date=DAY - timedelta(days=5))
    pacemaker = factories.ClientFactory(clinic=world.clinic)
    factories.HealthDeclarationFactory(client=pacemaker, condition="pacemaker", declared_on=DAY)
    rows = []
    for days in (0, 30):
        for n, client in enumerate([*plain, filler, pacemaker, filler, *plain]):
            for k, treatment in enumerate((world.treatment, microcurrent)):
                at = time(2 + n, 30 * k)  # one practitioner: half-hour visits at their own times
                start = datetime.combine(DAY + timedelta(days=days), at, world.clinic.tzinfo)
                rows.append(
                    Appointment(
                        clinic=world.clinic,
                        client=client,
                        treatment=treatment,
                        practitioner=world.practitioner,
                        start=start,
                        end=start + timedelta(minutes=30),
                        blocked_until=start + timedelta(minutes=30),
                        channel=Appointment.Channel.STAFF,
                    )
                )
    Appointment.objects.bulk_create(rows)
    return list(
        Appointment.objects.select_related("clinic", "client", "treatment")
        .prefetch_related("treatment__required_resource_kinds")
        .order_by("pk")
    )


def _one_by_one(appointments) -> dict[int, eligibility.Decision]:
    records = rules.health_records({a.client_id for a in appointments})
    return {
        a.pk: rules.decide(
            record=records[a.client_id],
            rules=rules.clinic_rules(a.clinic),
            treatment=a.treatment,
            on=a.clinic.local_date(a.start),
        )
        for a in appointments
    }


def test_shared_decisions_are_those_of_each_appointment_on_its_own(world):
    appointments = _appointments(world, add_microcurrent(world))

    with CaptureQueriesContext(connection) as shared_queries:
        shared = rules.decisions_for(appointments)
    alone = _one_by_one(appointments)

    assert shared == alone
    # What the cases are meant to cover: findings and none, on both treatments.
    assert any(d.findings for d in alone.values())
    assert any(not d.findings for d in alone.values())
    assert len(set(alone.values())) >= 4
    # Decided once per distinct key: the clients without a record share theirs, so the
    # 40 appointments need 2 days x 2 treatments x (no record, filler, pacemaker) = 12.
    assert len({id(d) for d in shared.values()}) == 12
    assert len(shared_queries) == 2  # the records, the clinic's rules (once)
