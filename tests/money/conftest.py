import pytest

from tests.money.fake_stripe import SECRET_KEY, WEBHOOK_SECRET, FakeStripe


@pytest.fixture
def stripe_fake(settings):
    """Card payments on, with the official library pointed at a fake Stripe on loopback."""
    fake = FakeStripe()
    settings.STRIPE_SECRET_KEY = SECRET_KEY
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    settings.STRIPE_API_BASE = fake.base
    settings.STRIPE_TIMEOUT_SECONDS = 3
    yield fake
    fake.stop()
