"""The embedded demo's payments: the local fake gateways, and Gateway rows that use them.

Kept apart from the rest of the demo set-up so that `rundemo` needs two calls: start the fakes
(`demo_gateways`) and point the web processes at them (the environment it returns).
"""

import contextlib
from collections.abc import Iterator
from decimal import Decimal

from payments.models import AccountKind, Gateway, GatewayCurrency, TransferAccount


def demo_settings() -> dict:
    """code: (key id, API secret, webhook secret, [(currency, rate into USD, min, max)])."""
    from fakegateways.state import DEMO_SECRETS  # not in the production image (.dockerignore)

    return {
        "razorpay": (
            DEMO_SECRETS["razorpay_key_id"], DEMO_SECRETS["razorpay_key_secret"],
            DEMO_SECRETS["razorpay_webhook_secret"], [("INR", Decimal("0.012"), 100, 500000)],
        ),
        "stripe": (
            "", DEMO_SECRETS["stripe_secret_key"], DEMO_SECRETS["stripe_webhook_secret"],
            [("USD", Decimal(1), 1, 10000), ("EUR", Decimal("1.08"), 1, 10000)],
        ),
        "nowpayments": (
            "", DEMO_SECRETS["nowpayments_api_key"], DEMO_SECRETS["nowpayments_ipn_secret"],
            [("USD", Decimal(1), 5, 10000)],
        ),
    }  # fmt: skip


def configure_demo_gateways() -> None:
    """Enable every gateway with the fakes' demo credentials, a bonus on Stripe, and a UPI and
    a bank account for manual transfers (each only the first time)."""
    for code, (key_id, secret, webhook_secret, currencies) in demo_settings().items():
        gateway = Gateway.objects.get(code=code)
        gateway.enabled, gateway.key_id = True, key_id
        gateway.api_secret, gateway.webhook_secret = secret, webhook_secret
        if code == "stripe" and not gateway.bonus_percent:
            gateway.bonus_percent, gateway.bonus_from = Decimal(5), Decimal(100)
        gateway.save()
        for currency, rate, low, high in currencies:
            GatewayCurrency.objects.get_or_create(
                gateway=gateway, currency=currency,
                defaults={"exchange_rate": rate, "min_amount": low, "max_amount": high},
            )  # fmt: skip
    manual = Gateway.objects.get(code="manual")
    GatewayCurrency.objects.get_or_create(
        gateway=manual, currency="INR", defaults={"exchange_rate": Decimal("0.012")}
    )
    if not TransferAccount.objects.exists():
        TransferAccount.objects.create(
            kind=AccountKind.UPI, name="UPI", currency="INR", upi_id="demo.panel@okaxis",
            payee_name="Demo Panel",
        )  # fmt: skip
        TransferAccount.objects.create(
            kind=AccountKind.BANK, name="Bank transfer", currency="USD",
            details="Demo Panel Ltd\nIBAN DE00 0000 0000 0000 0000 00\nBIC DEMODEFFXXX",
        )  # fmt: skip


@contextlib.contextmanager
def demo_gateways(*, port: int, panel_url: str) -> Iterator[dict[str, str]]:
    """Run the fake gateways on `port` for the demo; yields the environment the panel's
    processes need (PAYMENT_GATEWAY_URLS)."""
    from fakegateways.testing import FakeGateways
    from sandbox.process import die_with_parent

    fakes = FakeGateways(port=port, panel_url=panel_url)
    fakes.preexec_fn = die_with_parent()  # killed with `make run`, however it ends
    with fakes:
        configure_demo_gateways()
        urls = ",".join(f"{code}={url}" for code, url in fakes.gateway_urls.items())
        yield {"PAYMENT_GATEWAY_URLS": urls}
