"""Average time per service: how long the panel's own recent completed orders took, per 1000.

For each service: its latest SAMPLE orders that completed (status Completed, not drip-feed,
at least MIN_QUANTITY units), placed within the last WINDOW; the time of each is from placing
to completing (the order's `updated_at`, which its final move sets and nothing changes after);
the average is their total time over their total quantity, × 1000. Fewer than MIN_ORDERS such
orders: no figure ("not enough data"). A beat job (catalog.tasks.update_average_times) writes
it into Service.average_seconds; pages only read the column.
"""

from collections import defaultdict
from datetime import timedelta

from django.apps import apps
from django.db.models import F, Window
from django.db.models.functions import RowNumber
from django.utils import timezone

from .models import Service

SAMPLE = 10  # the latest orders each average is made of
MIN_ORDERS = 3  # fewer, and there is no figure
MIN_QUANTITY = 100  # smaller orders are mostly the provider's start-up delay
WINDOW = timedelta(days=90)  # "recent"


def average_seconds(samples: list[tuple[int, float]]) -> int | None:
    """Seconds per 1000 from (quantity, seconds) pairs: total time over total quantity."""
    if len(samples) < MIN_ORDERS:
        return None
    quantity = sum(q for q, _ in samples)
    seconds = sum(max(s, 0) for _, s in samples)
    return round(seconds * 1000 / quantity) if quantity else None


def compute(*, now=None) -> dict[int, int | None]:
    """Every service's average from the orders: one query (a window over recent completed
    orders, the latest SAMPLE of each service)."""
    order = apps.get_model("orders", "Order")  # catalog does not import orders
    now = now or timezone.now()
    latest = (
        order.objects.filter(
            status="completed",
            runs__isnull=True,
            quantity__gte=MIN_QUANTITY,
            created_at__gte=now - WINDOW,
        )
        .annotate(rank=Window(RowNumber(), partition_by=[F("service_id")], order_by=F("id").desc()))
        .filter(rank__lte=SAMPLE)
        .values_list("service_id", "quantity", "created_at", "updated_at")
    )
    samples: dict[int, list[tuple[int, float]]] = defaultdict(list)
    for service_id, quantity, created, finished in latest:
        samples[service_id].append((quantity, (finished - created).total_seconds()))
    return {service_id: average_seconds(pairs) for service_id, pairs in samples.items()}


def update_average_times(*, now=None) -> int:
    """Write each service's average (or none) where it changed; returns how many changed."""
    found = compute(now=now)
    changed = []
    for service in Service.objects.only("id", "average_seconds").iterator(chunk_size=2000):
        value = found.get(service.pk)
        if service.average_seconds != value:
            service.average_seconds = value
            changed.append(service)
    Service.objects.bulk_update(changed, ["average_seconds"], batch_size=500)
    return len(changed)


def average_text(seconds: int | None) -> str:
    """An average for people: "2 hours 5 minutes", "3 days 4 hours"; "" without one."""
    if seconds is None:
        return ""
    minutes = round(seconds / 60)
    if minutes < 1:
        return "under a minute"
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    parts = [(days, "day"), (hours, "hour")] if days else [(hours, "hour"), (minutes, "minute")]
    return " ".join(f"{n} {unit}{'s' if n != 1 else ''}" for n, unit in parts if n) or (
        f"{days} day{'s' if days != 1 else ''}"
    )


NOT_ENOUGH_DATA = "Not enough data"
