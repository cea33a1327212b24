"""A course offer of the world's clinic (10 manual facial massages for 850, valid 6 months,
rebooking every 7 days), its staff, and a client."""

from decimal import Decimal as D

import pytest

from access.roles import MANAGER
from courses.models import CourseOffer
from tests import factories


@pytest.fixture
def offer(world):
    world.treatment.rebook_after_days = 7
    world.treatment.save()
    return CourseOffer.objects.create(
        clinic=world.clinic,
        name="Ten facial massages",
        treatment=world.treatment,
        sessions=10,
        price=D("850.00"),
        currency=world.clinic.currency,
        validity=6,
        validity_unit="months",
    )


@pytest.fixture
def desk(world):
    return factories.StaffFactory(username="desk")


@pytest.fixture
def manager(world):
    return factories.StaffFactory(username="mia", roles=[MANAGER])


@pytest.fixture
def olivia(world):
    return factories.ClientFactory(clinic=world.clinic, name="Olivia Turner")


# The loopback Stripe of the money tests (card payments on), for courses paid by card.
from tests.money.conftest import stripe_fake  # noqa: E402, F401
