"""Catalog sync: one function that brings a provider's services into the panel."""

import logging
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal
from operator import attrgetter

from django.db import transaction
from django.utils import timezone

from .failures import describe
from .models import COST, Category, PriceChange, Provider, Service, ServiceOffer, UpstreamService
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
ID_LIMIT = UpstreamService._meta.get_field("upstream_id").max_length
# What the cost column holds: 20 digits, 7 of them decimals; a rate that rounds to 0 there
# would sell at 0.
MAX_RATE = Decimal(10) ** (COST["max_digits"] - COST["decimal_places"])
RATE_PLACES = Decimal(1).scaleb(-COST["decimal_places"])
MAX_COUNT = 2**63 - 1  # min and max: PositiveBigIntegerField
SKIPPED_SHOWN = 5  # reasons written into the result and onto the provider


@dataclass(frozen=True)
class SyncResult:
    seen: int
    new: int
    vanished: int
    price_changes: int
    imported: int
    repriced: int
    skipped: tuple[str, ...] = ()  # why each left-out catalog item was left out

    def __str__(self) -> str:
        text = (
            f"{self.seen} services: {self.new} new, {self.vanished} vanished, "
            f"{self.price_changes} price changes, {self.imported} imported, "
            f"{self.repriced} panel prices updated"
        )
        return f"{text}; {self.skipped_text}" if self.skipped else text

    @property
    def skipped_text(self) -> str:
        """ "3 services skipped: item 4: rate 0 is not positive; …" (the first few reasons)."""
        if not self.skipped:
            return ""
        shown = "; ".join(self.skipped[:SKIPPED_SHOWN])
        more = f"; and {len(self.skipped) - SKIPPED_SHOWN} more" if len(self.skipped) > 5 else ""
        noun = "service" if len(self.skipped) == 1 else "services"
        return f"{len(self.skipped)} {noun} skipped: {shown}{more}"


def sync_provider(provider: Provider) -> SyncResult:
    """Fetch `services` from the provider and upsert it; a broken answer changes nothing.

    The error, if any, is stored on the provider row and raised again for the caller.
    """
    try:
        infos = provider.client().services()
        infos, skipped, skipped_ids = _storable(infos)
    except UpstreamError as exc:
        _record_failure(provider, f"Sync failed: {exc.message}")
        raise
    try:
        result = _apply(provider, infos, skipped=skipped, skipped_ids=skipped_ids)
    except Exception as exc:  # rolled back: recorded for staff, raised for the caller
        _record_failure(provider, f"Sync failed: {describe(exc)}")
        raise
    log.info("synced provider %s: %s", provider.pk, result)
    return result


def _storable(infos: list[ServiceInfo]) -> tuple[list[ServiceInfo], list[str], set[str]]:
    """The services whose values fit their columns; the others are skipped with a reason (and
    their ids, if readable, kept from being taken as vanished)."""
    skipped = list(getattr(infos, "skipped", ()))
    skipped_ids = set(getattr(infos, "skipped_ids", ()))
    kept = []
    for info in infos:
        why = _unstorable(info)
        if why:
            skipped.append(f"service {info.upstream_id[:40]!r}: {why}")
            if len(info.upstream_id) <= ID_LIMIT:
                skipped_ids.add(info.upstream_id)
        else:
            kept.append(info)
    if infos and not kept:  # nothing storable: a broken answer, not an empty catalog
        raise UpstreamError(
            f"every service skipped ({skipped[0]}, …)", outcome="unknown", action="services"
        )
    return kept, skipped, skipped_ids


def _unstorable(info: ServiceInfo) -> str:
    if len(info.upstream_id) > ID_LIMIT:
        return f"id longer than {ID_LIMIT} characters"
    if info.rate >= MAX_RATE or not info.rate.quantize(RATE_PLACES, rounding=ROUND_DOWN) > 0:
        return f"rate {info.rate} is out of range"
    if not 0 <= info.min <= MAX_COUNT or not 0 <= info.max <= MAX_COUNT:
        return "min or max out of range"
    return ""


def _record_failure(provider: Provider, message: str) -> None:
    Provider.objects.filter(pk=provider.pk).update(last_error=message, last_error_at=timezone.now())
    provider.last_error = message


@transaction.atomic
def _apply(
    provider: Provider,
    infos: list[ServiceInfo],
    *,
    skipped: list[str] = (),
    skipped_ids: set[str] = frozenset(),
) -> SyncResult:
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
    seen = {info.upstream_id for info in infos} | skipped_ids  # a skipped one is still listed
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
    result = SyncResult(
        len(infos), len(new), len(gone), len(price_changes), imported, repriced, tuple(skipped)
    )
    # Skipped services are staff's business: the note stays on the provider until a clean sync.
    note = f"Sync: {result.skipped_text}"[:2000] if skipped else ""
    Provider.objects.filter(pk=provider.pk).update(
        last_synced_at=now, last_error=note, **({"last_error_at": now} if note else {})
    )
    provider.last_error = note
    return result


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
