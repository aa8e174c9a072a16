"""No page and no log line shows a gateway secret: customer pages, admin pages, webhooks (good,
forged and replayed), returns and gateway calls, with every logger at DEBUG."""

import logging

import pytest

from harness.webhooks import (
    nowpayments_ipn,
    opened,
    post_nowpayments,
    post_razorpay,
    post_stripe,
    razorpay_paid,
    stripe_paid,
)  # fmt: skip

from .fakepay import pay_hosted, pay_razorpay

pytestmark = pytest.mark.django_db

SECRET_KEYS = (  # the key ids are public (Razorpay's checkout form carries it)
    "razorpay_key_secret", "razorpay_webhook_secret", "stripe_secret_key",
    "stripe_webhook_secret", "nowpayments_api_key", "nowpayments_ipn_secret",
)  # fmt: skip


def test_no_page_and_no_log_line_contains_a_gateway_secret(
    client, alice, sam, keys, fakes, razorpay_gateway, stripe_gateway, nowpayments_gateway,
    upi_account, caplog,
):  # fmt: skip
    caplog.set_level(logging.DEBUG)
    pages: list[str] = []

    def read(response) -> None:
        pages.append(response.content.decode(errors="replace"))
        pages.append(str(dict(response.headers)))

    client.force_login(alice)
    read(client.get("/funds"))
    for code, fields in (
        ("stripe", {"stripe-currency": "USD", "stripe-amount": "20"}),
        ("razorpay", {"razorpay-amount": "900"}),
        ("nowpayments", {"nowpayments-amount": "15"}),
        ("manual", {"manual-account": upi_account.pk, "manual-amount": "700"}),
    ):
        answer = client.post("/funds", {"method": code, **fields})
        read(answer)
        payment = alice.payments.order_by("-id").first()
        read(client.get(f"/funds/{payment.pk}"))
        if code == "razorpay":
            read(client.post("/payments/return/razorpay", pay_razorpay(fakes, payment)))
        elif code in ("stripe", "nowpayments"):
            read(client.get(pay_hosted(payment).removeprefix("http://testserver")))

    for forged in ("guessed-secret", keys["razorpay_webhook_secret"][:-1]):
        read(post_razorpay(client, razorpay_paid(opened(alice, "razorpay", "5.00", "INR")), forged))
    read(post_razorpay(client, razorpay_paid(opened(alice, "razorpay", "5.00", "INR"), age=10**6),
                       keys["razorpay_webhook_secret"]))  # fmt: skip
    read(post_stripe(client, stripe_paid(opened(alice, "stripe", "5.00", "USD")),
                     keys["stripe_webhook_secret"], age=3600))  # fmt: skip
    read(post_stripe(client, stripe_paid(opened(alice, "stripe", "5.00", "USD")), "whsec_x"))
    read(
        post_nowpayments(client, nowpayments_ipn(opened(alice, "nowpayments", "5.00", "USD")), "x")
    )

    client.force_login(sam)
    for url in ("/admin/payments/gateway/", "/admin/accounts/payment/", "/admin/payments/reversal/",
                "/admin/payments/transferaccount/", "/admin/"):  # fmt: skip
        read(client.get(url))
    for gateway in (razorpay_gateway, stripe_gateway, nowpayments_gateway):
        read(client.get(f"/admin/payments/gateway/{gateway.pk}/change/"))
        read(client.get(f"/admin/payments/gateway/{gateway.pk}/history/"))
    for payment in alice.payments.all():
        read(client.get(f"/admin/accounts/payment/{payment.pk}/change/"))

    assert alice.payments.filter(status="approved").count() == 2  # razorpay and stripe returns
    assert "refused" in caplog.text  # the forged ones were logged
    seen = "\n".join(pages) + caplog.text
    for name in SECRET_KEYS:
        assert keys[name] not in seen, f"{name} shown"
