"""Catalog sync: one function that brings a provider's services into the panel."""

import logging
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from .models import Category, PriceChange, Provider, Service, ServiceOffer, UpstreamService
from .pricing import refresh_services
from .upstream import ServiceInfo, UpstreamError

log = logging.getLogger(__name__)

_SYNCED_FIELDS = [
    "name", "type", "category", "rate", "min", "max", "refill", "cancel", "dripfeed",
    "description", "active", "last_seen",
]  # fmt: skip


@dataclass(frozen=True)
class SyncResult:
    seen: int
    new: int
    vanished: int
    price_changes: int
    imported: int
    repriced: int

    def __str__(self) -> str:
        return (
            f"{self.seen} services: {self.new} new, {self.vanished} vanished, "
            f"{self.price_changes} price changes, {self.imported} imported, "
            f"{self.repriced} panel prices updated"
        )


def sync_provider(provider: Provider) -> SyncResult:
    """Fetch `services` from the provider and upsert it; a broken answer changes nothing.

    The error, if any, is stored on the provider row and raised again for the caller.
    """
    try:
        infos = provider.client().services()
    except UpstreamError as exc:
        _record_failure(provider, f"Sync failed: {exc.message}")
        raise
    result = _apply(provider, infos)
    log.info("synced provider %s: %s", provider.pk, result)
    return result


def _record_failure(provider: Provider, message: str) -> None:
    Provider.objects.filter(pk=provider.pk).update(last_error=message, last_error_at=timezone.now())
    provider.last_error = message


@transaction.atomic
def _apply(provider: Provider, infos: list[ServiceInfo]) -> SyncResult:
    now = timezone.now()
    known = dict(
        UpstreamService.objects.filter(provider=provider).values_list(
            "upstream_id", "rate"
        )
    )
    rows = [_upstream_row(provider, info, now) for info in infos]
    # One INSERT … ON CONFLICT DO UPDATE for the whole catalog; first_seen is kept on update.
    UpstreamService.objects.bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=["provider", "upstream_id"],
        update_fields=_SYNCED_FIELDS,
    )
    ids = dict(
        UpstreamService.objects.filter(provider=provider).values_list("upstream_id", "id")
    )
    changes = [
        PriceChange(upstream_service_id=ids[i.upstream_id], old_rate=known[i.upstream_id],
                    new_rate=i.rate, seen_at=now)
        for i in infos
        if i.upstream_id in known and known[i.upstream_id] != i.rate
    ]  # fmt: skip
    PriceChange.objects.bulk_create(changes)
    vanished = UpstreamService.objects.filter(
        provider=provider, active=True, last_seen__lt=now
    ).update(active=False)
    new = [i for i in infos if i.upstream_id not in known]
    imported = _import(new, ids) if provider.auto_import else 0
    affected = ServiceOffer.objects.filter(upstream_service__provider=provider).values(
        "service_id"
    )
    repriced = refresh_services(affected)
    Provider.objects.filter(pk=provider.pk).update(last_synced_at=now, last_error="")
    return SyncResult(len(infos), len(new), vanished, len(changes), imported, repriced)


def _upstream_row(provider: Provider, info: ServiceInfo, now) -> UpstreamService:
    return UpstreamService(
        provider=provider,
        upstream_id=info.upstream_id,
        name=info.name[:500],
        type=info.type[:64],
        category=info.category[:255],
        rate=info.rate,
        min=info.min,
        max=info.max,
        refill=info.refill,
        cancel=info.cancel,
        dripfeed=info.dripfeed,
        description=info.description,
        active=True,
        first_seen=now,
        last_seen=now,
    )


def _import(infos: list[ServiceInfo], ids: dict[str, int]) -> int:
    """Create a panel service (and its category) for each new upstream service."""
    if not infos:
        return 0
    names = {i.category[:255] or "Other" for i in infos}
    Category.objects.bulk_create([Category(name=n) for n in names], ignore_conflicts=True)
    categories = dict(Category.objects.filter(name__in=names).values_list("name", "id"))
    services = Service.objects.bulk_create(
        [
            Service(
                name=i.name[:500],
                description=i.description,
                category_id=categories[i.category[:255] or "Other"],
                type=i.type[:64],
                available=False,  # refresh_services() prices it and makes it available
            )
            for i in infos
        ]
    )
    ServiceOffer.objects.bulk_create(
        [
            ServiceOffer(service=s, upstream_service_id=ids[i.upstream_id])
            for s, i in zip(services, infos, strict=True)
        ]
    )
    return len(services)
