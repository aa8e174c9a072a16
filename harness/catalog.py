"""Small builders for catalog rows: a provider, an upstream service, a panel service selling it."""

from decimal import Decimal
from itertools import count

from django.utils import timezone

from catalog.models import Category, Provider, Service, ServiceOffer, UpstreamService
from catalog.pricing import refresh_services

_ids = count(1)


def make_provider(**fields) -> Provider:
    n = next(_ids)
    defaults = {"name": f"Provider {n}", "api_url": "http://127.0.0.1:9/api/v2", "api_key": "k"}
    return Provider.objects.create(**{**defaults, **fields})


def make_upstream(provider: Provider, *, rate="1.00", **fields) -> UpstreamService:
    now = timezone.now()
    defaults = {
        "upstream_id": str(next(_ids)),
        "name": "Instagram Followers",
        "category": "Instagram",
        "min": 10,
        "max": 10_000,
        "first_seen": now,
        "last_seen": now,
    }
    return UpstreamService.objects.create(
        provider=provider, rate=Decimal(rate), **{**defaults, **fields}
    )


def make_service(offer: UpstreamService, *, category: Category | None = None, **fields) -> Service:
    category = category or Category.objects.get_or_create(name="Instagram")[0]
    service = Service.objects.create(name=offer.name, category=category, **fields)
    ServiceOffer.objects.create(service=service, upstream_service=offer)
    refresh_services([service.pk])
    service.refresh_from_db()
    return service
