from decimal import Decimal as D

import pytest

from money.models import PaymentPolicy
from tests.money.fake_stripe import fake_in_use


@pytest.fixture
def stripe_fake(settings):
    """Card payments on, with the official library pointed at a fake Stripe on loopback."""
    fake = fake_in_use(settings)
    yield fake
    fake.stop()


@pytest.fixture
def deposit_policy(world):
    """A deposit of 20 online; a no-show costs 50."""
    return PaymentPolicy.objects.create(
        clinic=world.clinic,
        deposit="fixed",
        deposit_value=D("20"),
        no_show_fee="fixed",
        no_show_value=D("50"),
    )
