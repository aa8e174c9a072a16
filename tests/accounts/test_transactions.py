from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from accounts import ledger
from accounts.models import LedgerEntry, Payment
from harness.customers import assert_ledger_balanced, fund
from orders import staff
from orders.models import Order, OrderStatus
from payments.crediting import approve_payment

from .helpers import place

pytestmark = pytest.mark.django_db


def test_transactions_show_only_the_customers_own_rows_newest_first(
    alice_client, alice, bob, sam, service
):
    payment = Payment.objects.create(
        user=alice, method="manual", amount=Decimal(20), reference="R1"
    )
    approve_payment(payment_id=payment.pk, by=sam)
    order = place(alice, service, quantity=1000)
    with transaction.atomic():
        ledger.adjust(user_id=alice.pk, amount=Decimal("-1.5"), reason="Goodwill reversal", by=sam)
    fund(bob, "7", memo="BOB-ONLY")

    response = alice_client.get("/transactions")

    rows = list(response.context["page"].object_list)
    assert [r.pk for r in rows] == list(
        LedgerEntry.objects.filter(user=alice).order_by("-id").values_list("pk", flat=True)
    )
    assert {r.user_id for r in rows} == {alice.pk}
    html = response.content.decode()
    assert "BOB-ONLY" not in html
    assert f'href="/orders/{order.pk}/">Order #{order.pk}</a>' in html
    assert f"Payment #{payment.pk}" in html
    assert '<td class="num amount credit" data-label="Amount">+20.00</td>' in html
    assert f'<td class="num amount debit" data-label="Amount">−{order.charge:.2f}' in html
    assert "−1.50" in html
    assert "Goodwill reversal" in html
    assert "Staff adjustment" in html
    assert_ledger_balanced()


def ledger_page_queries(client, page=1) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(f"/transactions?page={page}").status_code == 200
    return len(queries)


def test_transactions_query_count_is_the_same_for_1_and_50_rows_per_page(alice_client, alice, sam):
    fund(alice, "1")
    one = ledger_page_queries(alice_client)

    for n in range(70):
        fund(alice, "1", memo=f"top-up {n}")
    full = ledger_page_queries(alice_client)
    second = ledger_page_queries(alice_client, page=2)

    assert one == full == second
    assert len(alice_client.get("/transactions").context["page"].object_list) == 50
    assert len(alice_client.get("/transactions?page=2").context["page"].object_list) == 21
    assert_ledger_balanced()


def test_transactions_without_rows_say_so(alice_client):
    assert "No transactions yet" in alice_client.get("/transactions").content.decode()


def test_a_staff_cancel_reason_never_reaches_the_customers_transactions(
    alice_client, alice, sam, service
):
    fund(alice, "10")
    order = place(alice, service, quantity=1000)
    other = place(alice, service, quantity=1000)
    Order.objects.filter(pk=other.pk).update(status=OrderStatus.IN_PROGRESS)
    other.refresh_from_db()
    assert staff.cancel_with_refund(order=order, by=sam, reason="fraud suspicion, ticket 88")
    assert staff.set_partial(order=other, remains=400, by=sam, reason="provider lost 400, ask Bo")

    html = alice_client.get("/transactions").content.decode()

    assert "fraud suspicion" not in html and "ask Bo" not in html
    assert f"Order #{order.pk} canceled and refunded" in html
    assert f"Order #{other.pk} partially delivered: 400 not delivered, refunded" in html
    assert_ledger_balanced()


def test_an_old_refund_memo_with_a_staff_reason_is_shown_without_it(alice_client, alice, sam):
    with transaction.atomic():
        ledger.credit(
            user_id=alice.pk, amount=Decimal(1), kind="adjustment",
            memo="Order #10 canceled by staff: chargeback risk",
        )  # fmt: skip
        ledger.credit(
            user_id=alice.pk, amount=Decimal(1), kind="adjustment",
            memo="Order #11 set partial by staff (40 not delivered): upstream said so",
        )  # fmt: skip

    html = alice_client.get("/transactions").content.decode()

    assert "chargeback" not in html and "upstream said so" not in html
    assert "Order #10 canceled and refunded" in html
    assert "Order #11 partially delivered: 40 not delivered, refunded" in html
