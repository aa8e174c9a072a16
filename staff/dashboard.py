"""What the staff dashboard shows, gathered in a few queries: balances with their 30-day
charts and alerts, the held orders of each provider, health, and the needs-a-hand counts."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

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
    held: dict[int, list[Order]] = defaultdict(list)
    held_counts: dict[int, int] = defaultdict(int)
    for order in (
        Order.objects.filter(status=OrderStatus.HELD, provider__isnull=False)
        .select_related("service")
        .order_by("id")
    ):
        held_counts[order.provider_id] += 1
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
                held_counts[pid],
            )  # fmt: skip
        )
    return panels


def dashboard(now: datetime) -> dict:
    panels = provider_panels(now)
    counts = needs.counts(now)
    return {
        "panels": panels,
        "alerts": [p for p in panels if p.balance.low],
        "needs": [
            (code, needs.TITLES[code][0], n, needs._list_url(code)) for code, n in counts.items()
        ],  # fmt: skip
        "needs_total": sum(counts.values()),
        "now": now,
    }
