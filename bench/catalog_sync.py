"""Catalog sync into PostgreSQL: 5,000 and 20,000 sandbox services.

    .venv/bin/python bench/catalog_sync.py

For each size: the first sync (fetch, parse, upsert, import, price), a second sync with
nothing changed, and a sync after 10% of the costs changed — seconds and query counts — next
to a bare bulk upsert of the same rows (one INSERT … ON CONFLICT, no parsing, no ORM) timed in
the same run. The public services page has its own benchmark: bench/public_pages.py.
"""

import time
from decimal import Decimal

from _setup import setup_django

setup_django()

from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from catalog.models import MarkupRule, Provider, UpstreamService  # noqa: E402
from catalog.sync import sync_provider  # noqa: E402
from sandbox.process import SandboxProcess  # noqa: E402


def wipe() -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE catalog_pricechange, catalog_serviceoffer, catalog_service, "
            "catalog_category, catalog_upstreamservice, catalog_markuprule, catalog_provider "
            "RESTART IDENTITY CASCADE"
        )


def timed_sync(provider: Provider) -> tuple[float, int, str]:
    with CaptureQueriesContext(connection) as queries:
        start = time.perf_counter()
        result = sync_provider(provider)
        elapsed = time.perf_counter() - start
    return elapsed, len(queries), str(result)


def bare_upsert(provider: Provider) -> float:
    """The same rows, written by one hand-made INSERT … ON CONFLICT DO UPDATE."""
    rows = list(
        UpstreamService.objects.filter(provider=provider).values_list(
            "upstream_id", "name", "type", "category", "rate", "min", "max", "refill", "cancel",
            "dripfeed", "description",
        )
    )  # fmt: skip
    placeholders = ", ".join(
        ["(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, true, now(), now())"] * len(rows)
    )
    params = [value for row in rows for value in (provider.pk, *row)]
    sql = (
        "INSERT INTO catalog_upstreamservice (provider_id, upstream_id, name, type, category, rate, "
        "min, max, refill, cancel, dripfeed, description, active, first_seen, last_seen) "
        f"VALUES {placeholders} ON CONFLICT (provider_id, upstream_id) DO UPDATE SET "
        "name = EXCLUDED.name, type = EXCLUDED.type, category = EXCLUDED.category, "
        "rate = EXCLUDED.rate, min = EXCLUDED.min, max = EXCLUDED.max, refill = EXCLUDED.refill, "
        "cancel = EXCLUDED.cancel, dripfeed = EXCLUDED.dripfeed, "
        "description = EXCLUDED.description, active = true, last_seen = now()"
    )
    start = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
    return time.perf_counter() - start


def bench_sync(sandbox: SandboxProcess, size: int) -> None:
    wipe()
    sandbox.catalog(services=size, seed=size)
    provider = Provider.objects.create(name="Sandbox", api_url=sandbox.api_url, api_key=sandbox.key)
    MarkupRule.objects.create(percent=Decimal(30))
    fetch_start = time.perf_counter()
    provider.client().services()
    fetch = time.perf_counter() - fetch_start
    first = timed_sync(provider)
    again = timed_sync(provider)
    ids = list(UpstreamService.objects.values_list("upstream_id", flat=True)[: size // 10])
    sandbox.catalog(rates={i: "9.8765" for i in ids})
    repriced = timed_sync(provider)
    bare = bare_upsert(provider)
    print(f"\n{size:,} services (fetch + parse alone: {fetch:.3f} s)")
    for label, (seconds, queries, result) in (
        ("first sync (imports all)", first),
        ("second sync (no change)", again),
        ("sync after 10% repriced", repriced),
    ):
        print(f"  {label:26} {seconds:6.3f} s  {queries:3d} queries  ({result})")
    print(f"  {'bare bulk upsert, same rows':26} {bare:6.3f} s    1 query")


def main() -> None:
    with SandboxProcess(services=5000) as sandbox:
        for size in (5000, 20000):
            bench_sync(sandbox, size)


if __name__ == "__main__":
    main()
