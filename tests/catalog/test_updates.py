"""The Updates page: new services, prices up and down (from the sync's price changes, never
showing a cost), and services disabled because their offer vanished, newest first."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from catalog.models import PriceChange, Service, UpstreamService
from catalog.pricing import refresh_services
from catalog.updates import recent_updates
from harness.catalog import make_service, make_upstream

pytestmark = pytest.mark.django_db

NOW = timezone.now()


def aged(service, days: int):
    Service.objects.filter(pk=service.pk).update(created_at=NOW - timedelta(days=days))


def test_recent_changes_newest_first(provider):
    up = make_service(make_upstream(provider, rate="2.00", name="Followers up"))
    down = make_service(make_upstream(provider, rate="3.00", name="Likes down"))
    gone = make_service(make_upstream(provider, rate="1.00", name="Views gone"))
    fixed = make_service(make_upstream(provider, rate="1.00", name="Fixed"), fixed_rate="9")
    new = make_service(make_upstream(provider, rate="5.00", name="Brand new"))
    for service in (up, down, gone, fixed):
        aged(service, 60)
    aged(new, 1)
    offer = {s: s.service_offers.get().upstream_service for s in (up, down, gone, fixed)}
    PriceChange.objects.create(upstream_service=offer[up], old_rate=Decimal("1.6"),
                               new_rate=Decimal("2.00"), seen_at=NOW - timedelta(days=3))  # fmt: skip
    PriceChange.objects.create(upstream_service=offer[down], old_rate=Decimal("4.00"),
                               new_rate=Decimal("3.00"), seen_at=NOW - timedelta(days=2))  # fmt: skip
    PriceChange.objects.create(upstream_service=offer[fixed], old_rate=Decimal("1"),
                               new_rate=Decimal("2"), seen_at=NOW - timedelta(days=2))  # fmt: skip
    PriceChange.objects.create(upstream_service=offer[up], old_rate=Decimal("1"),
                               new_rate=Decimal("1.6"), seen_at=NOW - timedelta(days=40))  # fmt: skip
    UpstreamService.objects.filter(pk=offer[gone].pk).update(
        active=False, last_seen=NOW - timedelta(hours=5)
    )
    refresh_services([gone.pk])

    updates = recent_updates(now=NOW)

    assert [(u.kind, u.name, u.percent) for u in updates] == [
        ("disabled", "Views gone", None),
        ("new", "Brand new", None),
        ("down", "Likes down", Decimal("-25.0")),
        ("up", "Followers up", Decimal("25.0")),
    ]


def test_the_page_shows_selling_rates_never_costs(alice_client, provider):
    service = make_service(
        make_upstream(provider, rate="1.2345", name="Followers"), markup_percent=50
    )
    aged(service, 60)
    PriceChange.objects.create(
        upstream_service=service.service_offers.get().upstream_service,
        old_rate=Decimal("1.0000"), new_rate=Decimal("1.2345"), seen_at=NOW,
    )  # fmt: skip
    service.refresh_from_db()

    html = alice_client.get("/updates").content.decode()

    assert "Price up" in html and "+23.5%" in html
    assert f"{service.rate:.4f} USD" in html  # 1.8518 per 1000, the selling rate
    assert "1.2345" not in html and "1.0000" not in html
    assert Client().get("/updates")["Location"].startswith("/login")
