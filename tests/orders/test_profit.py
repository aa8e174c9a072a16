"""Per-order profit (orders/profit.py) on the order admin: what the customer paid minus the
upstream's cost at the exchange rate recorded when the order was sent; sortable in the list."""

from decimal import Decimal

from harness.catalog import make_provider, make_service, make_upstream
from orders.forwarding import claim
from orders.models import Order, OrderStatus
from orders.profit import with_profit
from orders.settlement import settle, undelivered_refund
from orders.states import ORDERS

from .helpers import placed_order


def sent(order: Order, service) -> Order:
    offer = service.service_offers.get().upstream_service
    assert claim(order, offer)
    ORDERS.move(
        pk=order.pk,
        source=OrderStatus.SENDING,
        target=OrderStatus.IN_PROGRESS,
        upstream_order_id=f"u{order.pk}",
    )
    order.refresh_from_db()
    return order


def test_profit_uses_the_rate_recorded_when_sent(alice_with_100):
    euro = make_provider(currency="EUR", exchange_rate=Decimal("1.1"))
    service = make_service(make_upstream(euro, rate="2.00"))  # 2.20 per 1000 in USD
    order = sent(placed_order(alice_with_100, service), service)
    assert order.exchange_rate == Decimal("1.1")
    refund = undelivered_refund(order, 250)
    assert settle(
        order, status=OrderStatus.PARTIAL, refund=refund, remains=250, cost=Decimal("1.5")
    )
    euro.exchange_rate = Decimal("2")  # later: not this order's rate
    euro.save()
    profit = with_profit(Order.objects.filter(pk=order.pk)).get().profit
    assert profit == Decimal("2.20") - Decimal("0.55") - Decimal("1.5") * Decimal("1.1")


def test_no_profit_until_the_cost_is_known_and_none_lost_on_unsent_orders(alice_with_100, service):
    running = sent(placed_order(alice_with_100, service), service)
    never_sent = placed_order(alice_with_100, service, OrderStatus.FAILED)
    profits = dict(with_profit(Order.objects.all()).values_list("pk", "profit"))
    assert profits[running.pk] is None
    assert profits[never_sent.pk] == never_sent.charge - never_sent.refunded


def test_profit_column_in_the_order_list_sorts_and_shows_on_the_order(alice_with_100, sam_client):
    provider = make_provider()
    cheap = make_service(make_upstream(provider, rate="1.00"))
    orders = []
    for cost in ("0.9", "0.1", "0.5"):
        order = sent(placed_order(alice_with_100, cheap), cheap)
        assert settle(order, status=OrderStatus.COMPLETED, refund=Decimal(0), cost=Decimal(cost))
        orders.append(order)
    page = sam_client.get("/admin/orders/order/")
    assert page.status_code == 200
    columns = page.context["cl"].list_display
    index = columns.index("profit_cell")
    ascending = sam_client.get(f"/admin/orders/order/?o={index}")
    shown = [o.pk for o in ascending.context["cl"].result_list]
    assert shown == [orders[0].pk, orders[2].pk, orders[1].pk]  # profit 0.1, 0.5, 0.9
    assert b"0.10" in ascending.content and b"0.90" in ascending.content
    detail = sam_client.get(f"/admin/orders/order/{orders[1].pk}/change/")
    assert detail.status_code == 200 and b"0.90" in detail.content
