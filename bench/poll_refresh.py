"""Refreshing 100,000 active orders from the sandbox into PostgreSQL: one full poll run.

    .venv/bin/python bench/poll_refresh.py [--orders 100000] [--advance 0]

Seeds the orders in the sandbox (one control call), inserts the matching IN_PROGRESS panel
orders, their charge rows and a balance equal to the ledger (one INSERT each, one
transaction), then times one `orders.polling.poll_orders(limit=N)` for that provider. Prints
orders refreshed per second, upstream calls, and the split between waiting on the upstream and
the panel's own work (settlements shown apart), then checks what was written.

With the default `--advance 0` every order is still in its first simulated minute, so the run
is pure refresh (one progress write per order). `--advance 60` moves the sandbox clock on so
that some orders report "In progress" and about 0.5% were just canceled: they are settled with
a refund each, one small transaction per order.

Nothing is truncated: each run adds its own provider, customer and orders, and disables the
provider at the end so no other poll picks its orders up.
"""

import argparse
import time
from decimal import Decimal

from _setup import setup_django

setup_django()

from django.db import connection, transaction  # noqa: E402
from django.db.models import Count, Sum  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts import ledger  # noqa: E402
from accounts.models import LedgerEntry, LedgerKind, User  # noqa: E402
from catalog.models import Provider  # noqa: E402
from harness.catalog import make_service, make_upstream  # noqa: E402
from orders.models import Order  # noqa: E402
from orders.polling import due_orders, poll_orders  # noqa: E402
from panel.money import order_charge  # noqa: E402
from sandbox.process import SandboxProcess  # noqa: E402

QUANTITY = 1000

INSERT_ORDERS = """
INSERT INTO orders_order (user_id, service_id, upstream_service_id, provider_id,
    upstream_order_id, link, quantity, extra, rate, charge, status, upstream_status,
    remains_raw, error, attempts, refunded, upstream_detail, flag, tried_offers, sent_at,
    created_at, updated_at)
SELECT %(user)s, %(service)s, %(upstream)s, %(provider)s, g::text, 'https://x.test/' || g,
    %(quantity)s, '{}', %(rate)s, %(charge)s, 'in_progress', '', '', '', 1, 0, '{}', '', '[]',
    now(), now(), now()
FROM generate_series(%(first)s, %(last)s) AS g
"""

# One charge row per order, with the balance each one left, as placing would have written.
INSERT_CHARGES = """
INSERT INTO accounts_ledgerentry (user_id, kind, amount, balance_after, order_id, memo,
    created_at)
SELECT user_id, 'charge', -charge,
    %(deposit)s - charge * row_number() OVER (ORDER BY id), id, '', now()
FROM orders_order WHERE provider_id = %(provider)s
"""


def prepare(sandbox: SandboxProcess, count: int) -> tuple[Provider, User]:
    tag = time.strftime("%Y%m%d-%H%M%S")
    provider = Provider.objects.create(
        name=f"Poll bench {tag}", api_url=sandbox.api_url, api_key=sandbox.key
    )
    seeded = sandbox.seed_orders(count, service=1, quantity=QUANTITY)
    upstream = make_upstream(provider, upstream_id="1", rate="0.9", min=10, max=100_000)
    service = make_service(upstream, fixed_rate=Decimal("1.2345"))
    charge = order_charge(rate=service.rate, quantity=QUANTITY)
    deposit = charge * count
    user = User.objects.create_user(f"pollbench-{tag}")
    params = {
        "user": user.pk, "service": service.pk, "upstream": upstream.pk,
        "provider": provider.pk, "quantity": QUANTITY, "rate": service.rate, "charge": charge,
        "first": seeded["first"], "last": seeded["last"], "deposit": deposit,
    }  # fmt: skip
    with transaction.atomic():
        ledger.credit(user_id=user.pk, amount=deposit, kind=LedgerKind.ADJUSTMENT, memo="bench")
        with connection.cursor() as cursor:
            cursor.execute(INSERT_ORDERS, params)
            cursor.execute(INSERT_CHARGES, params)
            # The charges' total leaves the balance, as the charge rows say.
            cursor.execute(
                "UPDATE accounts_user SET balance = balance - %s WHERE id = %s", [deposit, user.pk]
            )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE orders_order")
    return provider, user


def check(provider: Provider, user: User, count: int) -> str:
    orders = Order.objects.filter(provider=provider)
    unchecked = orders.filter(last_checked_at__isnull=True).count()
    statuses = dict(orders.values_list("status").annotate(n=Count("id")).order_by())
    user.refresh_from_db()
    ledger_sum = LedgerEntry.objects.filter(user=user).aggregate(s=Sum("amount"))["s"]
    assert unchecked == 0, f"{unchecked} of {count} orders were not refreshed"
    assert user.balance == ledger_sum, (user.balance, ledger_sum)
    return ", ".join(f"{status} {n}" for status, n in sorted(statuses.items()))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--advance", type=float, default=0.0)
    args = parser.parse_args()
    count = args.orders

    with SandboxProcess(services=2000, speed=1.0) as sandbox:
        started = time.perf_counter()
        provider, user = prepare(sandbox, count)
        print(
            f"{count:,} active orders seeded and inserted in {time.perf_counter() - started:.1f} s"
        )
        if args.advance:
            sandbox.advance(args.advance)

        start = time.perf_counter()
        due = due_orders(provider, limit=count, now=timezone.now())
        print(f"selecting the due orders alone: {time.perf_counter() - start:.2f} s ({len(due):,})")

        start = time.perf_counter()
        result = poll_orders(provider_id=provider.pk, limit=count)
        elapsed = time.perf_counter() - start

        print(
            f"\none poll run: {result.checked:,} orders refreshed in {elapsed:.2f} s "
            f"= {result.checked / elapsed:,.0f} orders/s"
        )
        print(f"  upstream calls      {result.calls:,} ({result.errors} failed)")
        print(f"  waiting on upstream {result.upstream_seconds:6.2f} s")
        print(f"  panel's own work    {result.own_seconds:6.2f} s")
        settled = ", ".join(f"{s} {n}" for s, n in sorted(result.settled.items())) or "none"
        print(f"    of which settling {result.settling_seconds:6.2f} s ({settled})")
        print(f"  flagged {result.flagged}")
        print(f"  afterwards: {check(provider, user, count)}; balance == sum(ledger)")
        Provider.objects.filter(pk=provider.pk).update(enabled=False)


if __name__ == "__main__":
    main()
