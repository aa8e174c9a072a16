"""Payments fixtures: customers alice and bob, staff sam, gateways configured with random
secrets, and the fake gateways process (fakegateways/) over real HTTP."""

import secrets
from decimal import Decimal

import pytest

from fakegateways.testing import FakeGateways
from payments.methods import METHODS
from payments.models import AccountKind, Gateway, GatewayCurrency, TransferAccount
from tests.accounts.helpers import make_user


@pytest.fixture
def alice(db):
    return make_user("alice")


@pytest.fixture
def bob(db):
    return make_user("bob")


@pytest.fixture
def sam(db):
    return make_user("sam", is_staff=True, is_superuser=True)


@pytest.fixture
def alice_client(client, alice):
    client.force_login(alice)
    return client


@pytest.fixture
def sam_client(client, sam):
    client.force_login(sam)
    return client


def random_secrets() -> dict[str, str]:
    """Fresh credentials per test, so that a secret found in a page or a log is ours."""
    token = secrets.token_hex
    return {
        "razorpay_key_id": f"rzp_test_{token(6)}",
        "razorpay_key_secret": f"rzp-secret-{token(12)}",
        "razorpay_webhook_secret": f"rzp-whsec-{token(12)}",
        "stripe_secret_key": f"sk_test_{token(12)}",
        "stripe_webhook_secret": f"whsec_{token(12)}",
        "nowpayments_api_key": f"np-key-{token(12)}",
        "nowpayments_ipn_secret": f"np-ipn-{token(12)}",
    }


CREDENTIALS = {  # Gateway field: secrets key
    "razorpay": ("razorpay_key_id", "razorpay_key_secret", "razorpay_webhook_secret"),
    "stripe": (None, "stripe_secret_key", "stripe_webhook_secret"),
    "nowpayments": (None, "nowpayments_api_key", "nowpayments_ipn_secret"),
}


def configure(code: str, keys: dict[str, str], currencies=(("USD", "1"),), **fields) -> Gateway:
    # get_or_create: a transactional test's flush removes the rows the migrations made
    gateway = Gateway.objects.get_or_create(code=code, defaults={"name": METHODS[code].name})[0]
    if code in CREDENTIALS:
        key_id, secret, webhook = CREDENTIALS[code]
        gateway.key_id = keys[key_id] if key_id else ""
        gateway.api_secret, gateway.webhook_secret = keys[secret], keys[webhook]
    gateway.enabled = True
    for name, value in fields.items():
        setattr(gateway, name, value)
    gateway.save()
    gateway.currencies.all().delete()
    for currency, rate in currencies:
        GatewayCurrency.objects.create(
            gateway=gateway, currency=currency, exchange_rate=Decimal(rate),
            min_amount=Decimal(1), max_amount=Decimal(100000),
        )  # fmt: skip
    return gateway


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
