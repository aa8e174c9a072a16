"""Catalog sync: one function that brings a provider's services into the panel."""

import logging
from dataclasses import dataclass
from operator import attrgetter

from django.db import transaction
from django.utils import timezone

from .models import Category, PriceChange, Provider, Service, ServiceOffer, UpstreamService
from .pricing import Markups, new_service_terms, refresh_services
from .signals import catalog_changed
from .upstream import ServiceInfo, UpstreamError

log = logging.getLogger(__name__)

# What an upstream's `services` answer says of each service (catalog/upstream ServiceInfo),
# stored under the same names on UpstreamService.
_ANSWERED = (
    "name", "type", "category", "rate", "min", "max", "refill", "cancel", "dripfeed",
    "description",
)  # fmt: skip
# What a sync compares to decide whether a stored upstream service changed.
_COMPARED = (*_ANSWERED, "active")
_compared = attrgetter(*_COMPARED)
# What a sync writes over a stored upstream service (first_seen is kept).
_SYNCED_FIELDS = [*_COMPARED, "last_seen"]
# The text an upstream sends is cut to what its column holds.
_LIMITS = {
    name: limit
    for name in _ANSWERED
    if (limit := getattr(UpstreamService._meta.get_field(name), "max_length", None))
}


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
    """Write only what changed: a steady catalog costs a few cheap statements, not 20,000 rows."""
    now = timezone.now()
    stored = {
        row.upstream_id: row
        for row in UpstreamService.objects.filter(provider=provider).values_list(
            "upstream_id", "id", *_COMPARED, named=True
        )
    }
    rows = [_upstream_row(provider, info, now) for info in infos]
    changed = [row for row in rows if _differs(row, stored.get(row.upstream_id))]
    # One INSERT … ON CONFLICT DO UPDATE for what is new or changed; first_seen is kept.
    UpstreamService.objects.bulk_create(
        changed,
        update_conflicts=True,
        unique_fields=["provider", "upstream_id"],
        update_fields=_SYNCED_FIELDS,
    )
    seen = {info.upstream_id for info in infos}
    gone = [row.id for upstream_id, row in stored.items() if upstream_id not in seen and row.active]
    UpstreamService.objects.filter(pk__in=gone).update(active=False)
    # Everything still active was in this answer.
    UpstreamService.objects.filter(provider=provider, active=True).exclude(last_seen=now).update(
        last_seen=now
    )
    # PostgreSQL and SQLite hand the ids of upserted rows back (bulk_create sets pk).
    ids = {upstream_id: row.id for upstream_id, row in stored.items()}
    ids.update((row.upstream_id, row.pk) for row in changed)
    new = [row for row in changed if row.upstream_id not in stored]
    price_changes = [
        PriceChange(upstream_service_id=ids[row.upstream_id],
                    old_rate=stored[row.upstream_id].rate, new_rate=row.rate, seen_at=now)
        for row in changed
        if row.upstream_id in stored and stored[row.upstream_id].rate != row.rate
    ]  # fmt: skip
    PriceChange.objects.bulk_create(price_changes)
    imported = _import(provider, new) if provider.auto_import else 0
    # New services were priced as they were created; only changes to known ones reprice.
    touched = [row.pk for row in changed if row.upstream_id in stored] + gone
    repriced = refresh_services(_services_selling(provider, touched)) if touched else 0
    Provider.objects.filter(pk=provider.pk).update(last_synced_at=now, last_error="")
    return SyncResult(len(infos), len(new), len(gone), len(price_changes), imported, repriced)


def _differs(row: UpstreamService, stored: tuple | None) -> bool:
    return stored is None or _compared(row) != _compared(stored)


def _services_selling(provider: Provider, upstream_ids: list[int]):
    """The panel services with an offer among `upstream_ids` (all of the provider's if many)."""
    offers = ServiceOffer.objects.filter(upstream_service__provider=provider)
    if len(upstream_ids) <= 5000:
        offers = offers.filter(upstream_service_id__in=upstream_ids)
    return offers.values("service_id")


def _upstream_row(provider: Provider, info: ServiceInfo, now) -> UpstreamService:
    values = {name: getattr(info, name) for name in _ANSWERED}
    for name, limit in _LIMITS.items():
        values[name] = values[name][:limit]
    return UpstreamService(
        provider=provider,
        upstream_id=info.upstream_id,
        **values,
        active=True,
        first_seen=now,
        last_seen=now,
    )


def _import(provider: Provider, upstream: list[UpstreamService]) -> int:
    """Create a priced panel service (and its category) for each new upstream service."""
    if not upstream:
        return 0
    names = {row.category or "Other" for row in upstream}
    Category.objects.bulk_create([Category(name=n) for n in names], ignore_conflicts=True)
    categories = dict(Category.objects.filter(name__in=names).values_list("name", "id"))
    markups = Markups.load()
    services = Service.objects.bulk_create(
        [
            _new_service(provider, row, categories[row.category or "Other"], markups)
            for row in upstream
        ]
    )
    ServiceOffer.objects.bulk_create(
        [
            ServiceOffer(service_id=service.pk, upstream_service_id=row.pk)
            for service, row in zip(services, upstream, strict=True)
        ]
    )
    catalog_changed.send(sender=Service, imported=len(services))
    return len(services)


def _new_service(
    provider: Provider, row: UpstreamService, category_id: int, markups: Markups
) -> Service:
    terms = new_service_terms(row, provider=provider, category_id=category_id, markups=markups)
    return Service(name=row.name, description=row.description, category_id=category_id, **terms)
