import pytest

from tests.money.fake_stripe import fake_in_use


@pytest.fixture
def stripe_fake(settings):
    """Card payments on, with the official library pointed at a fake Stripe on loopback."""
    fake = fake_in_use(settings)
    yield fake
    fake.stop()
