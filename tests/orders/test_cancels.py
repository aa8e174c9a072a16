"""Cancels in the browser: an order that never left the panel is canceled at once with one
full refund; a running one becomes a cancel request that the worker sends upstream and the
poller settles; refusals are messages; another customer's order answers 404."""

import re
from decimal import Decimal

import pytest

from catalog.models import Service
from harness.customers import assert_ledger_balanced, balance
from orders.cancels import forward_cancel
from orders.forwarding import forward
from orders.models import CancelRequest, Order, OrderStatus, RequestStatus
from orders.placing import place_order

from .helpers import messages_of, order_row, refunds, row_ids, service_of

LIST = "/orders"


def cancel_url(order) -> str:
    return f"/orders/{order.pk}/cancel"


def cancel_forms(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'action="/orders/(\d+)/cancel"', html)]


def actions_cell(html: str, order) -> str:
    row = re.search(rf'<tr class="order" data-id="{order.pk}">.*?</tr>', html, re.S).group(0)
    return re.search(r'<td class="row-actions">(.*?)</td>', row, re.S).group(1)


@pytest.fixture
def cancelable():
    return service_of(rate="1.2345", cancel=True, refill=False)


def placed(user, service, quantity="1000") -> Order:
    """A real placement: the charge is debited with its ledger row."""
    return place_order(
        user=user,
        service_id=service.pk,
        fields={"link": f"https://instagram.com/{Order.objects.count()}", "quantity": quantity},
    )


def running(order) -> Order:
    """As the worker leaves it once the upstream accepted it."""
    Order.objects.filter(pk=order.pk).update(
        status=OrderStatus.IN_PROGRESS, upstream_order_id=str(order.pk + 5000)
    )
    order.refresh_from_db()
    return order


# --- the button -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_cancel_button_shows_on_running_orders_of_cancel_services(
    alice_client, alice_with_100, cancelable
):
    by_status = {
        status: order_row(alice_with_100, cancelable, status=status) for status in OrderStatus
    }
    no_cancel = order_row(alice_with_100, service_of(cancel=False), status=OrderStatus.PENDING)

    html = alice_client.get(LIST).content.decode()

    assert no_cancel.pk in row_ids(html)
    expected = [OrderStatus.HELD, OrderStatus.IN_PROGRESS, OrderStatus.PENDING]
    assert sorted(cancel_forms(html)) == sorted(by_status[s].pk for s in expected)
    form = re.search(r'<form method="post" action="/orders/\d+/cancel".*?</form>', html).group(0)
    assert 'name="csrfmiddlewaretoken"' in form and 'name="next" value="/orders"' in form
    assert f'data-confirm="Cancel order #{by_status[OrderStatus.PENDING].pk}?' in html
    assert f'data-confirm="Ask the provider to cancel order #{by_status["in_progress"].pk}?' in html


@pytest.mark.django_db
def test_the_forms_carry_the_lists_filters_back(alice_client, alice_with_100, cancelable):
    order_row(alice_with_100, cancelable, link="https://x.com/a")
    html = alice_client.get(LIST, {"q": "x.com", "status": "pending"}).content.decode()
    assert 'name="next" value="/orders?q=x.com&amp;status=pending"' in html


# --- an order that never left the panel ---------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("status", [OrderStatus.PENDING, OrderStatus.HELD])
def test_an_unsent_order_is_canceled_at_once_with_one_full_refund(
    alice_client, alice_with_100, cancelable, status
):
    order = placed(alice_with_100, cancelable)
    Order.objects.filter(pk=order.pk).update(status=status)
    assert balance(alice_with_100) == Decimal("100") - Decimal("1.2345")

    response = alice_client.post(cancel_url(order), {"next": "/orders?status=pending"}, follow=True)

    order.refresh_from_db()
    assert response.redirect_chain == [("/orders?status=pending", 302)]
    assert messages_of(response) == [f"Order #{order.pk} canceled and refunded 1.2345 USD."]
    assert (order.status, order.refunded) == (OrderStatus.CANCELED, Decimal("1.2345"))
    assert refunds(order) == [Decimal("1.2345")]
    assert balance(alice_with_100) == Decimal("100")
    assert not CancelRequest.objects.exists()  # nothing to ask upstream

    again = alice_client.post(cancel_url(order), follow=True)

    assert again.status_code == 200
    assert messages_of(again)[0].startswith(f"Order #{order.pk} cannot be canceled")
    assert refunds(order) == [Decimal("1.2345")]
    assert balance(alice_with_100) == Decimal("100")
    assert_ledger_balanced()


@pytest.mark.django_db
def test_a_service_without_cancel_is_refused(alice_client, alice_with_100):
    order = placed(alice_with_100, service_of(cancel=False))

    response = alice_client.post(cancel_url(order), follow=True)

    order.refresh_from_db()
    assert response.status_code == 200
    assert messages_of(response) == [
        f"Order #{order.pk} cannot be canceled: its service does not allow cancel, a cancel is "
        "already requested, or the order is past the point of canceling."
    ]
    assert order.status == OrderStatus.PENDING and refunds(order) == []


@pytest.mark.django_db
@pytest.mark.parametrize(
    "status",
    [OrderStatus.SENDING, OrderStatus.UNKNOWN, OrderStatus.COMPLETED, OrderStatus.CANCELED],
)
def test_an_order_that_is_not_running_is_refused(alice_client, alice_with_100, cancelable, status):
    order = order_row(alice_with_100, cancelable, status=status)
    response = alice_client.post(cancel_url(order), follow=True)
    assert "cannot be canceled" in messages_of(response)[0]
    assert Order.objects.get(pk=order.pk).status == status
    assert not CancelRequest.objects.exists() and refunds(order) == []


# --- an order running upstream ------------------------------------------------------------------


@pytest.mark.django_db
def test_a_running_order_becomes_one_cancel_request(alice_client, alice_with_100, cancelable):
    order = running(placed(alice_with_100, cancelable))

    response = alice_client.post(cancel_url(order), follow=True)

    request = CancelRequest.objects.get()
    assert (request.order, request.user, request.status) == (
        order,
        alice_with_100,
        RequestStatus.PENDING,
    )
    assert messages_of(response) == [f"Cancel requested for order #{order.pk}."]
    cell = actions_cell(response.content.decode(), order)
    assert re.sub(r'<a class="order-again"[^>]*>Order again</a>', "", cell) == (
        '<span class="request-note">Cancel requested</span>'
        f'<a class="order-help" href="/support/new?order={order.pk}">Need help with this order?</a>'
    )
    assert Order.objects.get(pk=order.pk).status == OrderStatus.IN_PROGRESS
    assert refunds(order) == []  # the poller refunds when the upstream says Canceled

    again = alice_client.post(cancel_url(order), follow=True)

    assert "cannot be canceled" in messages_of(again)[0]
    assert CancelRequest.objects.count() == 1


@pytest.mark.django_db
def test_a_rejected_cancel_shows_why_and_can_be_asked_again(
    alice_client, alice_with_100, cancelable
):
    order = running(placed(alice_with_100, cancelable))
    order.cancel_requests.create(
        user=alice_with_100, status=RequestStatus.REJECTED, error="Order not eligible for cancel"
    )

    cell = actions_cell(alice_client.get(LIST).content.decode(), order)

    assert f'action="/orders/{order.pk}/cancel"' in cell
    assert '<p class="order-error">Cancel rejected: Order not eligible for cancel</p>' in cell


# --- another customer's order -------------------------------------------------------------------


@pytest.mark.django_db
def test_another_customers_order_cannot_be_canceled(
    alice_client, alice_with_100, bob_with_100, cancelable
):
    theirs = placed(bob_with_100, cancelable)
    before = balance(bob_with_100)

    assert alice_client.post(cancel_url(theirs)).status_code == 404
    assert alice_client.post("/orders/999999999/cancel").status_code == 404

    theirs.refresh_from_db()
    assert theirs.status == OrderStatus.PENDING
    assert (balance(bob_with_100), refunds(theirs)) == (before, [])


@pytest.mark.django_db
def test_cancel_is_post_only_and_needs_a_login(alice_client, alice_with_100, cancelable):
    order = placed(alice_with_100, cancelable)
    assert alice_client.get(cancel_url(order)).status_code == 405
    alice_client.logout()
    assert alice_client.post(cancel_url(order))["Location"].startswith("/login")
    assert Order.objects.get(pk=order.pk).status == OrderStatus.PENDING


# --- over HTTP with the sandbox -----------------------------------------------------------------


def sent(user, sandbox) -> Order:
    service = (
        Service.objects.filter(
            type="Default", available=True, cancel=True, min__lte=1000, max__gte=1000
        )
        .order_by("id")
        .first()
    )
    order = place_order(
        user=user,
        service_id=service.pk,
        fields={"link": f"https://x.test/{Order.objects.count()}", "quantity": "1000"},
    )
    assert forward(order.pk) == OrderStatus.IN_PROGRESS
    order.refresh_from_db()
    return order


@pytest.mark.django_db(transaction=True)
def test_a_cancel_goes_to_the_sandbox_and_the_poller_refunds_once(
    carol_client, sandbox_provider, carol_with_1000, sandbox
):
    from orders.polling import poll_orders

    order = sent(carol_with_1000, sandbox)  # still Pending at the sandbox: nothing delivered yet

    carol_client.post(cancel_url(order))
    request = CancelRequest.objects.get()
    assert forward_cancel(request.pk) == RequestStatus.ACCEPTED
    assert forward_cancel(request.pk) == "not pending"  # a second delivery sends nothing
    assert sandbox.order(int(order.upstream_order_id))["status_answer"]["status"] == "Canceled"
    assert "Cancel requested" in carol_client.get(LIST).content.decode()

    sandbox.advance(60)
    poll_orders()

    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELED
    assert refunds(order) == [order.charge]
    assert balance(carol_with_1000) == Decimal(1000)
    html = carol_client.get(LIST).content.decode()
    assert cancel_forms(html) == [] and "Cancel requested" not in html

    again = carol_client.post(cancel_url(order), follow=True)  # twice: no second refund

    assert "cannot be canceled" in messages_of(again)[0]
    assert refunds(order) == [order.charge]
    assert_ledger_balanced()


@pytest.mark.django_db(transaction=True)
def test_a_cancel_the_sandbox_refuses_shows_as_rejected(
    carol_client, sandbox_provider, carol_with_1000, sandbox
):
    order = sent(carol_with_1000, sandbox)
    # Finished at the sandbox, not yet polled here: the panel still thinks it is running.
    sandbox.set_outcome(int(order.upstream_order_id), "Completed")
    sandbox.advance(3 * 3600)

    carol_client.post(cancel_url(order))
    request = CancelRequest.objects.get()

    assert forward_cancel(request.pk) == RequestStatus.REJECTED
    request.refresh_from_db()
    assert request.error == "Order not eligible for cancel"
    cell = actions_cell(carol_client.get(LIST).content.decode(), order)
    assert "Cancel rejected: Order not eligible for cancel" in cell
    assert refunds(order) == []
    assert_ledger_balanced()
