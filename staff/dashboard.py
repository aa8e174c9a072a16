"""What the staff dashboard shows, gathered in a few queries: balances with their 30-day
charts and alerts, the held orders of each provider, health, and the needs-a-hand counts."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count

from catalog.models import Provider
from orders.models import Order, OrderStatus

from . import needs
from .balances import HISTORY_DAYS, BalanceView, balance_views
from .charts import Chart, line_chart
from .health import Health, health_by_provider

HELD_SHOWN = 10


@dataclass
class ProviderPanel:
    balance: BalanceView
    chart: Chart | None
    hour: Health
    day: Health
    held: list[Order]
    held_count: int

    @property
    def provider(self) -> Provider:
        return self.balance.provider

    @property
    def health_rows(self) -> list[tuple[str, Health]]:
        return [("hour", self.hour), ("day", self.day)]


def provider_panels(now: datetime, providers=None) -> list[ProviderPanel]:
    start = now - timedelta(days=HISTORY_DAYS)
    hour, day = health_by_provider(now, "hour"), health_by_provider(now, "day")
    held_orders = Order.objects.filter(status=OrderStatus.HELD, provider__isnull=False)
    held_counts = dict(
        held_orders.order_by()
        .values_list("provider_id")
        .annotate(n=Count("pk"))
        .values_list("provider_id", "n")
    )
    held: dict[int, list[Order]] = defaultdict(list)
    # The oldest few of each provider: a bounded read, however many are held.
    for order in held_orders.select_related("service").order_by("id")[: HELD_SHOWN * 20]:
        if len(held[order.provider_id]) < HELD_SHOWN:
            held[order.provider_id].append(order)
    panels = []
    for view in balance_views(now, providers):
        pid = view.provider.pk
        chart = line_chart(
            view.points,
            start=start,
            end=now,
            threshold=view.threshold,
            label=f"{view.provider.name}: balance over the last {HISTORY_DAYS} days",
        )
        panels.append(
            ProviderPanel(
                view,
                chart,
                hour.get(pid, Health()),
                day.get(pid, Health()),
                held[pid],
                held_counts.get(pid, 0),
            )
        )
    return panels


def dashboard(now: datetime) -> dict:
    panels = provider_panels(now)
    counts = needs.counts(now)
    return {
        "panels": panels,
        "alerts": [p for p in panels if p.balance.low],
        "needs": [
            (code, needs.TITLES[code][0], n, needs.list_url(code)) for code, n in counts.items()
        ],  # fmt: skip
        "needs_total": sum(counts.values()),
        "now": now,
    }
