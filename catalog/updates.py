"""The Updates page: what changed in the catalog lately, as customers see it.

New           a service put on sale (its `created_at`)
Price up/down its main offer's cost changed (the PriceChange rows every sync records), so its
              selling rate moved the same way (a fixed rate does not move: left out); the
              page shows the direction, the change in percent and today's selling rate,
              never the cost
Disabled      its offer vanished from the provider's list (the sync made it inactive; dated
              by when the sync last saw it)
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.utils import timezone

from panel.money import format_rate

from .models import PriceChange, Service

WINDOW = timedelta(days=30)
LIMIT = 200  # the newest changes shown


@dataclass(frozen=True)
class Update:
    at: datetime
    kind: str  # new | up | down | disabled
    service_id: int
    name: str
    rate: Decimal
    percent: Decimal | None = None  # for a price change

    @property
    def rate_text(self) -> str:
        return format_rate(self.rate)

    @property
    def label(self) -> str:
        return {"new": "New", "up": "Price up", "down": "Price down", "disabled": "Disabled"}[
            self.kind
        ]


def recent_updates(*, now: datetime | None = None, limit: int = LIMIT) -> list[Update]:
    """The newest changes of the last WINDOW, newest first: three queries."""
    since = (now or timezone.now()) - WINDOW
    on_sale = {"enabled": True, "available": True, "category__enabled": True}
    updates = [
        Update(at, "new", pk, name, rate)
        for pk, name, rate, at in Service.objects.filter(created_at__gte=since, **on_sale)
        .order_by("-created_at")
        .values_list("id", "name", "rate", "created_at")[:limit]
    ]
    changes = (
        PriceChange.objects.filter(
            seen_at__gte=since,
            upstream_service__service_offers__priority=0,
            upstream_service__service_offers__service__fixed_rate__isnull=True,
            **{f"upstream_service__service_offers__service__{k}": v for k, v in on_sale.items()},
        )
        .order_by("-seen_at", "-id")
        .values_list(
            "seen_at", "old_rate", "new_rate", "upstream_service__service_offers__service_id",
            "upstream_service__service_offers__service__name",
            "upstream_service__service_offers__service__rate",
        )[:limit]
    )  # fmt: skip
    for at, old, new, pk, name, rate in changes:
        if old == new or not old:
            continue
        percent = ((new - old) * 100 / old).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
        updates.append(Update(at, "up" if new > old else "down", pk, name, rate, percent))
    gone = (
        Service.objects.filter(
            available=False,
            service_offers__priority=0,
            service_offers__upstream_service__active=False,
            service_offers__upstream_service__last_seen__gte=since,
        )
        .order_by("-service_offers__upstream_service__last_seen")
        .values_list("id", "name", "rate", "service_offers__upstream_service__last_seen")[:limit]
    )
    updates += [Update(at, "disabled", pk, name, rate) for pk, name, rate, at in gone]
    updates.sort(key=lambda u: (u.at, u.service_id), reverse=True)
    return updates[:limit]
