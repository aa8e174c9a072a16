"""Exactly once under a race, on real PostgreSQL: the return and several copies of each
webhook arrive at the same instant, each on its own connection (as on several web workers)."""

from decimal import Decimal

import pytest
from django.test import Client

from accounts.models import LedgerEntry, PaymentStatus
from harness.webhooks import (
    nowpayments_ipn,
    post_nowpayments,
    post_razorpay,
    post_stripe,
    razorpay_paid,
    stripe_paid,
)  # fmt: skip
from tests.concurrency import run_together

from .fakepay import pay_hosted, pay_razorpay, start

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

COPIES = 6


def credited_once(payment, amount: str) -> None:
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.APPROVED
    entries = list(LedgerEntry.objects.filter(user=payment.user).values_list("amount", flat=True))
    assert entries == [Decimal(amount)]
    payment.user.refresh_from_db()
    assert payment.user.balance == Decimal(amount)


def test_razorpay_return_and_duplicate_webhooks_at_once_credit_once(
    alice, razorpay_gateway, keys, fakes
):
    payment = start(alice, razorpay_gateway, "2500.00")
    back = pay_razorpay(fakes, payment)
    paid = razorpay_paid(payment, payment_id=back["razorpay_payment_id"])
    order_paid = razorpay_paid(payment, payment_id=back["razorpay_payment_id"], event="order.paid")
    secret = keys["razorpay_webhook_secret"]

    def deliver(i: int) -> int:
        client = Client()
        if i == 0:
            return client.post("/payments/return/razorpay", back).status_code
        return post_razorpay(client, paid if i % 2 else order_paid, secret).status_code

    codes = run_together(COPIES + 1, deliver)

    assert codes == [302] + [200] * COPIES
    credited_once(payment, "30")  # 2500 INR × 0.012


def test_stripe_return_and_duplicate_webhooks_at_once_credit_once(
    alice, stripe_gateway, keys, fakes
):
    payment = start(alice, stripe_gateway, "75.00")
    back = pay_hosted(payment).removeprefix("http://testserver")
    session = fakes.control("GET", "/deliveries")  # the fake's own webhook went nowhere
    assert session == [] or all(d["status"] == "unreachable" for d in session)
    from payments.methods import METHODS

    truth = (
        METHODS["stripe"].client(stripe_gateway).v1.checkout.sessions.retrieve(payment.gateway_ref)
    )
    event = stripe_paid(payment, intent=truth.payment_intent)

    def deliver(i: int) -> int:
        client = Client()
        if i == 0:
            return client.get(back).status_code
        return post_stripe(client, event, keys["stripe_webhook_secret"]).status_code

    codes = run_together(COPIES + 1, deliver)

    assert codes == [302] + [200] * COPIES
    credited_once(payment, "75")


def test_nowpayments_duplicate_ipns_at_once_credit_once(alice, nowpayments_gateway, keys):
    from harness.webhooks import opened

    payment = opened(alice, "nowpayments", "12.34", "USD")
    ipn = nowpayments_ipn(payment, payment_id=991)

    codes = run_together(
        COPIES,
        lambda i: post_nowpayments(Client(), ipn, keys["nowpayments_ipn_secret"]).status_code,
    )

    assert codes == [200] * COPIES
    credited_once(payment, "12.34")


def test_two_staff_approving_the_same_transfer_at_once_credit_once(alice, sam, bank_account):
    from harness.webhooks import opened
    from payments.crediting import approve_payment

    payment = opened(alice, "nowpayments", "10.00", "USD")  # any pending payment
    decisions = run_together(4, lambda i: approve_payment(payment_id=payment.pk, by=sam))

    assert sum(d.changed for d in decisions) == 1
    credited_once(payment, "10")
