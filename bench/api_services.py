"""The API's `services` answer: built per call (before) against cached (after).

    .venv/bin/python bench/api_services.py [--services 5000] [--calls 20]

Adds a provider with `--services` services on sale (bulk inserts) to the benchmark database
(bench/_setup.py; other runs' services on sale count too, and are reported), with the public
cache in Redis (BENCH_BROKER_URL, db 12) as in production. Then times `--calls` POSTs of
action=services through Django's test client (the whole view: key check, answer, gzip), first
with the catalog version bumped before each call (every call builds and compresses the answer,
as before the cache), then as it is (built once). Prints milliseconds per call (median and
worst) and the answer's size plain and gzipped. The provider is disabled at the end.
"""

import argparse
import os
import statistics
import time

from _setup import setup_django

os.environ["CELERY_BROKER_URL"] = os.environ.get("BENCH_BROKER_URL", "redis://127.0.0.1:6379/12")
setup_django()

import gzip  # noqa: E402
from decimal import Decimal  # noqa: E402

from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.apikeys import issue_key  # noqa: E402
from catalog.models import Category, Service, ServiceOffer, UpstreamService  # noqa: E402
from catalog.pricing import refresh_services  # noqa: E402
from harness.catalog import make_provider  # noqa: E402
from harness.customers import make_user  # noqa: E402
from orders.placing import sellable_services  # noqa: E402
from pages.cache import invalidate  # noqa: E402


def seed(count: int, run: str):
    provider = make_provider(name=f"bench-services-{run}")
    category, _ = Category.objects.get_or_create(name=f"Bench {run}")
    now = timezone.now()
    offers = UpstreamService.objects.bulk_create(
        UpstreamService(provider=provider, upstream_id=str(i), name=f"Service {i} of {run}",
                        category="Bench", rate=Decimal("0.5") + Decimal(i % 97) / 10, min=10,
                        max=100_000, first_seen=now, last_seen=now)
        for i in range(count)
    )  # fmt: skip
    services = Service.objects.bulk_create(
        Service(name=o.name, category=category, description="A benchmark service " * 4)
        for o in offers
    )
    ServiceOffer.objects.bulk_create(
        ServiceOffer(service=s, upstream_service=o) for s, o in zip(services, offers, strict=True)
    )
    refresh_services([s.pk for s in services])
    return provider


def timed(client: Client, key: str, calls: int, bump: bool) -> tuple[list[float], bytes]:
    took, body = [], b""
    for _ in range(calls):
        if bump:
            invalidate("catalog")
        start = time.perf_counter()
        response = client.post(
            "/api/v2", {"key": key, "action": "services"}, HTTP_ACCEPT_ENCODING="gzip"
        )
        took.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200
        body = response.content
    return took, body


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--services", type=int, default=5000)
    parser.add_argument("--calls", type=int, default=20)
    args = parser.parse_args()
    run = str(time.time_ns())
    provider = seed(args.services, run)
    try:
        key = issue_key(make_user(f"bench-services-{run}"))
        client = Client()
        on_sale = sellable_services().count()
        timed(client, key, 2, bump=True)  # warm-up: connections, code paths
        built, body = timed(client, key, args.calls, bump=True)
        cached, again = timed(client, key, args.calls, bump=False)
        assert again == body
        plain = len(gzip.decompress(body))
        print(
            f"services on sale: {on_sale}; answer {plain / 1e6:.2f} MB, gzipped {len(body) / 1e6:.2f} MB"
        )
        for label, took in (("built per call (before)", built), ("cached (after)", cached)):
            print(
                f"{label:24} median {statistics.median(took):8.2f} ms   worst {max(took):8.2f} ms"
            )
        print(f"speed-up (median): {statistics.median(built) / statistics.median(cached):.0f}x")
    finally:
        provider.__class__.objects.filter(pk=provider.pk).update(enabled=False)
        Service.objects.filter(offers__provider=provider).update(enabled=False)
        invalidate("catalog")


if __name__ == "__main__":
    main()
