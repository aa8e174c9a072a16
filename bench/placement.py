"""Order placement throughput on PostgreSQL.

    .venv/bin/python bench/placement.py [--seconds 5] [--processes 4]

Places orders for 1 customer and for 100 customers, from several processes at once, through:
  - `orders.placing.place_order` (validation, debit, order, charge row, enqueue after commit),
  - the order page (Django test client: middleware, session, form, the same function),
  - a bare transaction doing only the essential SQL by hand (BEGIN, debit UPDATE, order
    INSERT, ledger INSERT, COMMIT) — the ceiling to compare with, in the same run: `bare`
    through Django's cursor (bound on the client, as the issue's anchor), `bare-prep` with
    each statement prepared on the server, as placing's own statement is.
Prints orders/s per mode, each mode's share of both anchors, and the queries one placement
makes through the function and through the page.
"""

import argparse
import multiprocessing
import os
import secrets
import time
from functools import partial
from urllib.parse import urlencode

from _setup import setup_django

BROKER = "redis://127.0.0.1:6379/14"
FORM = "application/x-www-form-urlencoded"


def prepare(customers: int) -> tuple[int, list[int]]:
    from decimal import Decimal

    from django.db import connection, transaction

    from accounts import ledger
    from accounts.models import LedgerKind, User
    from harness.catalog import make_provider, make_service, make_upstream

    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE accounts_ledgerentry, orders_order, accounts_payment, catalog_pricechange, "
            "catalog_serviceoffer, catalog_service, catalog_category, catalog_upstreamservice, "
            "catalog_markuprule, catalog_provider, accounts_user RESTART IDENTITY CASCADE"
        )
    service = make_service(make_upstream(make_provider(), rate="0.9", min=10, max=1_000_000))
    ids = []
    for i in range(customers):
        user = User.objects.create_user(f"bench{i}", password="bench-password-1")
        with transaction.atomic():
            ledger.credit(
                user_id=user.pk, amount=Decimal(10**9), kind=LedgerKind.ADJUSTMENT, memo="bench"
            )
        ids.append(user.pk)
    return service.pk, ids


def worker(
    mode: str, service_id: int, user_ids: list[int], seconds: float, offset: int, out
) -> None:
    setup_django(migrate=False)  # inherits BENCH_DATABASE_URL from main()
    modes = {"function": _by_function, "page": _by_page, "bare": _by_hand,
             "bare-prep": partial(_by_hand, prepared=True)}  # fmt: skip
    place = modes[mode](service_id, user_ids)
    count, deadline = 0, time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        place(user_ids[(offset + count) % len(user_ids)], count)
        count += 1
    out.put(count)


def _by_function(service_id: int, user_ids: list[int]):
    from accounts.models import User
    from orders.placing import place_order

    users = {user.pk: user for user in User.objects.filter(pk__in=user_ids)}

    def place(user_id: int, n: int) -> None:
        place_order(
            user=users[user_id],
            service_id=service_id,
            fields={"link": f"https://x.test/{n}", "quantity": "1000"},
        )

    return place


def _by_page(service_id: int, user_ids: list[int]):
    from django.test import Client

    from accounts.models import User

    clients: dict[int, Client] = {}
    for user in User.objects.filter(pk__in=user_ids):  # logged in before the clock starts
        clients[user.pk] = Client()
        clients[user.pk].force_login(user)

    def place(user_id: int, n: int) -> None:
        # What the page's form posts: urlencoded, with its one-time token (a fresh form each).
        body = urlencode(
            {
                "service": service_id,
                "link": f"https://x.test/{n}",
                "quantity": "1000",
                "ref": secrets.token_hex(16),
                "action": "place",
            }
        )
        response = clients[user_id].post("/order/new", body, content_type=FORM)
        assert response.status_code == 302, response.status_code

    return place


_DEBIT = (
    "UPDATE accounts_user SET balance = balance - 0.9 WHERE id = %s AND balance >= 0.9 "
    "RETURNING balance"
)
_ORDER = (
    "INSERT INTO orders_order (user_id, service_id, link, quantity, extra, rate, charge, status, "
    "upstream_status, remains_raw, error, attempts, refunded, upstream_detail, flag, "
    "tried_offers, created_at, updated_at) VALUES (%s, %s, %s, 1000, '{}', 0.9, 0.9, "
    "'pending', '', '', '', 0, 0, '{}', '', '[]', now(), now()) RETURNING id"
)
_ENTRY = (
    "INSERT INTO accounts_ledgerentry (user_id, kind, amount, balance_after, order_id, memo, "
    "created_at) VALUES (%s, 'charge', -0.9, %s, %s, '', now())"
)


def _by_hand(service_id: int, user_ids: list[int], *, prepared: bool = False):
    """The essential SQL in one transaction, through Django's connection; `prepared`: each
    statement prepared on the server, as placing's own statement is (panel.db)."""
    from django.db import connection

    from panel.db import prepared_cursor

    cursor_for = prepared_cursor if prepared else connection.cursor

    def place(user_id: int, n: int) -> None:
        with cursor_for() as cursor:
            cursor.execute("BEGIN")
            cursor.execute(_DEBIT, [user_id])
            balance = cursor.fetchone()[0]
            cursor.execute(_ORDER, [user_id, service_id, f"https://x.test/{n}"])
            order_id = cursor.fetchone()[0]
            cursor.execute(_ENTRY, [user_id, balance, order_id])
            cursor.execute("COMMIT")

    return place


def run(mode: str, service_id: int, user_ids: list[int], seconds: float, processes: int) -> float:
    out = multiprocessing.Queue()
    procs = [
        multiprocessing.Process(
            target=worker, args=(mode, service_id, user_ids, seconds, i * 7, out)
        )
        for i in range(processes)
    ]
    for p in procs:
        p.start()
    total = sum(out.get(timeout=seconds + 120) for _ in procs)
    for p in procs:
        p.join()
    return total / seconds


def queries_per_placement(service_id: int, user_id: int) -> tuple[int, int]:
    """Queries of one placement through the function and through the page (both warm: the
    service lookup placing keeps for a moment is counted once, in the function's)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from accounts.models import User
    from orders.placing import forget_recent_services, place_order

    user = User.objects.get(pk=user_id)
    forget_recent_services()
    with CaptureQueriesContext(connection) as by_function:
        place_order(
            user=user,
            service_id=service_id,
            fields={"link": "https://x.test/q", "quantity": "1000"},
        )
    page = _by_page(service_id, [user_id])
    with CaptureQueriesContext(connection) as by_page:
        page(user_id, 0)
    return len(by_function), len(by_page)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--processes", type=int, default=4)
    parser.add_argument("--modes", default="bare,bare-prep,function,page")
    args = parser.parse_args()
    os.environ["CELERY_BROKER_URL"] = BROKER
    # A database of its own: prepare() truncates every table it uses.
    os.environ.setdefault(
        "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/panel_bench_placement"
    )
    setup_django()
    from django.db import connection

    from panel.celery import app

    print(f"{args.processes} processes × {args.seconds:g} s each mode; broker {BROKER}")
    for customers in (1, 100):
        service_id, user_ids = prepare(customers)
        function_queries, page_queries = queries_per_placement(service_id, user_ids[0])
        print(
            f"\n{customers} customer{'s' if customers > 1 else ''}: queries per placement = "
            f"{function_queries} (function), {page_queries} (page)"
        )
        connection.close()
        rates = {}
        for mode in args.modes.split(","):
            rates[mode] = run(mode, service_id, user_ids, args.seconds, args.processes)
            app.control.purge()
            ratios = ", ".join(
                f"{rates[mode] / rates[anchor]:.0%} of {anchor}"
                for anchor in ("bare", "bare-prep")
                if anchor in rates and not mode.startswith("bare")
            )
            print(f"  {mode:9} {rates[mode]:8.0f} orders/s" + (f"  ({ratios})" if ratios else ""))


if __name__ == "__main__":
    multiprocessing.set_start_method("fork")
    main()
