"""Average time per 1000 of each service, from the panel's own recent completed orders: a
known set of orders gives a known figure; too few gives none ("not enough data"); the pages
show the stored figure, never computing it."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from catalog.averages import average_text, update_average_times
from catalog.models import Service
from catalog.tasks import update_average_times_task
from harness.catalog import make_service, make_upstream
from harness.customers import make_user
from orders.models import Order, OrderStatus

pytestmark = pytest.mark.django_db

NOW = timezone.now()


def done(service, user, *, quantity, minutes, status=OrderStatus.COMPLETED, ago_days=1, runs=None):
    """An order of `quantity` placed `ago_days` ago that took `minutes` to finish."""
    order = Order.objects.create(
        user=user, service=service, link="https://x.test", quantity=quantity, runs=runs,
        rate=1, charge=1, status=status,
    )  # fmt: skip
    placed = NOW - timedelta(days=ago_days)
    Order.objects.filter(pk=order.pk).update(
        created_at=placed, updated_at=placed + timedelta(minutes=minutes)
    )
    return order


def average(service) -> int | None:
    return Service.objects.get(pk=service.pk).average_seconds


def test_the_average_is_total_time_over_total_quantity_of_the_latest_ten(service):
    user = make_user("avg", password=None)
    # Old orders, pushed out by the ten newer ones: 10,000 minutes each would show.
    for _ in range(3):
        done(service, user, quantity=1000, minutes=10_000, ago_days=5)
    # The latest ten: 5 × (1,000 in 60 min) + 5 × (500 in 40 min) = 500 min for 7,500.
    for _ in range(5):
        done(service, user, quantity=1000, minutes=60)
        done(service, user, quantity=500, minutes=40)
    # Not counted: partial, canceled, running, drip-feed, too small, too old.
    done(service, user, quantity=1000, minutes=9, status=OrderStatus.PARTIAL)
    done(service, user, quantity=1000, minutes=9, status=OrderStatus.CANCELED)
    done(service, user, quantity=1000, minutes=9, status=OrderStatus.IN_PROGRESS)
    done(service, user, quantity=1000, minutes=9, runs=3)
    done(service, user, quantity=50, minutes=90)

    assert update_average_times(now=NOW) == 1

    assert average(service) == 4000  # 500 min × 60 / 7,500 × 1000 = 4,000 s per 1000
    assert average_text(4000) == "1 hour 7 minutes"
    assert update_average_times(now=NOW) == 0  # nothing changed, nothing written


def test_too_few_orders_give_no_figure_and_a_figure_goes_when_its_orders_do(provider, service):
    other = make_service(make_upstream(provider, rate="2", name="Likes"))
    user = make_user("avg", password=None)
    done(other, user, quantity=1000, minutes=30)
    done(other, user, quantity=1000, minutes=30)
    for _ in range(3):
        done(service, user, quantity=2000, minutes=30)

    update_average_times_task()

    assert average(other) is None  # two orders: not enough data
    assert average(service) == 900
    Order.objects.filter(service=service).update(created_at=NOW - timedelta(days=100))
    update_average_times(now=NOW)
    assert average(service) is None  # no recent order any more


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(None, ""), (20, "under a minute"), (90, "2 minutes"), (3600, "1 hour"),
     (5 * 3600 + 60, "5 hours 1 minute"), (86400, "1 day"), (2 * 86400 + 7200, "2 days 2 hours")],
)  # fmt: skip
def test_the_figure_in_words(seconds, text):
    assert average_text(seconds) == text


def test_the_services_page_and_the_order_form_show_the_stored_figure(client, alice_client, service):
    Service.objects.filter(pk=service.pk).update(average_seconds=5400)
    page = client.get("/services", {"q": str(service.pk)}).content.decode()
    assert (
        '<td class="average"><span class="label">Average time </span>1 hour 30 minutes</td>' in page
    )

    with CaptureQueriesContext(connection) as queries:
        form = alice_client.get("/order/new", {"service": service.pk}).content.decode()
    assert "1 hour 30 minutes" in form
    assert not any("orders_order" in q["sql"] for q in queries.captured_queries)

    Service.objects.filter(pk=service.pk).update(average_seconds=None)
    form = alice_client.get("/order/new", {"service": service.pk}).content.decode()
    assert "Average time per 1000:</span> not enough data yet" in form
    page = client.get("/services", {"q": "followers hq"}).content.decode()
    assert "Not enough data</td>" in page


def test_beat_runs_the_average_job():
    from panel.celery import app

    entry = app.conf.beat_schedule["average-times"]
    assert entry["task"] == update_average_times_task.name
