"""NOWPayments: the invoice (against the fake) and the signed IPNs."""

from decimal import Decimal

import pytest

from accounts.models import LedgerEntry, LedgerKind, PaymentStatus
from harness.webhooks import nowpayments_ipn, opened, post_nowpayments
from payments.models import Reversal

from .fakepay import pay_hosted, start

pytestmark = pytest.mark.django_db


def deposits(payment) -> list[Decimal]:
    return list(
        LedgerEntry.objects.filter(payment=payment, kind=LedgerKind.DEPOSIT).values_list(
            "amount", flat=True
        )
    )


def test_the_invoice_is_opened_for_the_exact_amount(alice, nowpayments_gateway, fakes):
    nowpayments_gateway.fee_percent = Decimal("0.5")
    nowpayments_gateway.save()

    payment = start(alice, nowpayments_gateway, "33.33")

    assert (payment.gateway_amount, payment.fee, payment.amount) == (
        Decimal("33.50"), Decimal("0.17"), Decimal("33.33"),  # fee 0.16665 rounded up
    )  # fmt: skip
    assert payment.details["url"].startswith(f"{fakes.url}/nowpayments/pay/")
    assert (
        pay_hosted(payment)
        == f"http://testserver/payments/return/nowpayments?order={payment.gateway_ref}"
    )


def test_a_finished_ipn_credits_once(client, alice, nowpayments_gateway, keys):
    payment = opened(alice, "nowpayments", "50.25", "USD")
    ipn = nowpayments_ipn(payment, payment_id=4242)

    codes = [
        post_nowpayments(client, ipn, keys["nowpayments_ipn_secret"]).status_code for _ in range(3)
    ]

    assert codes == [200, 200, 200]
    payment.refresh_from_db()
    assert (payment.status, payment.gateway_payment_id) == (PaymentStatus.APPROVED, "4242")
    assert deposits(payment) == [Decimal("50.25")]


def test_waiting_and_confirming_ipns_change_nothing(client, alice, nowpayments_gateway, keys):
    payment = opened(alice, "nowpayments", "50.00", "USD")
    for status in ("waiting", "confirming", "confirmed"):
        ipn = nowpayments_ipn(payment, status)
        assert post_nowpayments(client, ipn, keys["nowpayments_ipn_secret"]).status_code == 200
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING and not deposits(payment)


def test_a_partial_payment_is_flagged_not_credited(client, alice, nowpayments_gateway, keys):
    payment = opened(alice, "nowpayments", "50.00", "USD")
    ipn = nowpayments_ipn(payment, "partially_paid", amount="31.10")

    post_nowpayments(client, ipn, keys["nowpayments_ipn_secret"])

    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING and not deposits(payment)
    assert "reported 31.10 USD" in payment.flag and "asked 50.00 USD" in payment.flag


@pytest.mark.parametrize("problem", ["signature", "old", "unknown", "currency"])
def test_forged_old_or_unknown_ipns_credit_nothing(
    client, alice, nowpayments_gateway, keys, problem
):
    payment = opened(alice, "nowpayments", "50.00", "USD")
    ipn = nowpayments_ipn(
        payment, age=3 * 24 * 3600 if problem == "old" else 0,
        currency="EUR" if problem == "currency" else None,
    )  # fmt: skip
    if problem == "unknown":
        ipn["order_id"] = "p999-unknown"
    secret = "guessed" if problem == "signature" else keys["nowpayments_ipn_secret"]

    answer = post_nowpayments(client, ipn, secret)

    assert answer.status_code == (200 if problem == "currency" else 400)
    assert not deposits(payment)


def test_an_expired_invoice_fails_and_a_refund_is_recorded(
    client, alice, nowpayments_gateway, keys
):
    secret = keys["nowpayments_ipn_secret"]
    expired = opened(alice, "nowpayments", "20.00", "USD")
    post_nowpayments(client, nowpayments_ipn(expired, "expired"), secret)
    expired.refresh_from_db()
    assert expired.status == PaymentStatus.FAILED

    paid = opened(alice, "nowpayments", "20.00", "USD")
    post_nowpayments(client, nowpayments_ipn(paid, payment_id=77), secret)
    post_nowpayments(client, nowpayments_ipn(paid, "refunded", payment_id=77), secret)
    post_nowpayments(client, nowpayments_ipn(paid, "refunded", payment_id=77), secret)

    assert list(Reversal.objects.values_list("take_back", "taken", "owed")) == [
        (Decimal("20"), Decimal("20"), Decimal("0"))
    ]
    alice.refresh_from_db()
    assert alice.balance == 0
