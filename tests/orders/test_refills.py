"""Refills in the browser: the Refill button on eligible orders only, one open refill per
order, refusals as messages, another customer's order answered 404, the Refills page, and the
whole flow against the sandbox over real HTTP."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from catalog.models import Service
from orders.forwarding import forward
from orders.models import Order, OrderStatus, Refill, RequestStatus
from orders.placing import place_order
from orders.refills import forward_refill, poll_refills

from .helpers import messages_of, order_row, row_ids, service_of

LIST = "/orders"
REFILLS = "/refills"


def refill_url(order) -> str:
    return f"/orders/{order.pk}/refill"


def refill_forms(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'action="/orders/(\d+)/refill"', html)]


def refill_rows(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'<tr class="refill" data-id="(\d+)">', html)]


@pytest.fixture
def refillable():
    return service_of(refill=True, cancel=False)


def completed(user, service, **fields) -> Order:
    """A completed order as the poller leaves it, accepted upstream."""
    fields.setdefault("upstream_order_id", str(Order.objects.count() + 1000))
    fields.setdefault("status", OrderStatus.COMPLETED)
    return order_row(user, service, **fields)


# --- the button -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_refill_button_shows_only_on_eligible_orders(
    alice_client, alice_with_100, refillable, settings
):
    eligible = completed(alice_with_100, refillable)
    no_refill = completed(alice_with_100, service_of(refill=False))
    running = order_row(
        alice_with_100, refillable, status=OrderStatus.IN_PROGRESS, upstream_order_id="7"
    )
    partial = completed(alice_with_100, refillable, status=OrderStatus.PARTIAL)
    too_old = completed(alice_with_100, refillable)
    Order.objects.filter(pk=too_old.pk).update(
        created_at=timezone.now() - timedelta(days=settings.REFILL_WINDOW_DAYS, minutes=1)
    )

    html = alice_client.get(LIST).content.decode()

    assert set(row_ids(html)) == {eligible.pk, no_refill.pk, running.pk, partial.pk, too_old.pk}
    assert refill_forms(html) == [eligible.pk]
    form = re.search(r'<form method="post" action="/orders/\d+/refill".*?</form>', html).group(0)
    assert 'name="csrfmiddlewaretoken"' in form
    assert 'data-confirm="Request a refill of order #' in form


@pytest.mark.django_db
def test_an_open_refill_replaces_the_button_with_its_status(
    alice_client, alice_with_100, refillable
):
    pending, accepted, done = (completed(alice_with_100, refillable) for _ in range(3))
    Refill.objects.create(order=pending, user=alice_with_100)
    Refill.objects.create(order=accepted, user=alice_with_100, status=RequestStatus.ACCEPTED)
    Refill.objects.create(order=done, user=alice_with_100, status=RequestStatus.COMPLETED)

    html = alice_client.get(LIST).content.decode()

    assert refill_forms(html) == [done.pk]  # a finished refill does not block the next one
    assert html.count('<a class="request-note" href="/refills">Refill requested · Pending</a>') == 1
    assert "Refill requested · In progress" in html


# --- requesting -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_refill_request_creates_one_refill_and_a_second_is_refused(
    alice_client, alice_with_100, refillable
):
    order = completed(alice_with_100, refillable)

    response = alice_client.post(
        refill_url(order), {"next": "/orders?status=completed"}, follow=True
    )

    refill = Refill.objects.get()
    assert (refill.order, refill.user, refill.status) == (
        order,
        alice_with_100,
        RequestStatus.PENDING,
    )
    assert response.redirect_chain == [("/orders?status=completed", 302)]
    assert messages_of(response) == [f"Refill #{refill.pk} requested for order #{order.pk}."]
    assert "Refill requested · Pending" in response.content.decode()

    again = alice_client.post(refill_url(order), follow=True)

    assert again.status_code == 200
    assert Refill.objects.count() == 1
    assert messages_of(again) == [
        f"Order #{order.pk} cannot be refilled: refills are for completed orders of services "
        "with refill, within 30 days of the order, one at a time."
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("case", ["outside the window", "not completed", "service without refill"])
def test_an_ineligible_order_is_refused_with_a_message(
    alice_client, alice_with_100, refillable, case
):
    if case == "outside the window":
        order = completed(alice_with_100, refillable)
        Order.objects.filter(pk=order.pk).update(created_at=timezone.now() - timedelta(days=31))
    elif case == "not completed":
        order = order_row(
            alice_with_100, refillable, status=OrderStatus.IN_PROGRESS, upstream_order_id="1"
        )
    else:
        order = completed(alice_with_100, service_of(refill=False))

    response = alice_client.post(refill_url(order), follow=True)

    assert response.status_code == 200
    assert response.redirect_chain == [(LIST, 302)]
    assert "cannot be refilled" in messages_of(response)[0]
    assert not Refill.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("next_", "target"),
    [
        ("/orders?q=x.com&status=completed&page=2", "/orders?q=x.com&status=completed&page=2"),
        ("https://evil.example/orders", LIST),
        ("//evil.example/orders", LIST),
        ("javascript:alert(1)", LIST),
        ("", LIST),
    ],
)
def test_it_goes_back_to_the_list_it_came_from_and_nowhere_else(
    alice_client, alice_with_100, refillable, next_, target
):
    order = completed(alice_with_100, refillable)
    response = alice_client.post(refill_url(order), {"next": next_})
    assert (response.status_code, response["Location"]) == (302, target)


@pytest.mark.django_db
def test_refill_is_post_only_and_needs_a_login(alice_client, alice_with_100, refillable):
    order = completed(alice_with_100, refillable)
    assert alice_client.get(refill_url(order)).status_code == 405
    alice_client.logout()
    response = alice_client.post(refill_url(order))
    assert response.status_code == 302 and response["Location"].startswith("/login")
    assert not Refill.objects.exists()


# --- another customer's ids -------------------------------------------------------------------


@pytest.mark.django_db
def test_another_customers_order_is_not_found(
    alice_client, alice_with_100, bob_with_100, refillable
):
    theirs = completed(bob_with_100, refillable)
    for url in (refill_url(theirs), f"/orders/{theirs.pk}/cancel"):
        assert alice_client.post(url).status_code == 404, url
    assert alice_client.post("/orders/999999999/refill").status_code == 404
    assert alice_client.post(f"/orders/{'9' * 30}/refill").status_code == 404
    assert not Refill.objects.exists()


@pytest.mark.django_db
def test_the_refills_page_never_lists_another_customers_refills(
    alice_client, alice_with_100, bob_with_100, refillable
):
    mine = Refill.objects.create(order=completed(alice_with_100, refillable), user=alice_with_100)
    theirs_order = completed(bob_with_100, refillable, link="https://instagram.com/bobs-secret")
    Refill.objects.create(order=theirs_order, user=bob_with_100)

    html = alice_client.get(REFILLS).content.decode()

    assert refill_rows(html) == [mine.pk]
    assert "bobs-secret" not in html
    assert "1 refill," in html


# --- the Refills page -------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_refills_page_shows_the_customer_status(alice_client, alice_with_100, refillable):
    order = completed(alice_with_100, refillable, link="https://instagram.com/cats")
    make = [
        {"status": RequestStatus.PENDING},
        {"status": RequestStatus.SENDING},
        {"status": RequestStatus.ACCEPTED, "upstream_status": "Pending", "error": "late"},
        {"status": RequestStatus.ACCEPTED, "upstream_status": "In progress"},
        {"status": RequestStatus.UNKNOWN, "error": "outcome unknown: reset"},
        {"status": RequestStatus.COMPLETED, "upstream_status": "Completed"},
        {"status": RequestStatus.REJECTED, "error": "Order not eligible for refill"},
        {"status": RequestStatus.FAILED, "error": "The provider could not be reached."},
    ]
    refills = [
        Refill.objects.create(order=order, user=alice_with_100, **fields) for fields in make[:1]
    ]
    for fields in make[1:]:  # one open refill per order
        other = completed(alice_with_100, refillable, link="https://instagram.com/cats")
        refills.append(Refill.objects.create(order=other, user=alice_with_100, **fields))

    html = alice_client.get(REFILLS).content.decode()
    rows = dict(zip(refill_rows(html), re.findall(r'<td class="status">(.*?)</td>', html)))

    assert list(rows) == [r.pk for r in reversed(refills)]
    status = [rows[r.pk] for r in refills]
    assert status[0] == '<span class="badge pending">Pending</span>'
    assert status[1] == '<span class="badge pending">Pending</span>'
    assert status[2] == (  # the provider's own word, when it says more than ours
        '<span class="badge in_progress">In progress</span>'
        '<p class="upstream-status">Provider: Pending</p>'
    )
    assert status[3] == '<span class="badge in_progress">In progress</span>'
    assert status[4] == '<span class="badge in_progress">In progress</span>'  # no internals
    assert status[5] == '<span class="badge completed">Completed</span>'
    assert status[6] == (
        '<span class="badge failed">Rejected</span>'
        '<p class="order-error">Order not eligible for refill</p>'
    )
    assert status[7].startswith('<span class="badge failed">Rejected</span>')
    assert "Needs review" not in html and "outcome unknown" not in html
    assert f'<td class="order-id"><a href="/orders/{order.pk}/">#{order.pk}</a></td>' in html
    assert refillable.name in html and "https://instagram.com/cats" in html


@pytest.mark.slow  # many rows
@pytest.mark.django_db
def test_the_refills_page_is_paginated_with_a_constant_query_count(
    alice_client, alice_with_100, refillable
):
    Refill.objects.create(order=completed(alice_with_100, refillable), user=alice_with_100)
    with CaptureQueriesContext(connection) as one:
        alice_client.get(REFILLS)
    for i in range(59):
        order = completed(alice_with_100, service_of(refill=True), link=f"https://x.com/{i}")
        Refill.objects.create(order=order, user=alice_with_100)
    with CaptureQueriesContext(connection) as sixty:
        first = alice_client.get(REFILLS).content.decode()
    newest_first = list(Refill.objects.order_by("-id").values_list("id", flat=True))

    assert len(one) == len(sixty)
    assert refill_rows(first) == newest_first[:50]
    assert "Page 1 of 2" in first
    assert (
        refill_rows(alice_client.get(REFILLS, {"page": "2"}).content.decode()) == newest_first[50:]
    )


@pytest.mark.django_db
def test_the_orders_list_query_count_stays_constant_with_refills_and_cancels(
    alice_client, alice_with_100, refillable
):
    def add_rows(count: int) -> None:
        for i in range(count):
            done = completed(alice_with_100, service_of(refill=True), link=f"https://x.com/{i}")
            Refill.objects.create(order=done, user=alice_with_100)
            completed(alice_with_100, refillable)
            running = order_row(
                alice_with_100, service_of(cancel=True), status=OrderStatus.IN_PROGRESS
            )
            running.cancel_requests.create(user=alice_with_100)

    add_rows(1)
    with CaptureQueriesContext(connection) as few:
        alice_client.get(LIST)
    add_rows(20)
    with CaptureQueriesContext(connection) as many:
        html = alice_client.get(LIST).content.decode()

    assert len(row_ids(html)) == 50
    assert len(few) == len(many)
    assert "Refill requested" in html and "Cancel requested" in html


@pytest.mark.django_db
def test_the_nav_links_to_the_refills_page(alice_client, alice_with_100):
    html = alice_client.get(REFILLS).content.decode()
    assert '<a href="/refills" aria-current="page">Refills</a>' in html
    assert "No refills yet" in html


# --- the whole flow, over HTTP with the sandbox -------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_refill_goes_to_the_sandbox_and_comes_back_finished(
    carol_client, sandbox_provider, carol_with_1000, sandbox
):
    from orders.polling import poll_orders

    service = (
        Service.objects.filter(
            type="Default", available=True, refill=True, min__lte=1000, max__gte=1000
        )
        .order_by("id")
        .first()
    )
    order = place_order(
        user=carol_with_1000,
        service_id=service.pk,
        fields={"link": "https://x.test/r", "quantity": "1000"},
    )
    assert forward(order.pk) == OrderStatus.IN_PROGRESS
    order.refresh_from_db()
    upstream_order = int(order.upstream_order_id)
    sandbox.set_outcome(upstream_order, "Completed")
    sandbox.advance(3 * 3600)
    poll_orders()
    order.refresh_from_db()
    assert order.status == OrderStatus.COMPLETED
    assert refill_forms(carol_client.get(LIST).content.decode()) == [order.pk]

    response = carol_client.post(
        refill_url(order), {"next": "/orders?status=completed"}, follow=True
    )

    refill = Refill.objects.get()
    assert messages_of(response) == [f"Refill #{refill.pk} requested for order #{order.pk}."]
    assert forward_refill(refill.pk) == RequestStatus.ACCEPTED
    assert forward_refill(refill.pk) == "not pending"  # a second delivery sends nothing
    refill.refresh_from_db()
    # The sandbox recorded it: its own refill id answers refill_status.
    assert sandbox.api("refill_status", refill=refill.upstream_refill_id)["status"] in (
        "Pending",
        "In progress",
    )
    assert "Refill requested · In progress" in carol_client.get(LIST).content.decode()

    sandbox.advance(20 * 60)  # every sandbox refill is finished 16 minutes after the request
    assert poll_refills() == 1

    refill.refresh_from_db()
    assert refill.status in (RequestStatus.COMPLETED, RequestStatus.REJECTED)
    label = "Completed" if refill.status == RequestStatus.COMPLETED else "Rejected"
    html = carol_client.get(REFILLS).content.decode()
    assert refill_rows(html) == [refill.pk]
    assert (
        f'<span class="badge {"completed" if label == "Completed" else "failed"}">{label}' in html
    )
    # Finished: the order can be refilled again.
    assert refill_forms(carol_client.get(LIST).content.decode()) == [order.pk]
