"""Stripe Checkout: the session through the SDK (against the fake), the return, the webhooks."""

from decimal import Decimal

import pytest

from accounts.models import LedgerEntry, LedgerKind, PaymentStatus
from harness.webhooks import opened, post_stripe, stripe_event, stripe_paid, stripe_reversal
from payments.methods.base import GatewayError
from payments.models import Reversal

from .fakepay import pay_hosted, start

pytestmark = pytest.mark.django_db


def deposits(payment) -> list[Decimal]:
    return list(
        LedgerEntry.objects.filter(payment=payment, kind=LedgerKind.DEPOSIT).values_list(
            "amount", flat=True
        )
    )


def test_the_session_is_opened_for_the_exact_amount_and_the_return_credits_once(
    client, alice, stripe_gateway, fakes
):
    payment = start(alice, stripe_gateway, "25.50", "EUR")
    assert payment.gateway_ref.startswith("cs_test_") and payment.details["url"].startswith(
        fakes.url
    )
    assert (payment.gateway_amount, payment.currency, payment.amount) == (
        Decimal("25.50"), "EUR", Decimal("27.54"),  # 25.50 × 1.08
    )  # fmt: skip

    back = pay_hosted(payment)
    assert back == f"http://testserver/payments/return/stripe?session_id={payment.gateway_ref}"
    first = client.get(back)
    second = client.get(back)

    assert first.status_code == second.status_code == 302
    assert first["Location"] == f"/funds/{payment.pk}"
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.APPROVED and payment.gateway_payment_id.startswith("pi_")
    assert deposits(payment) == [Decimal("27.54")]


def test_a_session_opened_twice_is_the_same_session(alice, stripe_gateway, fakes):
    from payments.methods import METHODS

    from .fakepay import urls

    payment = start(alice, stripe_gateway, "10")
    again = METHODS["stripe"].open(
        payment=payment, gateway=stripe_gateway, urls=urls("stripe")(payment)
    )
    assert again.ref == payment.gateway_ref  # the idempotency key


def test_a_refused_api_key_fails_the_payment_and_charges_nothing(alice, stripe_gateway, fakes):
    stripe_gateway.api_secret = "sk_test_wrong"
    stripe_gateway.save()
    with pytest.raises(GatewayError):
        start(alice, stripe_gateway, "10")
    payment = alice.payments.get()
    assert payment.status == PaymentStatus.FAILED and "AuthenticationError" in payment.note


def test_the_completed_webhook_credits_once(client, alice, stripe_gateway, keys):
    payment = opened(alice, "stripe", "40.00", "USD")
    event = stripe_paid(payment, intent="pi_1")

    codes = [
        post_stripe(client, event, keys["stripe_webhook_secret"]).status_code for _ in range(3)
    ]

    assert codes == [200, 200, 200]
    payment.refresh_from_db()
    assert (payment.status, payment.gateway_payment_id) == (PaymentStatus.APPROVED, "pi_1")
    assert deposits(payment) == [Decimal("40")]


def test_an_old_timestamp_is_refused_as_a_replay(client, alice, stripe_gateway, keys, caplog):
    payment = opened(alice, "stripe", "40.00", "USD")

    answer = post_stripe(client, stripe_paid(payment), keys["stripe_webhook_secret"], age=600)

    assert answer.status_code == 400
    assert "replayed: timestamp too old" in caplog.text
    assert not deposits(payment)


def test_a_bad_signature_is_refused(client, alice, stripe_gateway, caplog):
    payment = opened(alice, "stripe", "40.00", "USD")
    answer = post_stripe(client, stripe_paid(payment), "whsec_guessed")
    assert answer.status_code == 400 and "bad signature" in caplog.text
    assert not deposits(payment)


def test_an_unknown_session_is_refused(client, alice, stripe_gateway, keys):
    payment = opened(alice, "stripe", "40.00", "USD")
    payment.gateway_ref = "cs_test_not_ours"
    assert (
        post_stripe(client, stripe_paid(payment), keys["stripe_webhook_secret"]).status_code == 400
    )
    assert not LedgerEntry.objects.exists()


@pytest.mark.parametrize(("amount", "currency"), [("39.99", "USD"), ("40.00", "EUR")])
def test_a_different_amount_or_currency_is_flagged_not_credited(
    client, alice, stripe_gateway, keys, amount, currency
):
    payment = opened(alice, "stripe", "40.00", "USD")
    event = stripe_paid(payment, amount=amount, currency=currency)

    assert post_stripe(client, event, keys["stripe_webhook_secret"]).status_code == 200

    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING and not deposits(payment)
    assert f"reported {amount} {currency}" in payment.flag and "asked 40.00 USD" in payment.flag


def test_an_expired_session_fails_the_payment(client, alice, stripe_gateway, keys):
    payment = opened(alice, "stripe", "40.00", "USD")
    event = stripe_event(
        "checkout.session.expired", {"id": payment.gateway_ref, "status": "expired"}
    )
    assert post_stripe(client, event, keys["stripe_webhook_secret"]).status_code == 200
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.FAILED


def test_a_failed_checkout_at_the_fake_fails_the_payment(client, alice, stripe_gateway, fakes):
    payment = start(alice, stripe_gateway, "10")
    assert pay_hosted(payment, "fail") == f"http://testserver/funds/{payment.pk}"
    client.force_login(alice)
    client.get(f"/payments/return/stripe?session_id={payment.gateway_ref}")
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.FAILED and not deposits(payment)


def test_partial_refunds_then_a_dispute_take_back_no_more_than_was_credited(
    client, alice, stripe_gateway, keys
):
    secret = keys["stripe_webhook_secret"]
    payment = opened(alice, "stripe", "30.00", "USD", credit="31.5")  # a 5% bonus
    post_stripe(client, stripe_paid(payment, intent="pi_9"), secret)
    payment.refresh_from_db()

    post_stripe(client, stripe_reversal(payment, "10.00"), secret)
    post_stripe(client, stripe_reversal(payment, "10.00"), secret)
    post_stripe(client, stripe_reversal(payment, "30.00", kind="dispute"), secret)

    takes = list(Reversal.objects.order_by("id").values_list("kind", "take_back"))
    assert takes == [
        ("refund", Decimal("10.5")), ("refund", Decimal("10.5")), ("dispute", Decimal("10.5")),
    ]  # fmt: skip
    alice.refresh_from_db()
    assert alice.balance == 0
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.DISPUTED
