"""The reports' figures: sales (orders, revenue, cost, profit, margin) per day, week or month,
top customers, sign-ups and deposits, for a range of days and the filters staff chose.

Sales and deposits are read from the summary tables (reports/summary.py): DailyTotals without a
service filter, DailySales with one. Top customers without a service or category filter come
from the customer summaries, cached until the next refresh; sign-ups from the users (by an
index on their date)."""

import contextlib
import hashlib
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.core.cache import cache
from django.db import connection
from django.db.models import Count, F, QuerySet, Sum
from django.db.models.functions import TruncDate, TruncMonth, TruncWeek

from accounts.models import User
from orders.models import Order
from panel.money import MONEY_PLACES
from payments.methods import method_name

from .models import (
    CustomerDays,
    CustomerMonths,
    DailyDeposits,
    DailySales,
    DailyTotals,
    RefreshMark,
)
from .summary import day_range

PERIODS = ("day", "week", "month")
TRUNC = {"day": None, "week": TruncWeek, "month": TruncMonth}
TOP_CUSTOMERS = 20
ZERO = Decimal(0)
# Top customers from the summaries stay cached this long at most (a refresh changes the key).
TOP_CACHE_SECONDS = 24 * 3600


@dataclass(frozen=True)
class Filters:
    provider: int | None = None
    category: int | None = None
    service: int | None = None


@dataclass
class SalesRow:
    start: date
    orders: int = 0
    charged: Decimal = ZERO
    refunded: Decimal = ZERO
    cost: Decimal = ZERO
    uncosted: int = 0
    open: int = 0

    @property
    def revenue(self) -> Decimal:
        return self.charged - self.refunded

    @property
    def profit(self) -> Decimal:
        return self.revenue - self.cost

    @property
    def margin(self) -> Decimal | None:
        """Profit as a percentage of revenue, to 0.1 (None without revenue)."""
        if not self.revenue:
            return None
        return (self.profit * 100 / self.revenue).quantize(Decimal("0.1"), ROUND_HALF_UP)

    def add(self, other: "SalesRow") -> None:
        for name in ("orders", "charged", "refunded", "cost", "uncosted", "open"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass
class Report:
    period: str
    first: date
    last: date
    filters: Filters
    sales: list[SalesRow] = field(default_factory=list)
    total: SalesRow | None = None


def default_range(period: str, today: date) -> tuple[date, date]:
    """The last 30 days, the last 12 weeks (from a Monday) or the last 12 months."""
    if period == "day":
        return today - timedelta(days=29), today
    if period == "week":
        monday = today - timedelta(days=today.weekday())
        return monday - timedelta(weeks=11), today
    first = today.replace(day=1)
    for _ in range(11):
        first = (first - timedelta(days=1)).replace(day=1)
    return first, today


def bucket_of(period: str, day: date) -> date:
    if period == "week":
        return day - timedelta(days=day.weekday())
    if period == "month":
        return day.replace(day=1)
    return day


def buckets(period: str, first: date, last: date) -> list[date]:
    """Every bucket start from the one holding `first` to the one holding `last`."""
    starts, day = [], bucket_of(period, first)
    while day <= last:
        starts.append(day)
        day = (
            day + timedelta(days=1)
            if period == "day"
            else day + timedelta(weeks=1)
            if period == "week"
            else (day + timedelta(days=32)).replace(day=1)
        )
    return starts


def summary_rows(first: date, last: date, filters: Filters) -> QuerySet:
    """The summary rows of the range under the filters: the coarse table unless a service is
    asked (DailySales has about a row per order on a panel with many services)."""
    table = DailySales if filters.service else DailyTotals
    rows = table.objects.filter(day__gte=first, day__lte=last)
    if filters.service:
        rows = rows.filter(service_id=filters.service)
    if filters.provider:
        rows = rows.filter(provider_id=filters.provider)
    if filters.category:
        rows = rows.filter(category_id=filters.category)
    return rows


def sales(period: str, first: date, last: date, filters: Filters) -> Report:
    rows = summary_rows(first, last, filters)
    trunc = TRUNC[period]
    start = trunc("day") if trunc else F("day")
    added = (
        rows.annotate(start=start)
        .values("start")
        .annotate(
            n_orders=Sum("orders"),
            n_charged=Sum("charged"),
            n_refunded=Sum("refunded"),
            n_cost=Sum("cost"),
            n_uncosted=Sum("uncosted"),
            n_open=Sum("open"),
        )
        .order_by("start")
    )
    found = {
        _as_date(r["start"]): SalesRow(
            start=_as_date(r["start"]),
            orders=r["n_orders"],
            charged=r["n_charged"],
            refunded=r["n_refunded"],
            cost=_money(r["n_cost"]),
            uncosted=r["n_uncosted"],
            open=r["n_open"],
        )
        for r in added
    }
    report = Report(period, first, last, filters)
    report.sales = [found.get(start, SalesRow(start)) for start in buckets(period, first, last)]
    report.total = SalesRow(first)
    for row in report.sales:
        report.total.add(row)
    return report


def _as_date(value) -> date:
    return value.date() if hasattr(value, "date") else value


def _money(value: Decimal) -> Decimal:
    """A summed cost (10 places) to the panel's money places."""
    return Decimal(value).quantize(MONEY_PLACES, ROUND_HALF_UP)


def top_customers(first: date, last: date, filters: Filters, limit: int = TOP_CUSTOMERS):
    """The customers who spent most (charges minus refunds) on orders placed in the range.

    Without a filter: the whole months of the range from CustomerMonths, the days around them
    from CustomerDays; by provider: CustomerDays; by service or category: the orders (a
    service's by its index). Added up, ranked and cut in the database, in one statement."""
    if filters.service or filters.category:
        start, end = day_range(first, last)
        orders = Order.objects.filter(created_at__gte=start, created_at__lt=end)
        if filters.service:
            orders = orders.filter(service_id=filters.service)
        if filters.provider:
            orders = orders.filter(provider_id=filters.provider)
        if filters.category:
            orders = orders.filter(service__category_id=filters.category)
        ranked = (
            orders.values("user_id")
            .annotate(n=Count("id"), s=Sum(F("charge") - F("refunded")))
            .order_by("-s", "user_id")
            .values_list("user_id", "n", "s")[:limit]
        )
        top = list(ranked)
    else:
        top = _cached_top(first, last, filters.provider, limit)
    names = dict(User.objects.filter(pk__in=[u for u, _, _ in top]).values_list("id", "username"))
    return [
        {"user_id": u, "username": names.get(u, ""), "orders": n, "spend": amount}
        for u, n, amount in top
    ]


def summary_version() -> str | None:
    """What identifies the summary tables' contents: they change only when `refresh` runs, and
    each run moves its mark (None before the first)."""
    mark = RefreshMark.objects.values_list("id", "ledger_id", "refreshed_at").first()
    if mark is None:
        return None
    ident, ledger_id, refreshed_at = mark
    database = connection.settings_dict["NAME"]
    return f"{database}:{ident}:{ledger_id}:{refreshed_at.isoformat() if refreshed_at else ''}"


def _cached_top(first: date, last: date, provider: int | None, limit: int) -> list:
    """Top customers from the summaries, kept in the cache until the next refresh: adding up
    ~80,000 customer-days for 30 days costs a few hundred ms on a big panel, and the answer
    cannot change before the summaries do (the version is part of the key)."""
    version = summary_version()
    if version is None:
        return _top_from_summaries(first, last, provider, limit)
    key = (
        "reports:top:"
        + hashlib.sha256(f"{version}|{first}|{last}|{provider}|{limit}".encode()).hexdigest()
    )
    top = None
    with contextlib.suppress(Exception):  # a cache that does not answer only costs time
        top = cache.get(key)
    if top is None:
        top = _top_from_summaries(first, last, provider, limit)
        with contextlib.suppress(Exception):
            cache.set(key, top, TOP_CACHE_SECONDS)
    return top


def _top_from_summaries(first: date, last: date, provider: int | None, limit: int) -> list:
    months, days = _whole_months(first, last) if provider is None else ([], [(first, last)])
    parts, params = [], []
    if months:
        placeholders = ", ".join(["%s"] * len(months))
        parts.append(
            f"SELECT user_id, orders, spend FROM {CustomerMonths._meta.db_table} "  # noqa: S608
            f"WHERE month IN ({placeholders})"
        )
        params += months
    for part_first, part_last in days:
        where = "day >= %s AND day <= %s"
        params += [part_first, part_last]
        if provider is not None:
            where += " AND provider_id = %s"
            params.append(provider)
        parts.append(
            f"SELECT user_id, orders, spend FROM {CustomerDays._meta.db_table} WHERE {where}"  # noqa: S608
        )
    union = " UNION ALL ".join(parts)  # table names from the models, values as parameters
    sql = f"SELECT user_id, SUM(orders), SUM(spend) FROM ({union}) AS t GROUP BY user_id ORDER BY 3 DESC, 1 LIMIT %s"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, limit])
        # SQLite sums decimals as floats: back to money places (PostgreSQL answers Decimal).
        return [
            (user, int(n), s if isinstance(s, Decimal) else _money(Decimal(repr(s))))
            for user, n, s in cursor.fetchall()
        ]


def _whole_months(first: date, last: date) -> tuple[list[date], list[tuple[date, date]]]:
    """The months wholly inside [first, last], and the stretches of days outside them."""
    month = first if first.day == 1 else (first.replace(day=1) + timedelta(days=32)).replace(day=1)
    months = []
    while True:
        following = (month + timedelta(days=32)).replace(day=1)
        if following - timedelta(days=1) > last:
            break
        months.append(month)
        month = following
    if not months:
        return [], [(first, last)]
    edges = []
    if first < months[0]:
        edges.append((first, months[0] - timedelta(days=1)))
    after = (months[-1] + timedelta(days=32)).replace(day=1)
    if after <= last:
        edges.append((after, last))
    return months, edges


def signups(period: str, first: date, last: date) -> list[dict]:
    """Customers (not staff) who signed up, per bucket."""
    start, end = day_range(first, last)
    joined = User.objects.filter(is_staff=False, date_joined__gte=start, date_joined__lt=end)
    trunc = TRUNC[period] or TruncDate
    counts = {
        _as_date(r["start"]): r["n"]
        for r in joined.annotate(start=trunc("date_joined")).values("start").annotate(n=Count("id"))
    }
    return [{"start": s, "signups": counts.get(s, 0)} for s in buckets(period, first, last)]


def deposits(first: date, last: date) -> list[dict]:
    """What each payment method credited in the range (deposit rows of the ledger)."""
    rows = (
        DailyDeposits.objects.filter(day__gte=first, day__lte=last)
        .values("method")
        .annotate(n=Sum("deposits"), total=Sum("amount"))
        .order_by("-total", "method")
    )
    return [
        {
            "method": r["method"],
            "name": method_name(r["method"]),
            "deposits": r["n"],
            "amount": r["total"],
        }
        for r in rows
    ]
