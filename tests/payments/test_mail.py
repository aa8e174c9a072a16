"""The customer hears of credited funds once, through the outbox, however often it is paid."""

from decimal import Decimal

import pytest
from django.core import mail

from harness.webhooks import opened, post_razorpay, razorpay_paid
from outbox.mail import send_due
from outbox.models import OutboxMail
from payments.crediting import approve_payment

pytestmark = pytest.mark.django_db


def test_a_credited_payment_queues_one_mail_however_often_it_is_reported(
    client, alice, razorpay_gateway, keys
):
    payment = opened(alice, "razorpay", "2500.00", "INR", credit="30")
    event = razorpay_paid(payment, payment_id="pay_M")
    for _ in range(3):
        post_razorpay(client, event, keys["razorpay_webhook_secret"])

    queued = OutboxMail.objects.get()
    assert (queued.key, queued.to) == (f"payment-credited:{payment.pk}", ["alice@example.com"])
    assert send_due() == 1 and send_due() == 0
    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert sent.subject == "30.00 USD added to your Boostly balance"
    assert (
        f"Your payment #{payment.pk} (UPI, cards, net banking (Razorpay)) was received" in sent.body
    )
    assert "30.00 USD" in sent.body


def test_a_staff_approval_queues_the_mail_and_a_flagged_payment_none(
    client, alice, sam, razorpay_gateway, keys
):
    flagged = opened(alice, "razorpay", "100.00", "INR", credit="1.2")
    post_razorpay(client, razorpay_paid(flagged, amount="99.00"), keys["razorpay_webhook_secret"])
    assert not OutboxMail.objects.exists()

    approve_payment(payment_id=flagged.pk, by=sam, note="checked the dashboard")
    approve_payment(payment_id=flagged.pk, by=sam)

    assert list(OutboxMail.objects.values_list("key", flat=True)) == [
        f"payment-credited:{flagged.pk}"
    ]
    alice.refresh_from_db()
    assert alice.balance == Decimal("1.2")
