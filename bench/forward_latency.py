"""Forwarding latency: from an order's commit to the upstream `add` recorded by the sandbox.

    .venv/bin/python bench/forward_latency.py [--orders 300] [--rate 20] [--workers 1]

Starts the sandbox and real `celery -A panel worker` processes (prefork, concurrency 1 each;
harness/workers.py) on the benchmark database (`panel_bench`, bench/_setup.py) and a Redis
database of its own (BENCH_BROKER_URL, default redis://127.0.0.1:6379/9), then places orders
through `orders.placing.place_order`, paced at --rate per second, and measures for each one
the time from its commit (the on-commit hook that enqueues it) to the `created` wall-clock
time the sandbox recorded for its `add` (GET /control/orders). Prints p50 / p90 / p99 / max.
Goal: p50 under 200 ms.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import datetime
from decimal import Decimal
from pathlib import Path

from _setup import ROOT, setup_django

BROKER = os.environ.get("BENCH_BROKER_URL", "redis://127.0.0.1:6379/9")
PROVIDER = "forward-latency-bench"
CUSTOMER = "forward-latency-bench"


def prepare(sandbox, run: str):
    """A provider synced from this sandbox, a cheap service, a funded customer.

    The provider is new for every run: a new sandbox numbers its orders from 10001 again, and
    the panel keeps upstream order ids unique per provider."""
    from django.db import transaction

    from accounts import ledger
    from accounts.models import LedgerKind, User
    from catalog.models import Provider, Service
    from catalog.sync import sync_provider

    provider = Provider.objects.create(
        name=f"{PROVIDER} {run}", api_url=sandbox.api_url, api_key=sandbox.key
    )
    sync_provider(provider)
    service = (
        Service.objects.filter(
            type="Default",
            available=True,
            enabled=True,
            min__lte=100,
            max__gte=1000,
            service_offers__upstream_service__provider=provider,
        )
        .order_by("rate", "id")
        .first()
    )
    user, _ = User.objects.get_or_create(username=CUSTOMER)
    if user.balance < 10_000:
        with transaction.atomic():
            ledger.credit(
                user_id=user.pk, amount=Decimal(1_000_000), kind=LedgerKind.ADJUSTMENT, memo="bench"
            )
        user.refresh_from_db()
    return service, user


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=300)
    parser.add_argument("--rate", type=float, default=20.0, help="placements per second")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--warmup", type=int, default=10)
    args = parser.parse_args()

    os.environ["CELERY_BROKER_URL"] = BROKER
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    setup_django()
    sys.path.insert(0, str(ROOT))

    from django.db import connection
    from django.db.models import Count

    import orders.placing as placing
    from harness.workers import WorkerGroup
    from orders.models import Order
    from sandbox.process import SandboxProcess

    logs = Path(tempfile.mkdtemp(prefix="forward-latency-"))
    run = f"{os.getpid()}-{int(time.time())}"
    with SandboxProcess(services=2000, speed=1.0, balance="100000000") as sandbox:
        service, user = prepare(sandbox, run)
        group = WorkerGroup(
            count=args.workers,
            database_url=os.environ["DATABASE_URL"],
            broker_url=BROKER,
            log_dir=logs,
            extra_env={"LOG_LEVEL": "WARNING"},
            prefix="bench",
        )
        with group:
            committed: dict[int, float] = {}
            enqueue = placing.enqueue_forwarding

            def timed_enqueue(order_id: int) -> None:
                committed[order_id] = time.time()  # the on-commit hook: the order is committed
                enqueue(order_id)

            placing.enqueue_forwarding = timed_enqueue
            links: dict[str, int] = {}

            def place(n: int, kind: str) -> None:
                link = f"https://bench.test/{run}/{kind}/{n}"
                order = placing.place_order(
                    user=user, service_id=service.pk, fields={"link": link, "quantity": "1000"}
                )
                if kind == "measured":
                    links[link] = order.pk

            for n in range(args.warmup):  # first connections, imports, caches
                place(n, "warmup")
                time.sleep(0.1)
            time.sleep(1.0)

            after = max([0] + [o["id"] for o in sandbox.orders()])
            started = time.perf_counter()
            for n in range(args.orders):
                place(n, "measured")
                pause = started + (n + 1) / args.rate - time.perf_counter()
                if pause > 0:
                    time.sleep(pause)
            placed_in = time.perf_counter() - started

            recorded: dict[str, float] = {}
            deadline = time.monotonic() + 120
            while len(recorded) < len(links) and time.monotonic() < deadline:
                for item in sandbox.orders(after=after):
                    link = item["fields"].get("link")
                    if link in links:
                        recorded[link] = datetime.fromisoformat(item["created"]).timestamp()
                time.sleep(0.5)
            group.wait_idle(timeout=120)
        connection.close()

    latencies = [
        (recorded[link] - committed[order_id]) * 1000
        for link, order_id in links.items()
        if link in recorded
    ]
    states = dict(
        Order.objects.filter(pk__in=links.values()).values_list("status").annotate(n=Count("id"))
    )
    print(
        f"forward latency (commit -> upstream add recorded), {args.workers} worker(s), "
        f"{len(links)} orders placed at {len(links) / placed_in:.1f}/s:"
    )
    print(f"  recorded upstream: {len(latencies)}/{len(links)}; panel states: {states}")
    if latencies:
        print(
            f"  p50 {percentile(latencies, 50):.1f} ms  p90 {percentile(latencies, 90):.1f} ms"
            f"  p99 {percentile(latencies, 99):.1f} ms  max {max(latencies):.1f} ms"
            f"  mean {statistics.fmean(latencies):.1f} ms"
        )
        print(f"  goal p50 < 200 ms: {'met' if percentile(latencies, 50) < 200 else 'NOT met'}")
    if set(states) != {"in_progress"}:
        print("  WARNING: not every order was accepted; see the orders' flags and the logs")
    print(f"  worker logs: {logs}")


if __name__ == "__main__":
    main()
