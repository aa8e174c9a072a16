"""Soak: 1,000 orders from 50 customers through 2 real workers, with 10% upstream faults.

The orders are placed from a few threads at once (`place_order`, as the web would), while two
`celery -A panel worker` processes forward them to the sandbox, whose `add` fails 10% of the
time: a definitive error (4%), a reset after processing (3%) or an HTML page after processing
(3%). Within 60 s of the last placement every order must be in a defined state, the money must
add up, and no panel order may have become two upstream orders.
"""

import threading
import time
import uuid
from collections import Counter
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.db.models import Count
from django.utils import timezone

from accounts import ledger
from accounts.models import LedgerEntry, LedgerKind, User
from catalog.models import Provider, Service
from catalog.sync import sync_provider
from harness import workers as w
from harness.customers import unbalanced_users
from orders.forwarding import sweep
from orders.models import Order, OrderStatus
from orders.placing import place_order

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

ORDERS = 1000
CUSTOMERS = 50
THREADS = 4
FAULTS = {"error_rate": 0.04, "reset_after_rate": 0.03, "html_rate": 0.03}
SETTLE_WITHIN = 60.0  # seconds after the load ended
DEADLINE = float(w.FAST_UPSTREAM["UPSTREAM_DEADLINE"])
UNSETTLED = (OrderStatus.PENDING, OrderStatus.SENDING)


@pytest.fixture(scope="module")
def worker_group(django_db_setup, tmp_path_factory):
    group = w.start_for_tests(2, tmp_path_factory.mktemp("soak-workers"))
    yield group
    group.stop()


@pytest.fixture
def workers(worker_group, transactional_db, settings):
    for name, value in w.FAST_UPSTREAM.items():
        setattr(settings, name, float(value))
    worker_group.purge()
    yield worker_group
    worker_group.wait_idle(timeout=120)


def unsettled() -> int:
    return Order.objects.filter(status__in=UNSETTLED).count()


def test_a_thousand_orders_with_ten_percent_faults_settle_exactly_once(workers, sandbox):
    sandbox.set_balance("100000000")
    provider = Provider.objects.create(name="Sandbox", api_url=sandbox.api_url, api_key=sandbox.key)
    sync_provider(provider)
    service = (
        Service.objects.filter(type="Default", available=True, min__lte=100, max__gte=1000)
        .order_by("rate", "id")
        .first()
    )
    customers = []
    for n in range(CUSTOMERS):
        user = User.objects.create_user(f"soak{n}")
        with transaction.atomic():
            ledger.credit(
                user_id=user.pk, amount=Decimal(10_000), kind=LedgerKind.ADJUSTMENT, memo="soak"
            )
        customers.append(user)
    sandbox.set_faults(**FAULTS, actions=["add"], seed=7)

    # The load: THREADS threads place ORDERS orders, each with a link of its own.
    run = uuid.uuid4().hex[:8]
    failures: list[BaseException] = []

    def place_share(thread: int) -> None:
        try:
            for n in range(thread, ORDERS, THREADS):
                place_order(
                    user=customers[n % CUSTOMERS],
                    service_id=service.pk,
                    fields={"link": f"https://soak.test/{run}/{n}", "quantity": "1000"},
                )
        except BaseException as exc:  # reported by the test below
            failures.append(exc)
        finally:
            connection.close()

    started = time.monotonic()
    threads = [threading.Thread(target=place_share, args=(t,)) for t in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    load_ended = time.monotonic()
    assert not any(thread.is_alive() for thread in threads)
    assert failures == []
    assert Order.objects.count() == ORDERS

    # Settling: bounded polling; once the queue has drained (or half the time is gone), the
    # sweeper runs once, past the deadline, for anything a lost task left behind.
    swept = None
    while time.monotonic() - load_ended < SETTLE_WITHIN:
        waiting, unacked = w.backlog(workers.broker_url)
        if swept is None and (waiting, unacked) == (0, 0):
            # Nothing in flight: any order still SENDING is stale, as the beat would see it
            # DEADLINE + 30 s later.
            swept = sweep(now=timezone.now() + timedelta(seconds=DEADLINE + 31))
        elif swept is None and time.monotonic() - load_ended > SETTLE_WITHIN / 2:
            swept = sweep()  # still busy: as the beat would, now
        if swept is not None and (waiting, unacked) == (0, 0) and unsettled() == 0:
            break
        time.sleep(0.5)
    settled_after = time.monotonic() - load_ended
    assert unsettled() == 0, Counter(Order.objects.values_list("status", flat=True))

    # Every order in a defined state, each with what that state means.
    by_status = Counter(Order.objects.values_list("status", flat=True))
    assert set(by_status) <= {OrderStatus.IN_PROGRESS, OrderStatus.FAILED, OrderStatus.UNKNOWN}
    sent = sandbox.orders()
    per_link = Counter(item["fields"]["link"] for item in sent)
    assert max(per_link.values()) == 1, [link for link, n in per_link.items() if n > 1]
    upstream_id = {item["fields"]["link"]: str(item["id"]) for item in sent}
    refunded = dict(
        LedgerEntry.objects.filter(kind=LedgerKind.REFUND).values_list("order_id", "amount")
    )
    for order in Order.objects.all():
        if order.status == OrderStatus.IN_PROGRESS:
            assert upstream_id[order.link] == order.upstream_order_id
            assert order.pk not in refunded
        elif order.status == OrderStatus.FAILED:
            assert order.link not in upstream_id  # refused: nothing was created upstream
            assert refunded[order.pk] == order.charge
        else:  # UNKNOWN: reset or HTML after processing: created upstream, charge held
            assert order.link in upstream_id
            assert order.pk not in refunded
        assert order.attempts == 1
    assert len(sent) == by_status[OrderStatus.IN_PROGRESS] + by_status[OrderStatus.UNKNOWN]

    # The money: no negative balance, balance == sum(ledger) for every customer.
    assert not User.objects.filter(balance__lt=0).exists()
    assert unbalanced_users() == []
    charges = LedgerEntry.objects.filter(kind=LedgerKind.CHARGE).aggregate(n=Count("id"))["n"]
    assert charges == ORDERS

    faulty = by_status[OrderStatus.FAILED] + by_status[OrderStatus.UNKNOWN]
    print(
        f"\nsoak: {ORDERS} orders placed in {load_ended - started:.1f}s, settled "
        f"{settled_after:.1f}s after the load; {dict(by_status)}; faults {faulty / ORDERS:.1%};"
        f" sweep {swept}"
    )
