from decimal import Decimal

import pytest

from accounts.models import Payment, PaymentStatus
from accounts.payments import approve_payment

from .helpers import assert_balances_match_ledger

pytestmark = pytest.mark.django_db


def add_funds(client, amount, reference="TRX-1001", method="manual"):
    return client.post(
        "/funds",
        {"method": method, f"{method}-amount": amount, f"{method}-reference": reference},
    )


def test_the_page_shows_each_method_with_its_instructions_and_form(alice_client):
    html = alice_client.get("/funds").content.decode()

    assert "Bank transfer (manual)" in html
    assert "Send the amount by bank transfer" in html
    assert 'name="manual-amount"' in html
    assert 'name="manual-reference"' in html
    assert "No payments yet" in html


def test_add_funds_creates_a_pending_payment_and_leaves_the_balance_alone(alice_client, alice):
    response = add_funds(alice_client, "25.50", reference=" TRX-77 ")

    assert response.status_code == 302
    assert response["Location"] == "/funds"
    payment = Payment.objects.get()
    assert (payment.user, payment.method, payment.amount, payment.reference, payment.status) == (
        alice,
        "manual",
        Decimal("25.50"),
        "TRX-77",
        PaymentStatus.PENDING,
    )
    alice.refresh_from_db()
    assert alice.balance == 0
    page = alice_client.get("/funds")
    html = page.content.decode()
    assert f"Payment #{payment.pk} of 25.50 USD is waiting for approval" in html
    assert "TRX-77" in html
    assert "Waiting for approval" in html
    assert_balances_match_ledger()


@pytest.mark.parametrize(
    "amount", ["0", "-5", "abc", "1e9", "1000000000", "10.123", "", "NaN", "Infinity", "0.50"]
)
def test_add_funds_refuses_a_bad_amount_and_creates_nothing(alice_client, amount):
    response = add_funds(alice_client, amount)

    assert response.status_code == 200
    assert "amount" in response.context["methods"][0][1].errors
    assert 'class="field has-error"' in response.content.decode()
    assert not Payment.objects.exists()


def test_add_funds_needs_a_reference(alice_client):
    response = add_funds(alice_client, "10", reference="   ")

    assert "reference" in response.context["methods"][0][1].errors
    assert not Payment.objects.exists()


def test_an_unknown_method_is_a_bad_request(alice_client):
    assert add_funds(alice_client, "10", method="crypto").status_code == 400
    assert not Payment.objects.exists()


def test_customers_see_only_their_own_payments_newest_first(alice_client, alice, bob, sam):
    mine = [
        Payment.objects.create(user=alice, method="manual", amount=Decimal(n), reference=f"A-{n}")
        for n in (1, 2, 3)
    ]
    Payment.objects.create(user=bob, method="manual", amount=Decimal(9), reference="BOB-SECRET")
    approve_payment(payment_id=mine[0].pk, by=sam, note="matched on the statement")

    response = alice_client.get("/funds")

    assert [p.pk for p in response.context["page"].object_list] == [p.pk for p in reversed(mine)]
    html = response.content.decode()
    assert "BOB-SECRET" not in html
    assert "matched on the statement" in html
    assert "Approved" in html
    assert_balances_match_ledger()


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
