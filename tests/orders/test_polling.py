"""The status poller against the sandbox over real HTTP, calling the one function directly."""

import json
import os
import subprocess
import sys
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from accounts.models import LedgerEntry, LedgerKind
from catalog.models import Provider
from catalog.upstream import UpstreamClient
from orders import polling
from orders.forwarding import forward
from orders.models import Order, OrderStatus
from orders.placing import place_order
from orders.polling import poll_orders
from tests.concurrency import run_together

from .helpers import default_service

pytestmark = pytest.mark.django_db(transaction=True)

LATER = timedelta(minutes=1)  # past RECHECK_AFTER: every active order is due again


def sent(user, service, count=1, **fields) -> list[Order]:
    """Orders placed for real (charge row and all) and forwarded to the sandbox."""
    orders = []
    for _ in range(count):
        order = place_order(
            user=user,
            service_id=service.pk,
            fields={
                "link": f"https://x.test/{Order.objects.count()}",
                "quantity": "1000",
                **fields,
            },
        )
        assert forward(order.pk) == OrderStatus.IN_PROGRESS
        order.refresh_from_db()
        orders.append(order)
    return orders


def refunds(order) -> list[Decimal]:
    return list(
        LedgerEntry.objects.filter(order=order, kind=LedgerKind.REFUND).values_list(
            "amount", flat=True
        )
    )


def refund_rows() -> int:
    return LedgerEntry.objects.filter(kind=LedgerKind.REFUND).count()


def refunded_total() -> Decimal:
    total = LedgerEntry.objects.filter(kind=LedgerKind.REFUND).aggregate(s=Sum("amount"))["s"]
    return total or Decimal(0)


# --- final statuses -----------------------------------------------------------------------------


def test_completed_settles_with_no_refund(sandbox_provider, dave_with_100k, sandbox):
    [order] = sent(dave_with_100k, default_service())
    sandbox.set_outcome(int(order.upstream_order_id), "Completed")
    sandbox.advance(3 * 3600)

    result = poll_orders()

    order.refresh_from_db()
    assert order.status == OrderStatus.COMPLETED
    assert (order.refunded, refunds(order)) == (0, [])
    assert (order.upstream_status, order.remains, order.remains_raw) == ("Completed", 0, "0")
    assert order.cost == Decimal(sandbox.orders()[0]["charge"])  # the upstream's charge: our cost
    assert order.last_checked_at is not None
    assert result.settled == {OrderStatus.COMPLETED: 1}
    assert (result.checked, result.calls, result.errors) == (1, 1, 0)


def test_partial_refunds_the_undelivered_part_once(sandbox_provider, dave_with_100k, sandbox):
    service = default_service()
    [order] = sent(dave_with_100k, service)
    sandbox.set_outcome(int(order.upstream_order_id), "Partial")
    sandbox.advance(3 * 3600)
    answer = sandbox.order(int(order.upstream_order_id))["status_answer"]
    remains = int(answer["remains"])
    assert answer["status"] == "Partial" and 0 < remains < 1000

    poll_orders()
    later = poll_orders(now=timezone.now() + LATER)

    order.refresh_from_db()
    expected = service.rate * remains / 1000
    assert order.status == OrderStatus.PARTIAL
    assert refunds(order) == [expected]
    assert order.refunded == expected
    assert order.remains == remains
    assert later.checked == 0  # no longer active: not polled again
    dave_with_100k.refresh_from_db()
    assert dave_with_100k.balance == Decimal(100_000) - order.charge + expected


def test_drip_feed_partial_refund_counts_the_whole_feed(sandbox_provider, dave_with_100k, sandbox):
    service = default_service(dripfeed=True)
    natural, overridden = sent(dave_with_100k, service, 2, quantity="100", runs="3", interval="10")
    sandbox.set_outcome(int(natural.upstream_order_id), "Partial")
    sandbox.advance(24 * 3600)
    answer = sandbox.order(int(natural.upstream_order_id))["status_answer"]
    assert answer["status"] == "Partial"
    # Remains counts the whole feed (100 × 3): 250 left is more than one run, not out of range.
    sandbox.override(int(overridden.upstream_order_id), status="Partial", remains="250")

    result = poll_orders()

    natural.refresh_from_db()
    overridden.refresh_from_db()
    assert natural.charge == service.rate * 300 / 1000
    assert refunds(natural) == [service.rate * int(answer["remains"]) / 1000]
    assert refunds(overridden) == [service.rate * 250 / 1000]
    assert overridden.flag == ""
    assert natural.upstream_detail == {"runs": answer["runs"], "orders": answer["orders"]}
    assert result.settled == {OrderStatus.PARTIAL: 2}


@pytest.mark.parametrize(
    "word",
    ["Canceled", "Cancelled", "Refunded", "Fail", "Failed", "Error", "canceled", " cancelled "],
)
def test_canceled_and_its_spellings_refund_everything_once(
    sandbox_provider, dave_with_100k, sandbox, word
):
    [order] = sent(dave_with_100k, default_service())
    sandbox.override(int(order.upstream_order_id), status=word, remains="0")

    first = poll_orders()
    second = poll_orders(now=timezone.now() + LATER)

    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELED
    assert refunds(order) == [order.charge]
    assert order.refunded == order.charge
    assert (first.settled, second.settled) == ({OrderStatus.CANCELED: 1}, {})


def test_lower_case_and_odd_spacing_are_understood(sandbox_provider, dave_with_100k, sandbox):
    done, error, running = sent(dave_with_100k, default_service(), 3)
    sandbox.override(int(done.upstream_order_id), status="  COMPLETED ")
    sandbox.override(int(error.upstream_order_id), status="error")
    sandbox.override(int(running.upstream_order_id), status="in   progress", remains="10")

    result = poll_orders()

    statuses = dict(Order.objects.values_list("pk", "status"))
    assert statuses == {
        done.pk: OrderStatus.COMPLETED,
        error.pk: OrderStatus.CANCELED,
        running.pk: OrderStatus.IN_PROGRESS,
    }
    assert result.flagged == 0


# --- progress ---------------------------------------------------------------------------------


def test_progress_is_stored_for_orders_still_running(sandbox_provider, dave_with_100k, sandbox):
    fixed, natural = sent(dave_with_100k, default_service(), 2)
    sandbox.override(
        int(fixed.upstream_order_id), status="In progress", start_count=1234, remains="567"
    )
    sandbox.advance(120)  # past the sandbox's Pending minute

    result = poll_orders()

    fixed.refresh_from_db()
    natural.refresh_from_db()
    assert (fixed.status, fixed.upstream_status) == (OrderStatus.IN_PROGRESS, "In progress")
    assert (fixed.start_count, fixed.remains, fixed.remains_raw) == (1234, 567, "567")
    assert natural.status == OrderStatus.IN_PROGRESS
    assert natural.upstream_status in ("In progress", "Processing")
    assert natural.start_count > 0 and 0 <= natural.remains <= 1000
    assert natural.remains_raw == str(natural.remains)
    assert natural.cost == Decimal(sandbox.orders()[1]["charge"])
    assert (natural.flag, natural.refunded, refunds(natural)) == ("", 0, [])
    assert (result.checked, result.settled) == (2, {})


def test_a_garbled_number_keeps_the_last_good_one_and_shows_the_raw_text(
    sandbox_provider, dave_with_100k, sandbox
):
    [order] = sent(dave_with_100k, default_service())
    upstream_id = int(order.upstream_order_id)
    sandbox.override(upstream_id, status="In progress", start_count="40", remains="700")
    poll_orders()
    sandbox.override(upstream_id, start_count="n/a", remains="unknown", charge="abc")

    poll_orders(now=timezone.now() + LATER)

    order.refresh_from_db()
    assert (order.start_count, order.remains, order.remains_raw) == (40, 700, "unknown")
    assert order.cost is not None
    assert order.status == OrderStatus.IN_PROGRESS and order.flag == ""


def test_drip_feed_runs_and_child_orders_are_stored(sandbox_provider, dave_with_100k, sandbox):
    [order] = sent(
        dave_with_100k, default_service(dripfeed=True), quantity="100", runs="3", interval="10"
    )
    # The sandbox cancels one feed in twenty early, at random: this one runs its course.
    sandbox.set_outcome(int(order.upstream_order_id), "Completed")
    sandbox.advance(15 * 60)  # two of the three runs have started
    answer = sandbox.order(int(order.upstream_order_id))["status_answer"]
    assert answer["runs"] == "2" and len(answer["orders"]) == 2

    poll_orders()

    order.refresh_from_db()
    assert order.status == OrderStatus.IN_PROGRESS
    assert order.upstream_detail == {"runs": "2", "orders": answer["orders"]}
    assert order.remains == int(answer["remains"]) and order.remains > 100  # the whole feed


# --- anomalies --------------------------------------------------------------------------------


def test_anomalies_are_flagged_and_move_no_money(sandbox_provider, dave_with_100k, sandbox):
    error, unknown, garbled, low, high = sent(dave_with_100k, default_service(), 5)
    sandbox.override(int(error.upstream_order_id), error="Incorrect order ID")
    sandbox.override(int(unknown.upstream_order_id), status="Teleported")
    sandbox.override(int(garbled.upstream_order_id), status="Partial", remains="lots")
    sandbox.override(int(low.upstream_order_id), status="Partial", remains="-5")
    sandbox.override(int(high.upstream_order_id), status="Partial", remains="1500")

    result = poll_orders()

    for order in (error, unknown, garbled, low, high):
        order.refresh_from_db()
    assert error.flag == "upstream status error: Incorrect order ID"
    assert unknown.flag == "unknown upstream status 'Teleported': not settled"
    assert garbled.flag == "Partial with remains 'lots': not settled"
    assert [o.status for o in (error, unknown, garbled)] == [OrderStatus.IN_PROGRESS] * 3
    assert [refunds(o) for o in (error, unknown, garbled)] == [[], [], []]
    assert error.last_checked_at is not None  # checked: it goes to the back of the queue
    # Out of range: settled on the clamped value, and flagged with the raw one.
    assert (low.status, low.refunded, refunds(low)) == (OrderStatus.PARTIAL, 0, [])
    assert low.flag == "remains out of range: -5"
    assert (high.status, refunds(high)) == (OrderStatus.PARTIAL, [high.charge])
    assert high.flag == "remains out of range: 1500"
    assert (result.flagged, result.settled) == (5, {OrderStatus.PARTIAL: 2})


def test_an_id_missing_from_the_answer_is_flagged(
    sandbox_provider, dave_with_100k, sandbox, monkeypatch
):
    kept, dropped = sent(dave_with_100k, default_service(), 2)
    real = UpstreamClient.statuses

    def statuses_without_one(client, ids):
        answer = real(client, ids)
        answer.pop(dropped.upstream_order_id)
        return answer

    monkeypatch.setattr(UpstreamClient, "statuses", statuses_without_one)
    poll_orders()

    kept.refresh_from_db()
    dropped.refresh_from_db()
    assert dropped.flag == "missing from the upstream's status answer"
    assert dropped.status == OrderStatus.IN_PROGRESS and dropped.upstream_status == ""
    assert kept.flag == "" and kept.upstream_status == "Pending"


def test_an_id_that_cannot_be_sent_is_flagged_without_a_call(
    sandbox_provider, dave_with_100k, sandbox
):
    [order] = sent(dave_with_100k, default_service())
    Order.objects.filter(pk=order.pk).update(upstream_order_id="17,18")

    result = poll_orders()

    order.refresh_from_db()
    assert order.flag == "upstream status error: upstream order id cannot be sent in a status call"
    assert result.calls == 0


def test_an_upstream_fault_changes_nothing(sandbox_provider, dave_with_100k, sandbox):
    orders = sent(dave_with_100k, default_service(), 5)
    for order in orders:
        sandbox.override(int(order.upstream_order_id), status="Canceled")
    sandbox.set_faults(html_rate=1, actions=["status"])

    result = poll_orders(batch=1)

    # Three failed calls in a row: the provider is left alone until the next run.
    assert (result.calls, result.errors, result.checked) == (3, 3, 0)
    assert refund_rows() == 0
    assert set(
        Order.objects.values_list("status", "upstream_status", "flag", "last_checked_at")
    ) == {(OrderStatus.IN_PROGRESS, "", "", None)}

    sandbox.clear_faults()
    assert poll_orders().settled == {OrderStatus.CANCELED: 5}


# --- volume, fairness, concurrency --------------------------------------------------------------


def test_a_mixed_backlog_of_250_orders_settles_exactly_and_flags_anomalies(
    sandbox_provider, dave_with_100k, sandbox
):
    """Ten kinds of answer, 25 orders each, quantities all different; polled twice more."""
    service = default_service()
    orders = [
        sent(dave_with_100k, service, quantity=str(1000 + i))[0] for i in range(250)
    ]  # charges differ, so a refund on the wrong order would show in the sums
    expected: dict[int, Decimal] = {}
    for i, order in enumerate(orders):
        upstream_id, quantity = int(order.upstream_order_id), order.quantity
        kind = i % 10
        answer = {
            0: {"status": "Completed", "remains": "0"},
            1: {"status": "Partial", "remains": str(i)},
            2: {"status": "Partial", "remains": "-5"},
            3: {"status": "Partial", "remains": quantity + 50},  # a JSON number
            4: {"status": "Partial", "remains": "12abc"},
            5: {"error": "Incorrect order ID"},
            6: {"status": "Canceled"},
            7: {"status": "In progress", "start_count": "99", "remains": str(i)},
            8: {"status": "Stuck"},
            9: {"status": ["refunded", "cancelled", "FAIL", "error", "Failed"][i // 10 % 5]},
        }[kind]
        sandbox.override(upstream_id, **answer)
        expected[order.pk] = {
            1: service.rate * i / 1000,
            3: order.charge,
            6: order.charge,
            9: order.charge,
        }.get(kind, Decimal(0))

    result = poll_orders()

    assert result.calls == 3  # 100 + 100 + 50 ids
    assert result.checked == 250
    assert result.settled == {
        OrderStatus.COMPLETED: 25,
        OrderStatus.PARTIAL: 75,
        OrderStatus.CANCELED: 50,
    }
    assert result.flagged == 25 * 5  # out of range low and high, non-numeric, error, unknown
    assert refunded_total() == sum(expected.values())
    refunded = dict(Order.objects.values_list("pk", "refunded"))
    assert refunded == expected
    rows = refund_rows()
    assert rows == sum(1 for amount in expected.values() if amount)
    flags = Order.objects.exclude(flag="").values_list("flag", flat=True)
    assert sorted(set(flags)) == [
        "Partial with remains '12abc': not settled",
        "remains out of range: -5",
        *sorted({f"remains out of range: {o.quantity + 50}" for o in orders[3::10]}),
        "unknown upstream status 'Stuck': not settled",
        "upstream status error: Incorrect order ID",
    ]
    in_progress = Order.objects.filter(status=OrderStatus.IN_PROGRESS)
    assert in_progress.count() == 100  # non-numeric, error, running, unknown
    assert set(in_progress.filter(remains_raw="99").values_list("start_count", flat=True)) <= {99}

    # Again, twice in sequence and twice at once: the unsettled are asked again, nothing moves.
    for minutes in (1, 2):
        again = poll_orders(now=timezone.now() + timedelta(minutes=minutes))
        assert (again.checked, again.settled) == (100, {})
    later = timezone.now() + timedelta(minutes=3)
    together = run_together(2, lambda i: poll_orders(now=later))
    assert all(isinstance(r, polling.PollResult) and r.settled == {} for r in together), together
    assert (refund_rows(), refunded_total()) == (rows, sum(expected.values()))
    assert dict(Order.objects.values_list("pk", "refunded")) == expected


def test_two_pollers_at_once_refund_each_order_once(sandbox_provider, dave_with_100k, sandbox):
    service = default_service()
    orders = sent(dave_with_100k, service, 120)
    expected = Decimal(0)
    for i, order in enumerate(orders):
        if i % 3 == 0:
            sandbox.override(int(order.upstream_order_id), status="Partial", remains=str(i))
            expected += service.rate * i / 1000
        elif i % 3 == 1:
            sandbox.override(int(order.upstream_order_id), status="Cancelled")
            expected += order.charge
        else:
            sandbox.override(int(order.upstream_order_id), status="In progress", remains="5")

    first = run_together(2, lambda i: poll_orders(batch=50))
    assert all(isinstance(r, polling.PollResult) for r in first), first
    assert sum(sum(r.settled.values()) for r in first) == 80  # each order settled by one poller
    assert refund_rows() == 79  # the Partial with remains 0 refunds nothing
    assert refunded_total() == expected

    # Twice more at once, later, and twice in sequence: nothing else is refunded.
    later = timezone.now() + LATER
    second = run_together(2, lambda i: poll_orders(batch=50, now=later))
    assert all(isinstance(r, polling.PollResult) for r in second), second
    assert all(r.settled == {} for r in second)
    poll_orders(now=later + LATER)
    poll_orders(now=later + 2 * LATER)
    assert (refund_rows(), refunded_total()) == (79, expected)
    for order in Order.objects.filter(status=OrderStatus.IN_PROGRESS):
        assert (order.upstream_status, order.remains) == ("In progress", 5)


def test_least_recently_checked_first_with_a_limit(sandbox_provider, dave_with_100k, sandbox):
    orders = sent(dave_with_100k, default_service(), 6)
    now = timezone.now()
    checked = [None, None, now - timedelta(minutes=10), now - timedelta(minutes=5),
               now - timedelta(hours=1), now - timedelta(seconds=10)]  # fmt: skip
    for order, at in zip(orders, checked, strict=True):
        Order.objects.filter(pk=order.pk).update(last_checked_at=at)

    result = poll_orders(limit=4, batch=2, now=now)

    after = dict(Order.objects.values_list("pk", "last_checked_at"))
    polled = [i for i, order in enumerate(orders) if after[order.pk] == now]
    assert polled == [0, 1, 2, 4]  # never checked, then the longest unchecked
    assert (result.checked, result.calls) == (4, 2)
    assert after[orders[3].pk] == checked[3] and after[orders[5].pk] == checked[5]

    then = now + LATER
    poll_orders(limit=4, now=then)
    after = dict(Order.objects.values_list("pk", "last_checked_at"))
    assert [i for i, order in enumerate(orders) if after[order.pk] == then] == [0, 1, 3, 5]


def test_orders_checked_moments_ago_are_not_due(sandbox_provider, dave_with_100k, sandbox):
    sent(dave_with_100k, default_service(), 2)
    now = timezone.now()
    assert poll_orders(now=now).checked == 2
    assert poll_orders(now=now + timedelta(seconds=5)).calls == 0


def test_other_providers_and_inactive_orders_are_left_alone(
    sandbox_provider, dave_with_100k, sandbox
):
    active, pending = sent(dave_with_100k, default_service(), 2)
    Order.objects.filter(pk=pending.pk).update(status=OrderStatus.UNKNOWN)
    other = Provider.objects.create(name="Other", api_url="http://127.0.0.1:9/api/v2", api_key="k")

    assert poll_orders(provider_id=other.pk).calls == 0
    assert poll_orders(provider_id=sandbox_provider.pk).checked == 1
    pending.refresh_from_db()
    assert pending.last_checked_at is None


def test_it_refuses_to_run_inside_a_transaction(sandbox_provider):
    with transaction.atomic(), pytest.raises(transaction.TransactionManagementError):
        poll_orders()


def test_the_task_polls_and_beat_runs_it_every_minute(sandbox_provider, dave_with_100k, sandbox):
    from orders.tasks import poll_orders as task
    from panel.celery import app

    [order] = sent(dave_with_100k, default_service())
    task.apply()
    order.refresh_from_db()
    assert order.last_checked_at is not None
    entry = app.conf.beat_schedule["poll-orders"]
    assert (entry["task"], entry["schedule"]) == ("orders.tasks.poll_orders", 60.0)


# --- the embedded default -----------------------------------------------------------------------

SQLITE_SCRIPT = r"""
import json, os, urllib.request
from datetime import timedelta
from decimal import Decimal
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone
call_command("migrate", verbosity=0)
from accounts import ledger
from accounts.models import LedgerEntry, User
from catalog.models import Provider, Service
from catalog.sync import sync_provider
from orders.forwarding import forward
from orders.models import Order
from orders.placing import place_order
from orders.polling import poll_orders

url = os.environ["SANDBOX_URL"]

def override(order, **fields):
    request = urllib.request.Request(
        f"{url}/control/orders/{order.upstream_order_id}", data=json.dumps(fields).encode(),
        method="POST", headers={"Content-Type": "application/json"},
    )
    urllib.request.urlopen(request).read()

provider = Provider.objects.create(name="Sandbox", api_url=url + "/api/v2",
                                   api_key=os.environ["SANDBOX_KEY"])
sync_provider(provider)
service = Service.objects.filter(type="Default", available=True, min__lte=100, max__gte=1000,
                                 step__isnull=True).order_by("id").first()
user = User.objects.create_user("carol")
with transaction.atomic():
    ledger.credit(user_id=user.pk, amount=Decimal(100), kind="adjustment", memo="t")
orders = []
for i in range(4):
    order = place_order(user=user, service_id=service.pk,
                        fields={"link": f"https://x.test/{i}", "quantity": "1000"})
    forward(order.pk)
    order.refresh_from_db()
    orders.append(order)
override(orders[0], status="Completed", remains="0")
override(orders[1], status="Partial", remains="250")
override(orders[2], status="Cancelled")
override(orders[3], status="In progress", start_count=12, remains="900")
first = poll_orders()
second = poll_orders(now=timezone.now() + timedelta(minutes=1))
user.refresh_from_db()
out = {
    "orders": [list(Order.objects.filter(pk=o.pk).values_list(
        "status", "refunded", "start_count", "remains", "upstream_detail", "last_checked_at")[0])
        for o in orders],
    "charge": str(orders[0].charge), "rate": str(service.rate),
    "settled": [dict(first.settled), dict(second.settled)],
    "balance": str(user.balance),
    "ledger": str(sum(e.amount for e in LedgerEntry.objects.filter(user=user))),
}
print("RESULT" + json.dumps(out, default=str))
"""


def test_the_poller_runs_on_the_embedded_sqlite_database(sandbox, tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "CELERY_BROKER_URL"}}
    env.update(
        PANEL_VAR_DIR=str(tmp_path),
        DJANGO_SETTINGS_MODULE="panel.settings",
        SANDBOX_URL=sandbox.url,
        SANDBOX_KEY=sandbox.key,
    )
    done = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()\n" + SQLITE_SCRIPT],
        cwd=Path(__file__).resolve().parents[2],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout.split("RESULT", 1)[1])
    charge, rate = Decimal(out["charge"]), Decimal(out["rate"])
    statuses = [row[0] for row in out["orders"]]
    assert statuses == ["completed", "partial", "canceled", "in_progress"]
    assert [Decimal(str(row[1])) for row in out["orders"]] == [0, rate * 250 / 1000, charge, 0]
    assert out["orders"][3][2:5] == [12, 900, {}]
    assert out["orders"][3][5] is not None
    assert out["settled"] == [{"completed": 1, "partial": 1, "canceled": 1}, {}]
    assert Decimal(out["balance"]) == Decimal(out["ledger"])
