"""Provider balances over time: the history, the low-balance alert (one mail per crossing) and
how long a balance lasts at the recent spending rate.

`record()` is connected to catalog.balances.balance_checked (staff/signals.py), so every check
— the beat job's every 10 minutes, the admin's "Check balance", the release of held orders —
adds a reading.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db import connection, transaction
from django.db.models import Q
from django.db.models.functions import Trunc
from django.urls import reverse

from catalog.models import Provider
from outbox.mail import queue_template

from .models import BalanceReading, ProviderWatch

SPENDING_WINDOW = timedelta(days=7)
HISTORY_DAYS = 30


def record(*, provider: Provider, amount: Decimal, currency: str, checked_at: datetime) -> bool:
    """Keep one reading and raise or clear the low-balance alert; returns whether this reading
    crossed below the threshold (and so queued the staff mail, once)."""
    with transaction.atomic():
        BalanceReading.objects.create(
            provider=provider, amount=amount, currency=currency, checked_at=checked_at
        )
        watch = ProviderWatch.objects.filter(pk=provider.pk)
        # Compare-and-set: of two checks at once, one crosses; a check above clears.
        crossed = watch.filter(low_balance__gt=amount, low_since__isnull=True).update(
            low_since=checked_at
        )
        watch.filter(low_since__isnull=False).exclude(low_balance__gt=amount).update(low_since=None)
        if crossed:
            threshold = watch.values_list("low_balance", flat=True).first()
            _mail_staff(provider, amount, currency, threshold, checked_at)
    return bool(crossed)


def _mail_staff(provider, amount, currency, threshold, checked_at) -> None:
    queue_template(
        key=f"staff:low-balance:{provider.pk}:{checked_at.isoformat()}",
        to=staff_addresses(),
        template="staff/mail/low_balance",
        context={
            "provider": provider,
            "amount": amount,
            "currency": currency or provider.currency,
            "threshold": threshold,
            "url": settings.PANEL_URL.rstrip("/") + reverse("staff:dashboard"),
        },
    )


def staff_addresses() -> list[str]:
    """The active staff who may see the dashboard and have an address."""
    perm = Permission.objects.filter(codename="view_dashboard", content_type__app_label="staff")
    people = get_user_model().objects.filter(is_active=True, is_staff=True).exclude(email="")
    people = people.filter(
        Q(is_superuser=True) | Q(user_permissions__in=perm) | Q(groups__permissions__in=perm)
    )
    return sorted(set(people.values_list("email", flat=True)))


@dataclass
class BalanceView:
    """A provider's balance as the dashboard shows it."""

    provider: Provider
    amount: Decimal | None
    currency: str
    in_panel: Decimal | None  # converted at the provider's exchange rate
    checked_at: datetime | None
    threshold: Decimal | None
    low_since: datetime | None
    per_day: Decimal | None  # spent per day, recently
    days_left: Decimal | None
    points: list[tuple[datetime, Decimal]]  # the last 30 days, one per hour at most

    @property
    def low(self) -> bool:
        return self.low_since is not None


def balance_views(now: datetime, providers=None) -> list[BalanceView]:
    providers = list(providers if providers is not None else Provider.objects.order_by("name"))
    watches = {w.pk: w for w in ProviderWatch.objects.filter(pk__in=[p.pk for p in providers])}
    readings = hourly_readings([p.pk for p in providers], now - timedelta(days=HISTORY_DAYS))
    views = []
    for provider in providers:
        watch = watches.get(provider.pk)
        history = readings.get(provider.pk, [])
        amount, currency = provider.balance, provider.balance_currency or provider.currency
        per_day = spending_per_day([r for r in history if r[0] >= now - SPENDING_WINDOW])
        views.append(
            BalanceView(
                provider=provider,
                amount=amount,
                currency=currency,
                in_panel=in_panel_currency(provider, amount),
                checked_at=provider.balance_checked_at,
                threshold=watch.low_balance if watch else None,
                low_since=watch.low_since if watch else None,
                per_day=per_day,
                days_left=(amount / per_day).quantize(Decimal("0.1"))
                if per_day and amount is not None and amount > 0
                else None,
                points=history,
            )
        )
    return views


def in_panel_currency(provider: Provider, amount: Decimal | None) -> Decimal | None:
    if amount is None:
        return None
    if provider.balance_currency and provider.balance_currency != provider.currency:
        return None  # the provider reports in a currency its exchange rate is not for
    return (amount * provider.exchange_rate).quantize(Decimal("0.01"))


def spending_per_day(history: list[tuple[datetime, Decimal]]) -> Decimal | None:
    """What the balance went down by per day over `history` (hourly readings; top-ups are
    not spending);
    None with fewer than two readings an hour apart."""
    if len(history) < 2:
        return None
    span = (history[-1][0] - history[0][0]).total_seconds() / 86400
    if span < 1 / 24:
        return None
    pairs = zip(history, history[1:], strict=False)
    spent = sum((max(before - after, Decimal(0)) for (_, before), (_, after) in pairs), Decimal(0))
    if not spent:
        return None
    return (spent / Decimal(str(span))).quantize(Decimal("0.01"))


def hourly_readings(
    provider_ids: list[int], since: datetime
) -> dict[int, list[tuple[datetime, Decimal]]]:
    """Each provider's last reading of each hour since `since`, oldest first: at most 720
    points for 30 days (a check every 10 minutes is 4,320 rows). On PostgreSQL the database
    picks them (DISTINCT ON over the (provider, checked_at) index)."""
    rows = BalanceReading.objects.filter(provider_id__in=provider_ids, checked_at__gte=since)
    result: dict[int, list[tuple[datetime, Decimal]]] = defaultdict(list)
    if connection.vendor == "postgresql":
        picked = (
            rows.annotate(hour=Trunc("checked_at", "hour"))
            .order_by("provider_id", "hour", "-checked_at", "-id")
            .distinct("provider_id", "hour")
            .values_list("provider_id", "hour", "checked_at", "amount")
        )
        for pid, _, at, amount in picked:
            result[pid].append((at, amount))
        return result
    last: dict[tuple[int, datetime], tuple[datetime, Decimal]] = {}
    for pid, at, amount in rows.order_by("checked_at", "id").values_list(
        "provider_id", "checked_at", "amount"
    ):
        last[(pid, at.replace(minute=0, second=0, microsecond=0))] = (at, amount)
    for (pid, _), point in sorted(last.items(), key=lambda item: item[1][0]):
        result[pid].append(point)
    return result
