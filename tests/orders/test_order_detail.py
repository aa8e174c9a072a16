"""The order page (/orders/<id>/): the owner's only, what was bought, paid and refunded, and a
timeline for each life of an order (issue 12)."""

import re
from decimal import Decimal

import pytest
from django.utils import timezone

from harness.customers import assert_ledger_balanced
from orders import staff
from orders.cancels import request_cancel
from orders.models import CancelRequest, Order, OrderStatus, Refill, RequestStatus
from orders.placing import place_order
from orders.refills import request_refill
from orders.settlement import settle, undelivered_refund
from orders.states import REFILLS

from .helpers import service_of

pytestmark = pytest.mark.django_db
S = OrderStatus
R = RequestStatus


def page(client, order) -> str:
    response = client.get(f"/orders/{order.pk}/")
    assert response.status_code == 200
    return response.content.decode()


def kinds(html: str) -> list[str]:
    return re.findall(r'<li class="event [a-z_]+" data-kind="([a-z_]+)">', html)


def titles(html: str) -> list[str]:
    return re.findall(r'<strong class="event-title">([^<]+)</strong>', html)


def fact(html: str, name: str) -> str:
    found = re.search(rf'<dd[^>]* id="order-{name}">(.*?)</dd>', html, re.S)
    return re.sub(r"<[^>]+>", "", found.group(1)).strip() if found else ""


def placed(user, service, quantity="1000", **fields) -> Order:
    return place_order(
        user=user,
        service_id=service.pk,
        fields={"link": "https://instagram.com/p/1", "quantity": quantity, **fields},
    )


def running(order, *, start_count=120, remains=None, **fields) -> Order:
    """As the worker and a poll leave it: sent, accepted upstream, progress read."""
    now = timezone.now()
    Order.objects.filter(pk=order.pk).update(
        status=S.IN_PROGRESS, upstream_order_id=str(order.pk + 9000), sent_at=now,
        start_count=start_count, remains=remains, last_checked_at=now, **fields,
    )  # fmt: skip
    order.refresh_from_db()
    return order


@pytest.fixture
def refillable():
    return service_of(rate="1.2345", refill=True, cancel=True, dripfeed=True, max=50_000)


def test_a_completed_order_shows_its_facts_and_timeline(alice_client, alice_with_100, refillable):
    order = running(placed(alice_with_100, refillable, quantity="5000"), remains=0)
    assert settle(order, status=S.COMPLETED, refund=Decimal(0))

    html = page(alice_client, order)

    assert kinds(html) == ["placed", "sent", "completed"]
    assert "Start count: 120." in html and "All 5,000 delivered." in html
    assert fact(html, "quantity") == "5,000"
    assert fact(html, "charge") == "6.1725 USD" and fact(html, "paid") == "6.1725 USD"
    assert fact(html, "start") == "120" and fact(html, "remains") == "0"
    assert (
        f'href="/order/new?service={refillable.pk}&amp;link=https%3A%2F%2Finstagram.com%2Fp%2F1'
        f'&amp;quantity=5000"' in html
    )
    assert f'href="/support/new?order={order.pk}"' in html
    assert f'action="/orders/{order.pk}/refill"' in html  # completed, refill service
    assert f'action="/orders/{order.pk}/cancel"' not in html


def test_a_partial_order_shows_the_refund_and_what_was_paid(
    alice_client, alice_with_100, refillable
):
    order = running(placed(alice_with_100, refillable), remains=400)
    assert settle(
        order, status=S.PARTIAL, refund=undelivered_refund(order, 400), remains=400,
        memo="Order partial",
    )  # fmt: skip

    html = page(alice_client, order)

    assert kinds(html) == ["placed", "sent", "partial", "refund"]
    assert "600 of 1,000 delivered; the rest was refunded." in html
    assert fact(html, "refunded") == "0.4938 USD"
    assert fact(html, "paid") == "0.7407 USD"
    assert fact(html, "delivered") == "600 of 1,000"
    assert_ledger_balanced()


def test_an_order_canceled_by_staff_shows_canceled_and_refunded_without_the_reason(
    alice_client, alice_with_100, sam, refillable
):
    order = running(placed(alice_with_100, refillable))
    assert staff.cancel_with_refund(order=order, by=sam, reason="suspected fraud, see ticket 9")

    html = page(alice_client, order)

    assert kinds(html) == ["placed", "sent", "canceled", "refund"]
    assert "suspected fraud" not in html
    assert fact(html, "paid") == "0.00 USD" and fact(html, "refunded") == "1.2345 USD"
    assert 'id="order-status">Canceled<' in html
    assert_ledger_balanced()


def test_a_refused_cancel_is_shown_on_the_order_and_in_the_list(
    alice_client, alice_with_100, refillable
):
    order = running(placed(alice_with_100, refillable), remains=300)
    assert isinstance(request_cancel(user=alice_with_100, order_id=order.pk), CancelRequest)
    order.refresh_from_db()
    # The provider delivers everything anyway: the order completes, the cancel is refused.
    assert settle(order, status=S.COMPLETED, refund=Decimal(0), remains=0)
    assert CancelRequest.objects.get().status == R.REJECTED

    html = page(alice_client, order)

    assert kinds(html) == ["placed", "sent", "cancel", "completed", "cancel"]
    assert titles(html)[2:] == ["Cancel requested", "Completed", "Cancel refused"]
    assert "Your cancel request was refused: the order was completed first." in html
    listed = alice_client.get("/orders").content.decode()
    assert "Cancel rejected: the order was completed first" in listed


def test_a_refill_requested_and_done_is_on_the_timeline(alice_client, alice_with_100, refillable):
    order = running(placed(alice_with_100, refillable), remains=0)
    assert settle(order, status=S.COMPLETED, refund=Decimal(0))
    refill = request_refill(user=alice_with_100, order_id=order.pk)
    assert 'id="order-help"' in page(alice_client, order)

    REFILLS.move(pk=refill.pk, source=R.PENDING, target=R.SENDING)
    REFILLS.move(pk=refill.pk, source=R.SENDING, target=R.ACCEPTED, upstream_refill_id="77")
    REFILLS.move(pk=refill.pk, source=R.ACCEPTED, target=R.COMPLETED)
    html = page(alice_client, order)

    assert kinds(html) == ["placed", "sent", "completed", "refill", "refill"]
    assert titles(html)[3:] == [f"Refill #{refill.pk} requested", f"Refill #{refill.pk} done"]
    assert Refill.objects.get().status == R.COMPLETED


def test_a_drip_feed_order_shows_each_runs_progress(alice_client, alice_with_100, refillable):
    order = placed(alice_with_100, refillable, quantity="500", runs="4", interval="30")
    order = running(order, remains=1200, upstream_detail={"runs": "2", "orders": [1, 2]})

    html = page(alice_client, order)

    assert fact(html, "quantity") == "2,000 (500 × 4 runs)"
    assert "4 runs of 500, every 30 min" in html
    assert kinds(html) == ["placed", "sent", "progress"]
    assert "800 of 2,000 delivered, 1,200 to go" in html
    runs = re.findall(r'<li class="run (\w+)">.*?<span class="run-text">([^<]+)</span>', html, re.S)
    assert runs == [
        ("done", "500 of 500 · done"),
        ("delivering", "300 of 500 · delivering"),
        ("waiting", "0 of 500 · waiting"),
        ("waiting", "0 of 500 · waiting"),
    ]
    assert f'action="/orders/{order.pk}/cancel"' in html  # running, cancel service


def test_another_customers_order_and_a_missing_one_are_not_found(
    client, alice_with_100, bob_with_100, refillable
):
    order = placed(alice_with_100, refillable)
    client.force_login(bob_with_100)
    assert client.get(f"/orders/{order.pk}/").status_code == 404
    assert client.get(f"/orders/{order.pk + 1000}/").status_code == 404
    client.logout()
    assert client.get(f"/orders/{order.pk}/").status_code == 302  # to the login page


def test_every_order_row_links_to_its_page(alice_client, alice_with_100, refillable):
    order = placed(alice_with_100, refillable)
    link = f'href="/orders/{order.pk}/"'
    assert link in alice_client.get("/orders").content.decode()
    assert link in alice_client.get("/").content.decode()
    assert link in alice_client.get("/transactions").content.decode()
