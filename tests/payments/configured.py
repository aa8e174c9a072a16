"""Gateways configured as staff would, with fresh random credentials (tests and the browser
tests share these)."""

import secrets
from decimal import Decimal

from payments.methods import METHODS
from payments.models import Gateway, GatewayCurrency


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
