"""The funds page and a payment's page: methods as configured, manual transfer with UPI QR and
UTR, hosted gateways sending the customer to their checkout."""

import re
from decimal import Decimal
from html import unescape

import pytest

from accounts.models import Payment, PaymentStatus
from payments.crediting import approve_payment
from payments.models import Gateway

from .conftest import configure

pytestmark = pytest.mark.django_db


def start_manual(client, account, amount):
    return client.post(
        "/funds",
        {"method": "manual", "manual-account": account.pk, "manual-amount": amount},
    )


def test_the_page_shows_each_enabled_method_with_its_terms(
    alice_client, upi_account, bank_account, stripe_gateway, keys
):
    stripe_gateway.fee_percent, stripe_gateway.bonus_percent = Decimal("2.9"), Decimal(5)
    stripe_gateway.bonus_from = Decimal(100)
    stripe_gateway.save()
    configure("nowpayments", keys, enabled=False)
    configure("razorpay", keys, currencies=())  # enabled, but takes no currency yet

    html = alice_client.get("/funds").content.decode()

    assert "Bank transfer / UPI" in html and "Our UPI (INR)" in html and "Bank (USD)" in html
    assert 'id="method-stripe"' in html and "Fee 2.9% on top · +5% bonus from 100 USD" in html
    assert 'name="stripe-currency"' in html and "1–100,000 USD · 1–100,000 EUR" in html
    assert 'id="method-nowpayments"' not in html and 'id="method-razorpay"' not in html
    assert "No payments yet" in html


def test_a_manual_method_without_accounts_is_not_offered(alice_client, db):
    configure("manual", {})
    html = alice_client.get("/funds").content.decode()
    assert 'id="method-manual"' not in html
    assert "No payment method is available yet" in html


def test_a_upi_transfer_shows_the_qr_code_and_takes_the_utr_once(alice_client, alice, upi_account):
    response = start_manual(alice_client, upi_account, "1000")

    payment = Payment.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/funds/{payment.pk}"
    assert (payment.method, payment.currency, payment.gateway_amount, payment.amount) == (
        "manual", "INR", Decimal("1000"), Decimal("12"),
    )  # fmt: skip
    assert re.fullmatch(rf"P{payment.pk}[A-Z2-9]{{6}}", payment.gateway_ref)
    assert payment.details["upi_id"] == "shop.panel@okaxis"

    page = alice_client.get(f"/funds/{payment.pk}").content.decode()
    assert "<svg" in page and "</svg>" in page  # drawn here, no outside service
    link = unescape(re.search(r'href="(upi://pay\?[^"]+)"', page).group(1))
    assert link == (
        f"upi://pay?pa=shop.panel@okaxis&pn=Shop%20Panel&am=1000.00&cu=INR"
        f"&tr={payment.gateway_ref}&tn=Funds%20{payment.gateway_ref}"
    )
    assert payment.gateway_ref in page and "12.00 USD" in page

    done = alice_client.post(f"/funds/{payment.pk}", {"reference": " 412345678901 "})
    again = alice_client.post(f"/funds/{payment.pk}", {"reference": "999999999999"})

    assert done.status_code == again.status_code == 302
    payment.refresh_from_db()
    assert (payment.reference, payment.status, payment.flag) == (
        "412345678901", PaymentStatus.PENDING, "",
    )  # fmt: skip
    page = alice_client.get(f"/funds/{payment.pk}").content.decode()
    assert "Waiting for our staff to match your transfer 412345678901" in page
    assert "<svg" not in page


def test_a_reference_already_used_is_flagged_to_staff(client, alice, bob, sam, bank_account):
    for user in (alice, bob):
        client.force_login(user)
        start_manual(client, bank_account, "20")
        payment = Payment.objects.filter(user=user).get()
        client.post(f"/funds/{payment.pk}", {"reference": "TRX-4711"})
    first, second = Payment.objects.order_by("id")
    second.refresh_from_db()
    assert second.flag == f"Reference TRX-4711 is also on payment #{first.pk}."

    client.force_login(sam)
    listing = client.get("/admin/accounts/payment/?flagged=yes").content.decode()
    assert (
        f"Reference also on #{second.pk}" in listing and f"Reference also on #{first.pk}" in listing
    )
    page = client.post(
        "/admin/accounts/payment/", {"action": "approve_selected", "_selected_action": [first.pk]}
    ).content.decode()
    assert f"⚠ Reference also on #{second.pk}" in page


@pytest.mark.parametrize(
    "amount", ["0", "-5", "abc", "1e9", "1000000000", "10.123", "", "NaN", "Infinity", "0.50"]
)
def test_a_bad_amount_is_refused_and_creates_nothing(alice_client, bank_account, amount):
    response = start_manual(alice_client, bank_account, amount)

    assert response.status_code == 200
    form = dict((g.code, f) for g, f, _ in response.context["methods"])["manual"]
    assert "amount" in form.errors
    assert 'class="field has-error"' in response.content.decode()
    assert not Payment.objects.exists()


def test_limits_are_per_currency(alice_client, bank_account):
    bank_account.currency = "USD"
    gateway = Gateway.objects.get(code="manual")
    gateway.currencies.filter(currency="USD").update(min_amount=5, max_amount=50)

    low, high = (
        start_manual(alice_client, bank_account, "4.99"),
        start_manual(alice_client, bank_account, "50.01"),
    )

    for response in (low, high):
        assert "Between 5 and 50 USD." in response.content.decode()
    assert start_manual(alice_client, bank_account, "50").status_code == 302


def test_an_unknown_or_disabled_method_is_a_bad_request(alice_client, bank_account, keys):
    configure("stripe", keys, enabled=False)
    for method in ("crypto", "stripe"):
        assert alice_client.post("/funds", {"method": method}).status_code == 400
    assert not Payment.objects.exists()


def test_a_hosted_gateway_sends_the_customer_to_its_checkout(alice_client, stripe_gateway, fakes):
    response = alice_client.post(
        "/funds", {"method": "stripe", "stripe-currency": "USD", "stripe-amount": "12.50"}
    )

    payment = Payment.objects.get()
    assert response.status_code == 302 and response["Location"] == payment.details["url"]
    assert response["Location"].startswith(f"{fakes.url}/stripe/pay/cs_test_")


def test_razorpay_checkout_is_a_form_posted_to_the_gateway(
    alice_client, razorpay_gateway, fakes, keys
):
    response = alice_client.post("/funds", {"method": "razorpay", "razorpay-amount": "500"})

    payment = Payment.objects.get()
    assert response["Location"] == f"/funds/{payment.pk}"
    page = alice_client.get(f"/funds/{payment.pk}").content.decode()
    assert f'action="{fakes.url}/razorpay/v1/checkout/embedded"' in page
    assert f'name="order_id" value="{payment.gateway_ref}"' in page
    assert 'name="amount" value="50000"' in page
    assert f'name="key_id" value="{keys["razorpay_key_id"]}"' in page
    assert 'name="callback_url" value="http://testserver/payments/return/razorpay"' in page


def test_a_gateway_that_cannot_be_reached_charges_nothing(alice_client, stripe_gateway, settings):
    settings.PAYMENT_GATEWAY_URLS = {"stripe": "http://127.0.0.1:9/stripe"}
    response = alice_client.post(
        "/funds", {"method": "stripe", "stripe-currency": "USD", "stripe-amount": "10"}, follow=True
    )

    assert "Stripe did not open the checkout" in response.content.decode()
    assert Payment.objects.get().status == PaymentStatus.FAILED


def test_customers_see_only_their_own_payments_newest_first(alice_client, alice, bob, sam):
    mine = [
        Payment.objects.create(user=alice, method="manual", amount=Decimal(n), reference=f"A-{n}")
        for n in (1, 2, 3)
    ]
    theirs = Payment.objects.create(
        user=bob, method="manual", amount=Decimal(9), reference="BOB-SECRET"
    )
    approve_payment(payment_id=mine[0].pk, by=sam, note="matched on the statement")

    response = alice_client.get("/funds")

    assert [p.pk for p in response.context["page"].object_list] == [p.pk for p in reversed(mine)]
    html = response.content.decode()
    assert "BOB-SECRET" not in html and "matched on the statement" in html and "Paid" in html
    assert alice_client.get(f"/funds/{theirs.pk}").status_code == 404


def test_payments_are_paginated(alice_client, alice):
    Payment.objects.bulk_create(
        Payment(user=alice, method="manual", amount=Decimal(1), reference=f"R-{n}")
        for n in range(45)
    )

    first = alice_client.get("/funds").context["page"]
    last = alice_client.get("/funds?page=3").context["page"]
    beyond = alice_client.get("/funds?page=99").context["page"]

    assert len(first.object_list) == 20
    assert len(last.object_list) == 5
    assert beyond.number == 3
