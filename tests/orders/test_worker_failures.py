"""Forwarding with real Celery workers, killed, duplicated and starved of their broker.

Two `celery -A panel worker` processes (harness/workers.py) run against the test database
and the test broker, with short upstream limits (connect 1 s, read 2 s, deadline 3 s), and send
to the sandbox over real HTTP. The sandbox's list of accepted `add`s is the judge of duplicates:
one panel order must never become two upstream orders (docs/design.md, "States").
"""

import json
import os
import re
import socket
import subprocess
import sys
import time
import uuid
from collections import Counter
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from accounts.models import LedgerEntry, LedgerKind
from catalog.models import Service
from harness import workers as w
from harness.waiting import wait_until
from orders.forwarding import sweep
from orders.models import Order, OrderStatus
from orders.placing import place_order
from orders.tasks import forward_order

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

DEADLINE = float(w.FAST_UPSTREAM["UPSTREAM_DEADLINE"])
SETTLE = DEADLINE + 12  # a send leaves SENDING within the deadline; the rest is pick-up margin
KILLS = 20
TASK = "orders.tasks.forward_order"
UNSETTLED = (OrderStatus.PENDING, OrderStatus.SENDING)


# --- fixtures ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def worker_group(django_db_setup, tmp_path_factory):
    group = w.start_for_tests(2, tmp_path_factory.mktemp("workers"))
    yield group
    group.stop()


@pytest.fixture
def workers(worker_group, transactional_db, settings):
    """The module's two workers, alive, with an empty queue; idle again after the test (so
    no task runs while the tables are flushed)."""
    # The test process decides what is stale with the same deadline as the workers.
    for name, value in w.FAST_UPSTREAM.items():
        setattr(settings, name, float(value))
    worker_group.restart_dead()
    worker_group.wait_idle()
    worker_group.purge()
    yield worker_group
    worker_group.restart_dead()
    w.restore_unacked(worker_group.broker_url)  # a task orphaned by a killed worker, if any
    worker_group.wait_idle()


@pytest.fixture
def funded_sandbox(sandbox_provider, sandbox):
    """The synced sandbox, with funds for every order these tests send."""
    sandbox.set_balance("1000000")
    return sandbox_provider


@pytest.fixture
def sandbox_service(funded_sandbox) -> Service:
    """A Default service of the funded sandbox that takes 100 to 1,000."""
    return (
        Service.objects.filter(type="Default", available=True, min__lte=100, max__gte=1000)
        .order_by("id")
        .first()
    )


# --- helpers -------------------------------------------------------------------------------


def place(user, service, tag="o") -> Order:
    link = f"https://wf.test/{tag}/{uuid.uuid4().hex}"
    return place_order(
        user=user, service_id=service.pk, fields={"link": link, "quantity": "1000"}
    )  # enqueued on commit: the test runs in autocommit, so at once


def sent_for(sandbox, order: Order) -> list[dict]:
    """The upstream orders the sandbox accepted for this panel order (matched by its link)."""
    return [sent for sent in sandbox.orders() if sent["fields"].get("link") == order.link]


def settled(order: Order, timeout: float = SETTLE) -> Order:
    """The order once it left PENDING/SENDING (bounded), reloaded."""

    def done():
        order.refresh_from_db()
        return order.status not in UNSETTLED

    wait_until(
        done, timeout=timeout, what=f"order {order.pk} to leave {order.status}", interval=0.1
    )
    return order


def refunds(order: Order) -> list[LedgerEntry]:
    return list(LedgerEntry.objects.filter(order=order, kind=LedgerKind.REFUND))


def received(events: dict[str, list]) -> dict[str, int]:
    return {
        name: sum(1 for task, _, event in found if task == TASK and event == "received")
        for name, found in events.items()
    }


def problems(text: str) -> list[str]:
    """Log lines of an unhandled or logged failure: tracebacks, ERROR and CRITICAL records."""
    return [
        line
        for line in text.splitlines()
        if "Traceback" in line or re.search(r"\b(ERROR|CRITICAL)\b", line)
    ]


# --- duplicates ----------------------------------------------------------------------------


def test_the_same_send_task_five_times_on_two_workers_sends_once(
    workers, sandbox_service, dave_with_100k, sandbox
):
    # The add takes a while, so the other worker gets the duplicates while the first sends.
    sandbox.set_faults(latency_ms=400, actions=["add"])
    marks = workers.marks()
    order = place(dave_with_100k, sandbox_service, "dup")  # delivery 1
    for _ in range(4):
        forward_order.delay(order.pk)  # deliveries 2-5
    workers.wait_idle()

    order.refresh_from_db()
    assert order.status == OrderStatus.IN_PROGRESS
    sent = sent_for(sandbox, order)
    assert len(sent) == 1, sent
    assert str(sent[0]["id"]) == order.upstream_order_id
    assert order.attempts == 1
    per_worker = received(workers.task_events(marks))
    assert sum(per_worker.values()) == 5
    assert all(count >= 1 for count in per_worker.values()), per_worker  # both took part
    assert problems(workers.log(marks)) == []


# --- workers killed mid-send -------------------------------------------------------------


def test_a_worker_killed_after_the_upstream_accepted_never_sends_twice(
    workers, sandbox_service, dave_with_100k, sandbox
):
    """SIGKILL while the add is in flight (the sandbox recorded it and holds the answer back).

    Most rounds kill the pool process: the main process requeues the task (acks_late +
    reject_on_worker_lost) and the redelivered task must find the order SENDING and leave it.
    Every fourth round kills the whole worker (main process and pool): its task stays
    unacknowledged until Redis' visibility timeout, simulated here by restoring it.
    """
    sandbox.set_faults(blackhole_rate=1, blackhole_seconds=8, actions=["add"])
    orders = []
    for round_ in range(KILLS):
        marks = workers.marks()
        order = place(dave_with_100k, sandbox_service, f"kill{round_}")
        wait_until(
            lambda order=order: sent_for(sandbox, order),
            timeout=15,
            what="the add to reach upstream",
        )
        found = workers.worker_that_received(marks)
        assert found, workers.log(marks)
        worker, task_id = found
        if round_ % 4 == 3:
            worker.kill()  # SIGKILL to the main process and its pool at once
            workers.restart_dead()
            w.restore_unacked(workers.broker_url)  # the visibility timeout, passed
        else:
            assert worker.kill_pool_children()

        # The task is delivered again and runs to its end without sending.
        workers.wait_for_task(lambda _, t=task_id: workers.succeeded(t, marks), marks)
        order.refresh_from_db()
        assert order.status == OrderStatus.SENDING, order.flag  # killed mid-send, not after
        assert len(sent_for(sandbox, order)) == 1
        orders.append(order)

    workers.wait_idle()
    result = sweep(now=timezone.now() + timedelta(seconds=DEADLINE + 60))
    assert result == {"to_unknown": KILLS, "enqueued": 0}
    for order in orders:  # one more late delivery of each: still nothing sent
        forward_order.delay(order.pk)
    workers.wait_idle()

    links = Counter(sent["fields"]["link"] for sent in sandbox.orders())
    assert len(links) == KILLS
    assert all(links[order.link] == 1 for order in orders), links
    for order in orders:
        order.refresh_from_db()
        assert order.status in (OrderStatus.UNKNOWN, OrderStatus.IN_PROGRESS), order.status
        assert order.attempts == 1
        assert refunds(order) == []  # the charge is held for staff review


# --- the upstream silent, refused, broken ------------------------------------------------


def test_an_upstream_that_accepts_and_never_answers_ends_unknown_once(
    workers, sandbox_service, dave_with_100k, sandbox
):
    sandbox.set_faults(blackhole_rate=1, blackhole_seconds=30, actions=["add"])
    marks = workers.marks()
    order = settled(place(dave_with_100k, sandbox_service, "silent"))
    assert order.status == OrderStatus.UNKNOWN
    assert "outcome unknown" in order.flag
    assert len(sent_for(sandbox, order)) == 1
    assert refunds(order) == []

    # Nothing sends it again: not the sweeper, not another delivery of the task.
    sandbox.clear_faults()
    assert sweep(now=timezone.now() + timedelta(seconds=DEADLINE + 60))["enqueued"] == 0
    forward_order.delay(order.pk)
    workers.wait_idle()
    order.refresh_from_db()
    assert order.status == OrderStatus.UNKNOWN
    assert len(sent_for(sandbox, order)) == 1
    assert problems(workers.log(marks)) == []


def test_connection_refused_then_back_sends_once(workers, sandbox_service, dave_with_100k, sandbox):
    with sandbox.down():
        order = place(dave_with_100k, sandbox_service, "refused")

        def retried():
            order.refresh_from_db()
            return order.status == OrderStatus.PENDING and order.next_attempt_at is not None

        wait_until(
            retried, timeout=SETTLE, what="the refused send to go back to PENDING", interval=0.1
        )
        assert order.attempts == 1
        assert "not sent" in order.flag
        assert order.next_attempt_at > timezone.now()  # backoff: not due yet
    assert sandbox.orders() == []

    # The upstream is back. Once due, the sweeper enqueues it; a worker sends it, once.
    earlier = timezone.now() - timedelta(minutes=2)
    Order.objects.filter(pk=order.pk).update(updated_at=earlier)
    assert sweep()["enqueued"] == 0  # its backoff is not over
    Order.objects.filter(pk=order.pk).update(next_attempt_at=earlier)
    assert sweep() == {"to_unknown": 0, "enqueued": 1}
    order = settled(order)
    assert order.status == OrderStatus.IN_PROGRESS
    sent = sent_for(sandbox, order)
    assert len(sent) == 1 and str(sent[0]["id"]) == order.upstream_order_id
    assert order.attempts == 2
    workers.wait_idle()
    assert len(sandbox.orders()) == 1


# Each fault on `add` and what the order must become: (faults, status, upstream orders).
FAULTS = {
    "error": ({"error_rate": 1, "error_message": "Link is private"}, OrderStatus.FAILED, 0),
    "funds": ({"funds": True}, OrderStatus.HELD, 0),
    "html": ({"html_rate": 1}, OrderStatus.UNKNOWN, 1),
    "status_500": ({"status_500_rate": 1}, OrderStatus.UNKNOWN, 1),
    "empty": ({"empty_rate": 1}, OrderStatus.UNKNOWN, 1),
    "garbage": ({"garbage_rate": 1}, OrderStatus.UNKNOWN, 1),
    # A broken answer before processing: the panel cannot tell, so it must not resend.
    "html_unprocessed": ({"html_rate": 1, "processed": False}, OrderStatus.UNKNOWN, 0),
    # The connection closed (FIN) with no answer: to the client it is a lost answer.
    "drop": ({"drop_rate": 1}, OrderStatus.UNKNOWN, 0),
    "reset_after": ({"reset_after_rate": 1}, OrderStatus.UNKNOWN, 1),
    "blackhole": ({"blackhole_rate": 1, "blackhole_seconds": 20}, OrderStatus.UNKNOWN, 1),
    "latency_below_deadline": ({"latency_ms": 1000}, OrderStatus.IN_PROGRESS, 1),
    "drip_beyond_deadline": ({"drip_seconds": 12}, OrderStatus.UNKNOWN, 1),
}


@pytest.mark.parametrize("fault", FAULTS)
def test_every_fault_mode_ends_in_its_state(
    fault, workers, sandbox_service, dave_with_100k, sandbox
):
    faults, expected, upstream = FAULTS[fault]
    sandbox.set_faults(**faults, actions=["add"], seed=1)
    marks = workers.marks()
    # Two orders: with seed 1 they draw both forms of `garbage` (truncated JSON, a PHP warning
    # before the JSON) and of `status_500` (a JSON error, plain text).
    orders = [place(dave_with_100k, sandbox_service, fault) for _ in range(2)]
    for order in orders:
        # Every send ends within the deadline: the order leaves SENDING (bounded wait).
        settled(order)
    workers.wait_idle()

    for order in orders:
        order.refresh_from_db()
        assert order.status == expected, (order.status, order.flag, order.error)
        assert len(sent_for(sandbox, order)) == upstream
        assert order.attempts == 1
        paid_back = refunds(order)
        if expected == OrderStatus.FAILED:
            assert [entry.amount for entry in paid_back] == [order.charge]
            assert order.error == "The provider refused this order: Link is private"
        else:
            assert paid_back == []
        if expected == OrderStatus.UNKNOWN:
            assert "outcome unknown" in order.flag, order.flag
        if expected == OrderStatus.HELD:
            assert "out of funds" in order.flag
        if expected == OrderStatus.IN_PROGRESS:
            assert order.upstream_order_id == str(sent_for(sandbox, order)[0]["id"])
    log = workers.log(marks)
    assert problems(log) == [], log[-4000:]
    events = workers.task_events(marks)
    done = [
        tid
        for found in events.values()
        for task, tid, e in found
        if e == "succeeded" and task == "orders.tasks.forward_order"
    ]  # (a failed order's mail to its customer is a task of its own)
    assert len(done) == len(orders)  # each task ran to its end, none raised


# --- the broker away while placing -------------------------------------------------------

PLACE_SCRIPT = """
import json, sys
import django
django.setup()
from accounts.models import User
from orders.placing import place_order
user = User.objects.get(pk=int(sys.argv[1]))
fields = {"link": sys.argv[3], "quantity": "1000"}
order = place_order(user=user, service_id=sys.argv[2], fields=fields)
print(json.dumps({"order": order.pk}))
"""


@pytest.mark.parametrize("outage", ["refused", "hung"])
def test_a_broker_outage_while_placing_loses_nothing(
    outage, workers, sandbox_service, dave_with_100k, sandbox
):
    """The broker down (connection refused) or hung (accepts connections, never answers): the
    placing call returns and the order is committed PENDING; the sweeper enqueues it later."""
    link = f"https://wf.test/broker/{uuid.uuid4().hex}"
    with socket.socket() as broker:
        broker.bind(("127.0.0.1", 0))  # bound only: refused; listening, never accepting: hung
        if outage == "hung":
            broker.listen(0)
        port = broker.getsockname()[1]
        env = {
            **os.environ,
            "DATABASE_URL": w.database_url(connection.settings_dict),
            "CELERY_BROKER_URL": f"redis://127.0.0.1:{port}/10",
            "DJANGO_SETTINGS_MODULE": "panel.settings",
            "PYTHONPATH": str(w.ROOT),
        }
        started = time.monotonic()
        done = subprocess.run(
            [
                sys.executable,
                "-c",
                PLACE_SCRIPT,
                str(dave_with_100k.pk),
                str(sandbox_service.pk),
                link,
            ],
            cwd=w.ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,  # a placement that hangs on the broker fails here
            check=False,
        )
        took = time.monotonic() - started
    assert done.returncode == 0, done.stderr[-4000:]
    order_id = json.loads(done.stdout.strip().splitlines()[-1])["order"]
    assert f"could not enqueue order {order_id}" in done.stderr
    print(f"placement with the broker {outage} returned in {took:.1f}s (with Django start-up)")

    order = Order.objects.get(pk=order_id)
    assert order.status == OrderStatus.PENDING  # committed, charged, waiting
    assert LedgerEntry.objects.filter(order=order, kind=LedgerKind.CHARGE).count() == 1
    time.sleep(0.5)
    workers.wait_idle()
    assert sandbox.orders() == []  # no task ever reached a worker

    # The broker is back (the test's own): the sweeper enqueues it and it is sent once.
    earlier = timezone.now() - timedelta(minutes=2)
    Order.objects.filter(pk=order.pk).update(updated_at=earlier)
    assert sweep() == {"to_unknown": 0, "enqueued": 1}
    order = settled(order)
    assert order.status == OrderStatus.IN_PROGRESS
    assert len(sent_for(sandbox, order)) == 1
