"""Razorpay: the order through the SDK (against the fake), the signed return, the webhooks."""

from decimal import Decimal

import pytest

from accounts.models import LedgerEntry, LedgerKind, PaymentStatus
from harness.webhooks import opened, post_razorpay, razorpay_event, razorpay_paid, razorpay_reversal
from payments.models import Reversal

pytestmark = pytest.mark.django_db


def deposits(payment) -> list[Decimal]:
    return list(
        LedgerEntry.objects.filter(payment=payment, kind=LedgerKind.DEPOSIT).values_list(
            "amount", flat=True
        )
    )


def test_a_captured_payment_is_credited_once_however_often_it_is_reported(
    client, alice, razorpay_gateway, keys
):
    payment = opened(alice, "razorpay", "1000.00", "INR", credit="12")
    event = razorpay_paid(payment, payment_id="pay_A1")

    answers = [post_razorpay(client, event, keys["razorpay_webhook_secret"]) for _ in range(3)]
    order_paid = razorpay_paid(payment, payment_id="pay_A1", event="order.paid")
    answers.append(post_razorpay(client, order_paid, keys["razorpay_webhook_secret"]))

    assert [a.status_code for a in answers] == [200, 200, 200, 200]
    payment.refresh_from_db()
    assert (payment.status, payment.gateway_payment_id) == (PaymentStatus.APPROVED, "pay_A1")
    assert deposits(payment) == [Decimal("12")]
    alice.refresh_from_db()
    assert alice.balance == Decimal("12")


@pytest.mark.parametrize(
    "tamper",
    ["signature", "secret", "body"],
)
def test_a_forged_webhook_is_refused_and_credits_nothing(
    client, alice, razorpay_gateway, keys, tamper, caplog
):
    import json

    payment = opened(alice, "razorpay", "500.00", "INR", credit="6")
    body = json.dumps(razorpay_paid(payment))
    secret = keys["razorpay_webhook_secret"] if tamper != "secret" else "guessed-secret"
    from harness.webhooks import _hmac

    signature = _hmac(secret, body) if tamper != "signature" else "0" * 64
    if tamper == "body":
        body = body.replace("500", "5")
    answer = client.post(
        "/payments/webhooks/razorpay", body, content_type="application/json",
        headers={"X-Razorpay-Signature": signature},
    )  # fmt: skip

    assert answer.status_code == 400
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING and not deposits(payment)
    assert "razorpay /payments/webhooks/razorpay refused: bad signature" in caplog.text


def test_a_webhook_without_a_signature_is_refused(client, alice, razorpay_gateway):
    payment = opened(alice, "razorpay", "500.00", "INR")
    answer = client.post(
        "/payments/webhooks/razorpay", razorpay_paid(payment), content_type="application/json"
    )
    assert answer.status_code == 400
    assert not LedgerEntry.objects.exists()


def test_a_replayed_old_event_is_refused(client, alice, razorpay_gateway, keys, caplog):
    payment = opened(alice, "razorpay", "500.00", "INR")

    answer = post_razorpay(
        client, razorpay_paid(payment, age=3 * 24 * 3600), keys["razorpay_webhook_secret"]
    )

    assert answer.status_code == 400
    assert "replayed" in caplog.text
    assert not LedgerEntry.objects.exists()


def test_an_unknown_order_is_refused(client, alice, razorpay_gateway, keys):
    payment = opened(alice, "razorpay", "500.00", "INR")
    payment.gateway_ref = "order_someone_elses"
    answer = post_razorpay(client, razorpay_paid(payment), keys["razorpay_webhook_secret"])
    assert answer.status_code == 400
    assert not LedgerEntry.objects.exists()


@pytest.mark.parametrize(
    ("amount", "currency", "reported"),
    [("499.00", "INR", "499.00 INR"), ("500.00", "USD", "500.00 USD")],
)
def test_a_different_amount_or_currency_is_flagged_with_both_figures_and_not_credited(
    client, alice, razorpay_gateway, keys, amount, currency, reported
):
    payment = opened(alice, "razorpay", "500.00", "INR")

    answer = post_razorpay(
        client,
        razorpay_paid(payment, payment_id="pay_X", amount=amount, currency=currency),
        keys["razorpay_webhook_secret"],
    )

    assert answer.status_code == 200  # genuine: Razorpay must not retry it
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING
    assert f"reported {reported}" in payment.flag and "asked 500.00 INR" in payment.flag
    assert not deposits(payment)


def test_a_failed_payment_is_marked_failed_and_a_later_success_still_credits(
    client, alice, razorpay_gateway, keys
):
    payment = opened(alice, "razorpay", "500.00", "INR", credit="6")
    failed = razorpay_paid(payment, event="payment.failed")
    failed["payload"]["payment"]["entity"].update(status="failed", error_description="Declined")

    post_razorpay(client, failed, keys["razorpay_webhook_secret"])
    payment.refresh_from_db()
    assert (payment.status, payment.note) == (PaymentStatus.FAILED, "Declined")

    post_razorpay(client, razorpay_paid(payment), keys["razorpay_webhook_secret"])
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.APPROVED and deposits(payment) == [Decimal("6")]


def test_events_of_no_interest_are_acknowledged(client, razorpay_gateway, keys):
    event = razorpay_event("payment.authorized", {"payment": {"entity": {"id": "pay_1"}}})
    assert post_razorpay(client, event, keys["razorpay_webhook_secret"]).status_code == 200


def test_a_refund_takes_back_its_share_once(client, alice, razorpay_gateway, keys):
    payment = opened(alice, "razorpay", "1000.00", "INR", credit="12")
    post_razorpay(
        client, razorpay_paid(payment, payment_id="pay_R"), keys["razorpay_webhook_secret"]
    )
    payment.refresh_from_db()
    refund = razorpay_reversal(payment, "250.00")

    for _ in range(2):
        assert post_razorpay(client, refund, keys["razorpay_webhook_secret"]).status_code == 200

    reversal = Reversal.objects.get()
    assert (reversal.kind, reversal.amount, reversal.take_back, reversal.taken, reversal.owed) == (
        "refund", Decimal("250"), Decimal("3"), Decimal("3"), Decimal("0"),
    )  # fmt: skip
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.REFUNDED and "Refund" in payment.flag
    alice.refresh_from_db()
    assert alice.balance == Decimal("9")


def test_a_dispute_beyond_the_balance_leaves_it_at_zero_and_records_what_is_owed(
    client, alice, razorpay_gateway, keys
):
    from harness.catalog import make_provider, make_service, make_upstream
    from tests.accounts.helpers import place

    secret = keys["razorpay_webhook_secret"]
    payment = opened(alice, "razorpay", "1000.00", "INR", credit="12")
    post_razorpay(client, razorpay_paid(payment, payment_id="pay_D"), secret)
    service = make_service(make_upstream(make_provider()), fixed_rate=Decimal("5"))
    place(alice, service, quantity=1000)  # 5 of the 12 spent
    payment.refresh_from_db()

    post_razorpay(client, razorpay_reversal(payment, "1000.00", kind="dispute"), secret)

    reversal = Reversal.objects.get()
    assert (reversal.take_back, reversal.taken, reversal.owed) == (
        Decimal("12"), Decimal("7"), Decimal("5"),
    )  # fmt: skip
    alice.refresh_from_db()
    assert alice.balance == 0
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.DISPUTED
