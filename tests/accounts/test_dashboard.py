import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from harness.customers import assert_ledger_balanced, fund
from orders.models import Order, OrderStatus

from .helpers import place

pytestmark = pytest.mark.django_db


def test_anonymous_visitors_get_the_landing_page(client):
    response = client.get("/")
    assert response.status_code == 200
    assert "pages/landing.html" in [t.name for t in response.templates]


def test_dashboard_shows_balance_spending_and_orders_by_status(alice_client, alice, service):
    fund(alice, "50")
    orders = [place(alice, service, quantity=1000) for _ in range(4)]
    Order.objects.filter(pk=orders[0].pk).update(status=OrderStatus.COMPLETED)
    Order.objects.filter(pk=orders[1].pk).update(status=OrderStatus.CANCELED)
    Order.objects.filter(pk=orders[2].pk).update(status=OrderStatus.UNKNOWN)

    response = alice_client.get("/")

    counts = response.context["counts"]
    assert counts == {"total": 4, "active": 2, "completed": 1, "partial": 0, "canceled": 1}
    spent = sum(order.charge for order in orders)
    assert response.context["spent"] == spent
    alice.refresh_from_db()
    assert alice.balance == Decimal("50") - spent
    html = response.content.decode()
    assert f"{alice.balance:.2f}" in html
    # The panel's own statuses stay internal: UNKNOWN shows as "Processing".
    assert "Processing" in html
    assert "Needs review" not in html
    assert_ledger_balanced()


def test_dashboard_lists_the_ten_newest_own_orders_linked_to_their_pages(
    alice_client, alice, bob, service
):
    fund(alice, "50")
    fund(bob, "50")
    mine = [place(alice, service) for _ in range(12)]
    theirs = place(bob, service)

    response = alice_client.get("/")

    recent = list(response.context["recent_orders"])
    assert [o.pk for o in recent] == [o.pk for o in reversed(mine)][:10]
    html = response.content.decode()
    assert f'href="/orders/{mine[-1].pk}/"' in html
    assert f'/orders/{theirs.pk}/"' not in html
    assert f'/orders/{mine[0].pk}/"' not in html
    assert_ledger_balanced()


def test_dashboard_without_orders_invites_a_first_order(alice_client):
    html = alice_client.get("/").content.decode()
    assert "No orders yet" in html
    assert 'href="/order/new"' in html
    assert 'href="/funds"' in html


def dashboard_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/").status_code == 200
    return len(queries)


def test_dashboard_query_count_does_not_grow_with_orders(alice_client, alice, service):
    fund(alice, "100")
    place(alice, service)
    alice_client.get("/")  # the quick order's categories are cached from the first view on
    one = dashboard_queries(alice_client)

    for _ in range(29):
        place(alice, service)
    thirty = dashboard_queries(alice_client)

    assert thirty == one
    assert one <= 6
    assert_ledger_balanced()


def test_an_order_canceled_by_staff_shows_what_was_paid_and_the_refund(
    alice_client, alice, sam, service
):
    """Issue 12, defects 5 and 8: the dashboard showed the full charge of a refunded order
    (the API said 0.00), and a drip-feed order's quantity without its runs."""
    from harness.catalog import make_provider, make_service, make_upstream
    from orders import staff
    from orders.placing import place_order

    fund(alice, "50")
    order = place(alice, service, quantity=5000)
    assert staff.cancel_with_refund(order=order, by=sam, reason="internal")
    drip_service = make_service(make_upstream(make_provider(), dripfeed=True))
    drip = place_order(
        user=alice, service_id=drip_service.pk,
        fields={"link": "https://instagram.com/d", "quantity": "500", "runs": "4", "interval": "5"},
    )  # fmt: skip

    html = alice_client.get("/").content.decode()

    row = re.search(rf'<a href="/orders/{order.pk}/">.*?</tr>', html, re.S).group(0)
    assert re.search(r'data-label="Charge"><span class="money">0.00</span>', row)
    assert 'refunded <span class="money">5.00</span> of <span class="money">5.00</span>' in row
    drip_row = re.search(rf'<a href="/orders/{drip.pk}/">.*?</tr>', html, re.S).group(0)
    assert "2,000 (500 × 4 runs)" in drip_row
    assert_ledger_balanced()
