"""The service that records health data is the one home of its checks: an injection dated
after the clinic's today is refused whoever records it, and nothing is stored."""

from datetime import date, timedelta

import pytest

from clinical.models import InjectableRecord
from clinical.rules import Declared
from clinical.services import InjectionDateInFuture, declared_store, injectable_record
from tests import factories

TODAY = date(2027, 3, 1)  # conftest.NOW in London


def test_recording_an_injection_dated_tomorrow_is_refused(world):
    client = factories.ClientFactory(clinic=world.clinic)

    with pytest.raises(InjectionDateInFuture):
        injectable_record(client=client, kind="filler", date=TODAY + timedelta(days=1))

    assert not InjectableRecord.objects.exists()
    record, _ = injectable_record(client=client, kind="filler", date=TODAY)
    assert record.date == TODAY


def test_a_declared_injection_dated_tomorrow_is_refused_with_its_place(world):
    client = factories.ClientFactory(clinic=world.clinic)
    declared = Declared(
        injectables=[
            {"kind": "botox", "date": TODAY - timedelta(days=30)},
            {"kind": "filler", "date": TODAY + timedelta(days=1)},
        ]
    )

    with pytest.raises(InjectionDateInFuture) as refusal:
        declared_store(client=client, declared=declared)

    assert refusal.value.index == 1
    assert not InjectableRecord.objects.exists()


def test_the_clinic_s_calendar_decides_what_today_is(db, frozen_now):
    """08:00 UTC on 1 March is still 22:00 on 28 February in Honolulu: there, 1 March is
    tomorrow."""
    honolulu = factories.ClinicFactory(timezone="Pacific/Honolulu")
    client = factories.ClientFactory(clinic=honolulu)

    with pytest.raises(InjectionDateInFuture):
        injectable_record(client=client, kind="filler", date=date(2027, 3, 1))
    record, _ = injectable_record(client=client, kind="filler", date=date(2027, 2, 28))
    assert record.pk
