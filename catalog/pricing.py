"""Selling rates: markup precedence and keeping panel services in step with their offers."""

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

from django.db.models import QuerySet

from panel.db import bulk_update_values
from panel.money import selling_rate

from .models import MarkupRule, Provider, Service, ServiceOffer, UpstreamService
from .signals import catalog_changed

ZERO = Decimal(0)


@dataclass(frozen=True)
class Markups:
    """Every category, provider and global markup rule, loaded in one query."""

    by_category: dict[int, Decimal]
    by_provider: dict[int, Decimal]
    default: Decimal

    @classmethod
    def load(cls) -> "Markups":
        by_category, by_provider, default = {}, {}, ZERO
        for category_id, provider_id, percent in MarkupRule.objects.values_list(
            "category_id", "provider_id", "percent"
        ):
            if category_id:
                by_category[category_id] = percent
            elif provider_id:
                by_provider[provider_id] = percent
            else:
                default = percent
        return cls(by_category, by_provider, default)

    def percent(
        self, *, service_markup: Decimal | None, category_id: int, provider_id: int
    ) -> Decimal:
        """Precedence: service > category > provider > global default."""
        if service_markup is not None:
            return service_markup
        if category_id in self.by_category:
            return self.by_category[category_id]
        return self.by_provider.get(provider_id, self.default)


# What a panel service takes from the upstream service it sells, and from that one's provider.
OFFER_TERMS = ("active", "rate", "refill", "cancel", "dripfeed", "type", "min", "max")
_OFFER_FIELDS = (
    "service_id",
    "service__markup_percent",
    "service__fixed_rate",
    "service__category_id",
    "service__min_override",
    "service__max_override",
    *(f"upstream_service__{name}" for name in OFFER_TERMS),
    "upstream_service__provider_id",
    "upstream_service__provider__enabled",
    "upstream_service__provider__exchange_rate",
)
# The fields of Service that follow from its offers; kept in this order below.
_DERIVED = ("rate", "available", "refill", "cancel", "dripfeed", "type", "min", "max")


def refresh_services(services: Iterable[int] | QuerySet | None = None) -> int:
    """Recompute the selling rate, availability, flags and quantity range of panel services.

    A service sells its first usable offer by priority (upstream active, provider enabled);
    with none usable it is unavailable and keeps the price of its primary offer. Three queries
    plus one bulk write of the rows that changed, whatever the catalog size. `services` (ids,
    or a queryset of ids) limits the work; None refreshes all. Returns how many changed.
    """
    offers = ServiceOffer.objects.order_by("service_id", "priority", "id")
    current = Service.objects.all()
    if services is not None:
        offers = offers.filter(service_id__in=services)
        current = current.filter(id__in=services)
    chosen: dict[int, Any] = {}
    for offer in offers.values_list(*_OFFER_FIELDS, named=True):
        best = chosen.get(offer.service_id)
        if best is None or (_usable(offer) and not _usable(best)):
            chosen[offer.service_id] = offer
    markups = Markups.load()
    changes = []
    for service_id, *old in current.values_list("id", *_DERIVED):
        if service_id not in chosen:  # a service with no offer keeps what it has
            continue
        new = _derive(chosen[service_id], markups)
        if new != tuple(old):
            changes.append((service_id, *new))
    bulk_update_values(Service, _DERIVED, changes)
    if changes:
        catalog_changed.send(sender=Service, repriced=len(changes))
    return len(changes)


def markup_rules_changed(**_signal) -> int:
    """A markup rule was created, changed or deleted (by any path): reprice every service,
    since a rule's scope may have moved too. Rules change rarely; a reprice of the whole
    catalog is three queries and one bulk write of what changed. Connected to MarkupRule's
    post_save and post_delete (catalog/apps.py); bulk writes call it from the queryset."""
    return refresh_services()


def new_service_terms(
    upstream: UpstreamService, *, provider: Provider, category_id: int, markups: Markups
) -> dict[str, Any]:
    """The derived fields of a new panel service selling `upstream`, with no overrides yet.

    Lets a sync create services already priced instead of writing them twice.
    """
    offer = SimpleNamespace(
        service__fixed_rate=None,
        service__markup_percent=None,
        service__category_id=category_id,
        service__min_override=None,
        service__max_override=None,
        **{f"upstream_service__{name}": getattr(upstream, name) for name in OFFER_TERMS},
        upstream_service__provider_id=provider.pk,
        upstream_service__provider__enabled=provider.enabled,
        upstream_service__provider__exchange_rate=provider.exchange_rate,
    )
    return dict(zip(_DERIVED, _derive(offer, markups), strict=True))


def _usable(offer: Any) -> bool:
    return bool(offer.upstream_service__active and offer.upstream_service__provider__enabled)


def _derive(offer: Any, markups: Markups) -> tuple:
    """The values of _DERIVED for a service selling `offer`."""
    if offer.service__fixed_rate is not None:
        rate = offer.service__fixed_rate
    else:
        percent = markups.percent(
            service_markup=offer.service__markup_percent,
            category_id=offer.service__category_id,
            provider_id=offer.upstream_service__provider_id,
        )
        rate = selling_rate(
            cost=offer.upstream_service__rate,
            exchange_rate=offer.upstream_service__provider__exchange_rate,
            markup_percent=percent,
        )
    low = max(offer.upstream_service__min, offer.service__min_override or 0)
    high = min(
        offer.upstream_service__max, offer.service__max_override or offer.upstream_service__max
    )
    return (
        rate,
        # Nothing sells at zero by accident: a rate of 0 (a -100% markup, a fixed rate of 0)
        # takes the service off sale, as an empty quantity range does.
        _usable(offer) and low <= high and rate > 0,
        offer.upstream_service__refill,
        offer.upstream_service__cancel,
        offer.upstream_service__dripfeed,
        offer.upstream_service__type,
        low,
        high,
    )
