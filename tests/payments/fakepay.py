"""Paying at the fake gateways the way a customer's browser would (no browser needed)."""

import re
from html import unescape

import requests

from accounts.models import Payment
from payments.methods.base import Urls
from payments.starting import start_payment

PANEL = "http://testserver"


def urls(code: str):
    return lambda payment: Urls(
        return_url=f"{PANEL}/payments/return/{code}",
        cancel_url=f"{PANEL}/funds/{payment.pk}",
        webhook_url=f"{PANEL}/payments/webhooks/{code}",
    )


def start(user, gateway, amount, currency=None) -> Payment:
    from decimal import Decimal

    row = gateway.currencies.get(currency=currency) if currency else gateway.currencies.first()
    return start_payment(
        user=user, gateway=gateway, currency=row, amount=Decimal(amount), urls=urls(gateway.code)
    )


def pay_razorpay(fakes, payment: Payment, outcome: str = "pay") -> dict[str, str]:
    """Open the hosted checkout, press Pay (or Fail): the fields it posts back to the panel."""
    from payments.methods import METHODS
    from payments.models import Gateway

    checkout = METHODS["razorpay"].checkout(
        payment=payment, gateway=Gateway.objects.get(code="razorpay")
    )
    page = requests.post(checkout.url, data=checkout.fields, timeout=10)
    page.raise_for_status()
    back = requests.post(
        f"{fakes.url}/razorpay/checkout/{payment.gateway_ref}/{outcome}", timeout=10
    )
    back.raise_for_status()
    return {
        unescape(name): unescape(value)
        for name, value in re.findall(r'name="([^"]+)" value="([^"]*)"', back.text)
    }


def pay_hosted(payment: Payment, outcome: str = "pay") -> str:
    """Stripe or NOWPayments: press Pay (or Fail) on the page; where it sends the customer."""
    answer = requests.post(f"{payment.details['url']}/{outcome}", allow_redirects=False, timeout=10)
    assert answer.status_code == 303, answer.text
    return answer.headers["Location"]
