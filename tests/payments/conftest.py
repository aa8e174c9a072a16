"""Payments fixtures (the people are tests/conftest.py's): gateways configured with random
secrets, and the fake gateways process (fakegateways/) over real HTTP."""

import pytest

from fakegateways.testing import FakeGateways
from payments.models import AccountKind, TransferAccount

from .configured import configure, random_secrets


@pytest.fixture
def keys(settings):
    return random_secrets()


@pytest.fixture
def razorpay_gateway(db, keys):
    return configure("razorpay", keys, currencies=(("INR", "0.012"),))


@pytest.fixture
def stripe_gateway(db, keys):
    return configure("stripe", keys, currencies=(("USD", "1"), ("EUR", "1.08")))


@pytest.fixture
def nowpayments_gateway(db, keys):
    return configure("nowpayments", keys)


@pytest.fixture
def upi_account(db):
    configure("manual", {}, currencies=(("USD", "1"), ("INR", "0.012")))
    return TransferAccount.objects.create(
        kind=AccountKind.UPI, name="Our UPI", currency="INR", upi_id="shop.panel@okaxis",
        payee_name="Shop Panel",
    )  # fmt: skip


@pytest.fixture
def bank_account(db):
    configure("manual", {}, currencies=(("USD", "1"), ("INR", "0.012")))
    return TransferAccount.objects.create(
        kind=AccountKind.BANK, name="Bank (USD)", currency="USD",
        details="Shop Panel Ltd\nIBAN DE00 1234 5678 9000 0000 00",
    )  # fmt: skip


@pytest.fixture(scope="session")
def fakes_process():
    with FakeGateways() as fakes:
        yield fakes


@pytest.fixture
def fakes(fakes_process, keys, settings):
    """The fake gateways with this test's secrets, and the panel pointed at them."""
    fakes_process.configure(secrets=keys, copies=1, panel_url="http://127.0.0.1:9")
    settings.PAYMENT_GATEWAY_URLS = fakes_process.gateway_urls
    return fakes_process
