"""Staff reports on a big panel: 1,000,000 orders, 10,000 customers, 5 providers, 20,000
services over a year, generated in PostgreSQL (INSERT … SELECT generate_series) in a database
of its own, then every report timed and its query plans printed.

    .venv/bin/python bench/staff_reports.py            # --orders 1000000 --keep --repeat 5

What is timed, server side (Django's test client: middleware, views, queries, template):
the reports page by day, week and month, without a filter and with each filter (provider,
category, service), and each CSV; the staff dashboard (/admin/staff/) and the needs-a-hand
list (/admin/staff/needs/), on 5 providers × 100,000 upstream call records over the last day
(--calls), 30 days of balance readings every 10 minutes, and some work needing a hand (unknown,
held and stalled orders, payments waiting). Then the summary tables: a full rebuild, a refresh
with nothing new, and a refresh after 1,000 new orders and 100 settlements. The summary's
figures are checked against the ledger's at the end. The database (`panel_bench_reports`, or
BENCH_REPORTS_DATABASE_URL) is dropped at the end unless --keep.
"""

import argparse
import os
import statistics
import sys
import time

from _setup import setup_django

URL = os.environ.get(
    "BENCH_REPORTS_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/panel_bench_reports"
)


def recreate_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def drop_database(url: str) -> None:
    import psycopg
    from django.db import connections

    connections.close_all()
    name = url.rsplit("/", 1)[1]
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# --- generation: every row made by PostgreSQL itself ---------------------------------------

GENERATE = [
    (
        "providers",
        """
        INSERT INTO catalog_provider (name, api_url, api_key, currency, exchange_rate, enabled,
            auto_import, last_error, balance_currency, created_at)
        SELECT 'Provider ' || p, 'http://127.0.0.1:9/api/v2', '', c, r, true, false, '', '', now()
        FROM (VALUES (1, 'USD', 1.0), (2, 'USD', 1.0), (3, 'EUR', 1.08), (4, 'INR', 0.012),
                     (5, 'USD', 1.0)) AS v(p, c, r)
        """,
    ),
    (
        "categories",
        """
        INSERT INTO catalog_category (name, position, enabled)
        SELECT 'Category ' || g, g, true FROM generate_series(1, 100) g
        """,
    ),
    (
        "upstream services",
        """
        INSERT INTO catalog_upstreamservice (provider_id, upstream_id, name, type, category, rate,
            min, max, refill, cancel, dripfeed, description, active, first_seen, last_seen)
        SELECT (SELECT min(id) FROM catalog_provider) + (g - 1) % 5, g::text, 'Service ' || g,
            'Default', 'Category ' || (1 + g % 100),
            CASE WHEN (g - 1) % 5 = 3 THEN round((20 + random() * 400)::numeric, 4)
                 ELSE round((0.2 + random() * 5)::numeric, 4) END,
            10, 100000, false, false, g % 7 = 0, '', true, now(), now()
        FROM generate_series(1, %(services)s) g
        """,
    ),
    (
        "services and offers",
        """
        WITH s AS (
            INSERT INTO catalog_service (name, description, category_id, position, enabled,
                available, type, rate, min, max, refill, cancel, dripfeed, created_at)
            SELECT u.name, '', (SELECT min(id) FROM catalog_category) + (u.id % 100), 0, true, true,
                'Default', round(u.rate * p.exchange_rate * 1.3, 4), 10, 100000, false, false,
                u.dripfeed, now()
            FROM catalog_upstreamservice u JOIN catalog_provider p ON p.id = u.provider_id
            ORDER BY u.id
            RETURNING id, name
        )
        INSERT INTO catalog_serviceoffer (service_id, upstream_service_id, priority)
        SELECT s.id, u.id, 0 FROM s JOIN catalog_upstreamservice u ON u.name = s.name
        """,
    ),
    (
        "customers",
        """
        INSERT INTO accounts_user (password, is_superuser, username, first_name, last_name,
            email, is_staff, is_active, date_joined, balance, notify_canceled, notify_completed,
            notify_partial, notify_refill, time_zone)
        SELECT '!', false, 'customer' || g, '', '', 'customer' || g || '@example.com', false,
            true, now() - interval '365 days' + (g * interval '365 days' / %(customers)s), 0,
            true, true, true, true, 'UTC'
        FROM generate_series(1, %(customers)s) g
        """,
    ),
    (
        "orders",
        # Skewed: a few services and customers take most orders, as on a real panel. Ordered by
        # time, so ids grow with created_at as placement makes them. The last two days are still
        # running; the rest ended: 85% completed, 7% partial, 5% canceled, 3% failed (never sent).
        """
        WITH bounds AS (
            SELECT (SELECT min(id) FROM catalog_service) AS s0,
                   (SELECT count(*) FROM catalog_service) AS sn,
                   (SELECT min(id) FROM accounts_user WHERE NOT is_staff) AS u0
        ), raw AS (
            SELECT g,
                   now() - interval '365 days' + g * interval '365 days' / %(orders)s AS at,
                   b.s0 + floor(b.sn * power(random(), 3))::int AS service_id,
                   b.u0 + floor(%(customers)s * power(random(), 2))::int AS user_id,
                   (1 + floor(random() * 50)::int) * 100 AS quantity,
                   random() AS fate,
                   random() AS part
            FROM generate_series(1, %(orders)s) g, bounds b
        )
        INSERT INTO orders_order (user_id, service_id, upstream_service_id, provider_id,
            upstream_order_id, link, quantity, extra, rate, charge, status, upstream_status,
            remains, remains_raw, cost, exchange_rate, refunded, upstream_detail, error, flag,
            tried_offers, attempts, sent_at, last_checked_at, created_at, updated_at)
        SELECT r.user_id, r.service_id, o.upstream_service_id,
            CASE WHEN f.status = 'failed' THEN NULL ELSE u.provider_id END,
            CASE WHEN f.status = 'failed' THEN NULL ELSE r.g::text END,
            'https://instagram.com/p/' || r.g, r.quantity, '{}', s.rate,
            s.rate * r.quantity / 1000, f.status, '',
            CASE f.status WHEN 'partial' THEN floor(r.quantity * r.part)::int
                          WHEN 'completed' THEN 0 END, '',
            CASE f.status WHEN 'completed' THEN round(u.rate * r.quantity / 1000, 7)
                          WHEN 'partial' THEN round(u.rate * (r.quantity - floor(r.quantity * r.part)::int) / 1000, 7)
                          WHEN 'canceled' THEN 0 END,
            CASE WHEN f.status = 'failed' THEN NULL ELSE p.exchange_rate END,
            CASE f.status WHEN 'partial' THEN trunc(s.rate * floor(r.quantity * r.part)::int / 1000, 7)
                          WHEN 'canceled' THEN s.rate * r.quantity / 1000
                          WHEN 'failed' THEN s.rate * r.quantity / 1000 ELSE 0 END,
            '{}', '', '', '[]', 1, r.at, r.at, r.at, r.at
        FROM raw r
        JOIN catalog_service s ON s.id = r.service_id
        JOIN catalog_serviceoffer o ON o.service_id = s.id
        JOIN catalog_upstreamservice u ON u.id = o.upstream_service_id
        JOIN catalog_provider p ON p.id = u.provider_id
        CROSS JOIN LATERAL (SELECT CASE
            WHEN r.at > now() - interval '2 days' THEN 'in_progress'
            WHEN r.fate < 0.85 THEN 'completed' WHEN r.fate < 0.92 THEN 'partial'
            WHEN r.fate < 0.97 THEN 'canceled' ELSE 'failed' END AS status) f
        ORDER BY r.g
        """,
    ),
    (
        "payments",
        """
        INSERT INTO accounts_payment (user_id, method, amount, reference, status, currency,
            fee, exchange_rate, bonus, gateway_ref, gateway_payment_id, details, flag,
            created_at, decided_at, note)
        SELECT u.id, (ARRAY['manual', 'razorpay', 'stripe', 'nowpayments'])[1 + k % 4],
            round((u.spend / 2 + 5)::numeric, 2), '', 'approved', 'USD', 0, 1, 0, '',
            'bench-' || u.id || '-' || k, '{}', '',
            u.first_at - interval '1 hour' + k * interval '2 days',
            u.first_at - interval '1 hour' + k * interval '2 days', ''
        FROM (SELECT user_id AS id, sum(charge) AS spend, min(created_at) AS first_at
              FROM orders_order GROUP BY user_id) u, generate_series(0, 1) k
        """,
    ),
    (
        "ledger: deposits, charges, refunds",
        # Amounts as the panel writes them; balance_after is not tracked here (0).
        """
        INSERT INTO accounts_ledgerentry (user_id, kind, amount, balance_after, order_id,
            payment_id, memo, created_at)
        SELECT user_id, 'deposit', amount, 0, NULL, id, '', decided_at FROM accounts_payment
        UNION ALL
        SELECT user_id, 'charge', -charge, 0, id, NULL, '', created_at FROM orders_order
        UNION ALL
        SELECT user_id, 'refund', refunded, 0, id, NULL, '', created_at + interval '1 hour'
        FROM orders_order WHERE refunded > 0
        ORDER BY 8
        """,
    ),
    (
        "balances",
        """
        UPDATE accounts_user u SET balance = l.total
        FROM (SELECT user_id, sum(amount) AS total FROM accounts_ledgerentry GROUP BY user_id) l
        WHERE l.user_id = u.id AND l.total >= 0
        """,
    ),
]


def generate(n_orders: int, n_customers: int, n_services: int) -> None:
    from django.db import connection

    params = {"orders": n_orders, "customers": n_customers, "services": n_services}
    with connection.cursor() as cursor:
        for name, sql in GENERATE:
            start = time.perf_counter()
            cursor.execute(sql.replace(" % ", " %% "), params)  # %% : a literal modulo
            print(f"  {name}: {cursor.rowcount:,} rows, {time.perf_counter() - start:.1f} s")
        start = time.perf_counter()
        cursor.execute("VACUUM ANALYZE")
        print(f"  vacuum analyze: {time.perf_counter() - start:.1f} s")


# --- the staff dashboard's records: calls, balance readings, work needing a hand -----------

STAFF = [
    (
        "upstream call records (last day)",
        # Latency skewed (most calls fast, a long tail), 3% refused, 0.5% unknown, 0.5% not sent.
        """
        INSERT INTO staff_providercall (provider_id, action, at, ms, outcome, error)
        SELECT p.id, (ARRAY['add', 'status', 'status', 'status', 'balance'])[1 + g % 5],
            now() - random() * interval '1 day', (40 + power(random(), 4) * 8000)::int,
            CASE WHEN x < 0.03 THEN 'rejected' WHEN x < 0.035 THEN 'unknown'
                 WHEN x < 0.04 THEN 'not_sent' ELSE 'ok' END, ''
        FROM catalog_provider p, generate_series(1, %(calls)s) g,
             LATERAL (SELECT random() + 0 * g AS x) r
        """,
    ),
    (
        "hourly call figures (as the buffer writes add them)",
        """
        INSERT INTO staff_providercallhour (provider_id, hour, le_ms, calls, errors, unknown)
        SELECT provider_id, date_trunc('hour', at),
            (SELECT coalesce(min(b), %(top)s) FROM unnest(%(buckets)s::int[]) b WHERE b >= c.ms),
            count(*), count(*) FILTER (WHERE outcome <> 'ok'),
            count(*) FILTER (WHERE outcome = 'unknown')
        FROM staff_providercall c GROUP BY 1, 2, 3
        """,
    ),
    (
        "balance readings (30 days, every 10 minutes)",
        """
        INSERT INTO staff_balancereading (provider_id, amount, currency, checked_at)
        SELECT p.id, round((5000 - g * 0.5 + random() * 20)::numeric, 2), p.currency,
            now() - g * interval '10 minutes'
        FROM catalog_provider p, generate_series(0, 30 * 144 - 1) g
        """,
    ),
    (
        "low-balance thresholds",
        """
        INSERT INTO staff_providerwatch (provider_id, low_balance, low_since)
        SELECT id, 3000, NULL FROM catalog_provider
        """,
    ),
    (
        "orders needing a hand: 300 unknown, 500 held (of the running ones)",
        """
        UPDATE orders_order SET status = CASE WHEN n <= 300 THEN 'unknown' ELSE 'held' END
        FROM (SELECT id AS oid, row_number() OVER (ORDER BY id) AS n FROM orders_order
              WHERE status = 'in_progress' ORDER BY id LIMIT 800) s
        WHERE id = s.oid
        """,
    ),
    (
        "progress marks of the running orders, a third stalled for 2 days",
        """
        INSERT INTO staff_progressmark (order_id, remains, since)
        SELECT id, remains, CASE WHEN id % 3 = 0 THEN now() - interval '2 days' ELSE now() END
        FROM orders_order WHERE status = 'in_progress'
        """,
    ),
    (
        "manual payments waiting for approval",
        """
        INSERT INTO accounts_payment (user_id, method, amount, reference, status, currency,
            fee, exchange_rate, bonus, gateway_ref, gateway_payment_id, details, flag,
            created_at, decided_at, note)
        SELECT id, 'manual', 50, 'BANK-' || id, 'pending', 'USD', 0, 1, 0, '', '', '{}', '',
            now() - interval '3 hours', NULL, ''
        FROM accounts_user WHERE NOT is_staff ORDER BY id LIMIT 120
        """,
    ),
]


def generate_staff(n_calls: int) -> None:
    from django.db import connection

    from staff.health import BUCKETS
    from staff.models import ProviderCall

    if ProviderCall.objects.exists():
        print("  (already there)")
        return
    params = {"calls": n_calls, "buckets": list(BUCKETS), "top": BUCKETS[-1]}
    with connection.cursor() as cursor:
        for name, sql in STAFF:
            start = time.perf_counter()
            cursor.execute(sql.replace(" % ", " %% "), params)
            print(f"  {name}: {cursor.rowcount:,} rows, {time.perf_counter() - start:.1f} s")
        cursor.execute("ANALYZE")


# --- timing ---------------------------------------------------------------------------------


def timed(fn, repeat: int) -> tuple[float, float, float]:
    """Median and max milliseconds of `repeat` runs, after one warm-up run (its time too: the
    first request after a summary refresh, before top customers are cached)."""
    start = time.perf_counter()
    fn()
    first = (time.perf_counter() - start) * 1000
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        runs.append((time.perf_counter() - start) * 1000)
    return statistics.median(runs), max(runs), first


def time_pages(repeat: int) -> list[tuple[str, float, float, float]]:
    from django.db.models import Count
    from django.test import Client

    from accounts.models import User
    from catalog.models import Category, Provider, Service
    from orders.models import Order

    staff, _ = User.objects.get_or_create(username="bench-staff", is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(staff)
    busiest = (
        Order.objects.values("service_id").order_by().annotate(n=Count("id")).order_by("-n")[0]
    )
    provider = Provider.objects.order_by("id").first().pk
    category = Category.objects.order_by("id").first().pk
    quiet = Service.objects.order_by("-id").first().pk
    filters = {
        "none": "",
        "provider": f"&provider={provider}",
        "category": f"&category={category}",
        f"service (busiest, {busiest['n']:,} orders)": f"&service={busiest['service_id']}",
        "service (quiet)": f"&service={quiet}",
    }
    results = []
    for period in ("day", "week", "month"):
        for name, query in filters.items():
            url = f"/admin/reports/?period={period}{query}"

            def get(url=url):
                answer = client.get(url)
                assert answer.status_code == 200, answer.status_code

            results.append((f"page by {period}, filter {name}", *timed(get, repeat)))
    for table in ("sales", "customers", "signups", "deposits"):
        url = f"/admin/reports/?period=month&csv={table}"
        results.append((f"CSV {table} by month", *timed(lambda url=url: client.get(url), repeat)))
    for name, url in (
        ("staff dashboard", "/admin/staff/"),
        ("needs a hand", "/admin/staff/needs/"),
    ):

        def get(url=url):
            answer = client.get(url)
            assert answer.status_code == 200, answer.status_code

        results.append((name, *timed(get, repeat)))
    return results


def explain_plans() -> None:
    from datetime import timedelta

    from django.db.models import Count, Sum
    from django.utils import timezone

    from catalog.models import Provider
    from orders.models import Order
    from reports import figures
    from reports.figures import Filters
    from reports.models import CustomerDays, CustomerMonths, DailyDeposits, DailySales

    today = timezone.now().date()
    first, last = figures.default_range("month", today)
    busiest = (
        Order.objects.values("service_id").order_by().annotate(n=Count("id")).order_by("-n")[0]
    )
    provider = Provider.objects.order_by("id").first().pk
    start, end = figures.day_range(first, last)
    plans = {
        "sales by month, no filter (DailyTotals)": figures.summary_rows(first, last, Filters()),
        "sales by month, one provider (DailyTotals)": figures.summary_rows(
            first, last, Filters(provider=provider)
        ),
        "sales by month, one service (DailySales)": figures.summary_rows(
            first, last, Filters(service=busiest["service_id"])
        ),
        "top customers, 30 days (CustomerDays)": CustomerDays.objects.filter(
            day__gte=today - timedelta(days=29)
        )
        .values("user_id")
        .annotate(s=Sum("spend")),
        "top customers, 11 whole months (CustomerMonths)": CustomerMonths.objects.filter(
            month__gte=first, month__lt=today.replace(day=1)
        )
        .values("user_id")
        .annotate(s=Sum("spend")),
        "top customers, 12 months, one provider (CustomerDays)": CustomerDays.objects.filter(
            provider_id=provider, day__gte=first
        )
        .values("user_id")
        .annotate(s=Sum("spend")),
        "top customers, 12 months, busiest service (orders by service)": Order.objects.filter(
            service_id=busiest["service_id"], created_at__gte=start, created_at__lt=end
        )
        .values("user_id")
        .annotate(n=Count("id")),
        "deposits by method (DailyDeposits)": DailyDeposits.objects.filter(day__gte=first).values(
            "method"
        ),
        "days with open orders (partial index)": DailySales.objects.filter(open__gt=0)
        .values_list("day", flat=True)
        .distinct(),
    }
    for name, queryset in plans.items():
        print(f"\n-- {name}")
        print(queryset.explain(analyze=True))
    explain_staff()


def explain_staff() -> None:
    from datetime import timedelta

    from django.db import connection
    from django.db.models import Sum
    from django.utils import timezone

    from catalog.models import Provider
    from staff import health, needs
    from staff.balances import HISTORY_DAYS
    from staff.models import BalanceReading, ProviderCallHour

    now = timezone.now()
    print("\n-- dashboard: health of the last hour (the calls, exact)")
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN ANALYZE " + health._SQL, [now - timedelta(hours=1)])
        print("\n".join(row[0] for row in cursor.fetchall()))
    print("\n-- dashboard: health of the day (hourly buckets, ProviderCallHour)")
    day = (
        ProviderCallHour.objects.filter(hour__gte=health.hour_of(now) - timedelta(hours=23))
        .values_list("provider_id", "le_ms")
        .annotate(n=Sum("calls"), e=Sum("errors"), u=Sum("unknown"))
        .order_by("provider_id", "le_ms")
    )
    print(day.explain(analyze=True))
    print("\n-- dashboard: the day read from the calls, as before (for comparison)")
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN ANALYZE " + health._SQL, [now - timedelta(days=1)])
        print("\n".join(row[0] for row in cursor.fetchall()))
    print("\n-- dashboard: balance readings of 30 days")
    ids = list(Provider.objects.values_list("pk", flat=True))
    readings = BalanceReading.objects.filter(
        provider_id__in=ids, checked_at__gte=now - timedelta(days=HISTORY_DAYS)
    )
    print(readings.explain(analyze=True))
    for code, queryset in needs._querysets(now).items():
        print(f"\n-- needs a hand: {code} (count)")
        print(queryset.order_by().values("pk").explain(analyze=True))


def refresh_figures() -> None:
    from django.db import connection

    from reports import summary

    start = time.perf_counter()
    summary.refresh(full=True)
    print(f"  full rebuild: {time.perf_counter() - start:.1f} s")
    summary.refresh()
    start = time.perf_counter()
    done = summary.refresh()
    print(f"  refresh, nothing new: {(time.perf_counter() - start) * 1000:.0f} ms ({done})")
    with connection.cursor() as cursor:
        # 1,000 new orders and 100 of the running ones settled, as placement and polling would.
        cursor.execute(
            """
            WITH o AS (
                INSERT INTO orders_order (user_id, service_id, link, quantity, extra, rate, charge,
                    status, upstream_status, remains_raw, refunded, upstream_detail, error, flag,
                    tried_offers, attempts, created_at, updated_at)
                SELECT user_id, service_id, link, quantity, '{}', rate, charge, 'pending', '', '',
                    0, '{}', '', '', '[]', 0, now(), now()
                FROM orders_order ORDER BY id DESC LIMIT 1000
                RETURNING id, user_id, charge
            )
            INSERT INTO accounts_ledgerentry (user_id, kind, amount, balance_after, order_id, memo,
                created_at)
            SELECT user_id, 'charge', -charge, 0, id, '', now() FROM o
            """
        )
        cursor.execute(
            """
            UPDATE orders_order SET status = 'completed', cost = 0.01, updated_at = now()
            WHERE id IN (SELECT id FROM orders_order WHERE status = 'in_progress' LIMIT 100)
            """
        )
    start = time.perf_counter()
    done = summary.refresh()
    took = (time.perf_counter() - start) * 1000
    print(f"  refresh after 1,000 orders and 100 settlements: {took:.0f} ms ({done})")


def check_against_ledger() -> None:
    from django.db.models import Sum

    from accounts.models import LedgerEntry
    from reports.models import DailyDeposits, DailySales, DailyTotals

    ledger = dict(
        LedgerEntry.objects.values("kind").annotate(t=Sum("amount")).values_list("kind", "t")
    )
    sales = DailySales.objects.aggregate(c=Sum("charged"), r=Sum("refunded"))
    totals = DailyTotals.objects.aggregate(c=Sum("charged"), r=Sum("refunded"))
    deposits = DailyDeposits.objects.aggregate(a=Sum("amount"))["a"]
    ok = (
        sales["c"] == totals["c"] == -ledger["charge"]
        and sales["r"] == totals["r"] == ledger["refund"]
        and deposits == ledger["deposit"]
    )
    print(
        f"  charged {sales['c']:,.2f} (ledger {-ledger['charge']:,.2f}), refunded "
        f"{sales['r']:,.2f} (ledger {ledger['refund']:,.2f}), deposits {deposits:,.2f} "
        f"(ledger {ledger['deposit']:,.2f}): {'EQUAL' if ok else 'DIFFERENT'}"
    )
    if not ok:
        sys.exit(1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument("--services", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--calls", type=int, default=100_000, help="call records a provider")
    parser.add_argument("--keep", action="store_true", help="keep the database at the end")
    parser.add_argument("--reuse", action="store_true", help="use a kept database as it is")
    args = parser.parse_args()

    # The superuser of the timing has no second factor: the admin's 2FA gate is off, as in the
    # tests (its middleware still runs on every request).
    os.environ.setdefault("ADMIN_REQUIRE_2FA", "0")
    if not args.reuse:
        recreate_database(URL)
    setup_django(URL, migrate=not args.reuse)
    print(f"database {URL.rsplit('/', 1)[1]}")
    if not args.reuse:
        start = time.perf_counter()
        print(f"generating {args.orders:,} orders, {args.customers:,} customers, 5 providers, "
              f"{args.services:,} services over a year:")  # fmt: skip
        generate(args.orders, args.customers, args.services)
        print(f"  generated in {time.perf_counter() - start:.0f} s")
    print("staff dashboard records:")
    generate_staff(args.calls)
    print("summary tables:")
    refresh_figures()
    check_against_ledger()
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(f"\nserver time per request, ms (median / max of {args.repeat} / the first request):")
    for name, median, worst, first in time_pages(args.repeat):
        flag = "" if max(worst, first) < 500 else "   <-- over 500 ms"
        print(f"  {name:<58} {median:7.1f} {worst:7.1f} {first:7.1f}{flag}")
    print("\nquery plans:")
    explain_plans()
    if not args.keep:
        drop_database(URL)
        print(f"\ndropped {URL.rsplit('/', 1)[1]} (--keep keeps it)")


if __name__ == "__main__":
    main()
