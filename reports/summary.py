"""Adding up the orders and deposits of each day into the summary tables (reports/models.py).

`refresh()` runs from beat (panel/celery.py) every few minutes and is safe to run twice at the
same time (an advisory lock on PostgreSQL; SQLite writes one at a time anyway). It adds up
again only the days whose figures may have changed since it last ran:

- every day that had an order not yet final at the last refresh (its refund, cost or status may
  have come since), and every day of an order not final now (a failed order sent again);
- the day of every order and deposit with a ledger row written since the refresh before the
  last one (new orders, refunds, deposits; looking two refreshes back covers a transaction that
  took its ledger id before the last refresh but committed after it).

A day is always added up whole, from the orders and the ledger themselves, so a refresh never
drifts: its figures equal a full rebuild's (tests/reports/test_summary.py).
"""

from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Count, DecimalField, F, Max, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce, TruncDate, TruncMonth
from django.utils import timezone

from accounts.models import LedgerEntry, LedgerKind, Payment
from orders.models import Order, OrderStatus
from orders.profit import panel_cost

from .models import (
    CustomerDays,
    CustomerMonths,
    DailyDeposits,
    DailySales,
    DailyTotals,
    RefreshMark,
)

FINAL = (OrderStatus.COMPLETED, OrderStatus.PARTIAL, OrderStatus.CANCELED, OrderStatus.FAILED)
LOCK = 0x5EB0_0015  # the advisory lock of a refresh on PostgreSQL
DAYS_PER_STATEMENT = 60  # days added up by one INSERT … SELECT

_ZERO = Value(Decimal(0), output_field=DecimalField(max_digits=30, decimal_places=17))
SALES_COLUMNS = (
    "day",
    "service_id",
    "provider_id",
    "category_id",
    "orders",
    "charged",
    "refunded",
    "cost",
    "uncosted",
    "open",
)
CUSTOMER_COLUMNS = ("day", "user_id", "provider_id", "orders", "spend")
MONTH_COLUMNS = ("month", "user_id", "orders", "spend")
TOTALS_COLUMNS = (
    "day",
    "provider_id",
    "category_id",
    "orders",
    "charged",
    "refunded",
    "cost",
    "uncosted",
    "open",
)


def order_cost():
    """An order's cost in the panel currency (orders/profit.py), 0 when not reported."""
    return Coalesce(panel_cost(), _ZERO)


def sales_of(orders: QuerySet) -> QuerySet:
    """`orders` added up per day, service, provider and category, as DailySales holds them."""
    return (
        orders.annotate(day=TruncDate("created_at", tzinfo=UTC))
        .values("day", "service_id", "provider_id", "service__category_id")
        .annotate(
            n_orders=Count("id"),
            n_charged=Sum("charge"),
            n_refunded=Sum("refunded"),
            n_cost=Sum(order_cost()),
            n_uncosted=Count("id", filter=Q(cost__isnull=True, upstream_order_id__isnull=False)),
            n_open=Count("id", filter=~Q(status__in=FINAL)),
        )
        .order_by()
    )


def customers_of(orders: QuerySet) -> QuerySet:
    """`orders` added up per day, customer and provider, as CustomerDays holds them."""
    return (
        orders.annotate(day=TruncDate("created_at", tzinfo=UTC))
        .values("day", "user_id", "provider_id")
        .annotate(n_orders=Count("id"), n_spend=Sum(F("charge") - F("refunded")))
        .order_by()
    )


def _months_of(days: QuerySet) -> QuerySet:
    """CustomerDays rows added up per month and customer, as CustomerMonths holds them."""
    return (
        days.annotate(start=TruncMonth("day"))
        .values("start", "user_id")
        .annotate(n_orders=Sum("orders"), n_spend=Sum("spend"))
        .order_by()
    )


def month_range(month: date) -> tuple[datetime, datetime]:
    following = (month.replace(day=1) + timedelta(days=32)).replace(day=1)
    return day_range(month.replace(day=1), following - timedelta(days=1))


def day_range(first: date, last: date) -> tuple[datetime, datetime]:
    """The instants from the start of `first` to the end of `last` (UTC days)."""
    return (
        datetime.combine(first, time.min, tzinfo=UTC),
        datetime.combine(last + timedelta(days=1), time.min, tzinfo=UTC),
    )


def refresh(*, full: bool = False) -> dict[str, int]:
    """Add up again the days that may have changed (all of them if `full` or never done);
    returns how many days of sales and of deposits were added up."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK])
        mark = RefreshMark.objects.select_for_update().first()
        top = LedgerEntry.objects.aggregate(top=Max("id"))["top"] or 0
        if mark is None or full:
            sales_days, deposit_days = _rebuild()
            mark = mark or RefreshMark()
            mark.previous_ledger_id = mark.ledger_id = top
        else:
            since = mark.previous_ledger_id
            sales_days = _dirty_sales_days(since)
            deposit_days = _dirty_deposit_days(since)
            _add_up_sales(sales_days)
            _add_up_deposits(deposit_days)
            mark.previous_ledger_id, mark.ledger_id = mark.ledger_id, top
        mark.refreshed_at = timezone.now()
        mark.save()
    return {"sales_days": len(sales_days), "deposit_days": len(deposit_days)}


def _rebuild() -> tuple[set, set]:
    DailySales.objects.all().delete()
    DailyTotals.objects.all().delete()
    DailyDeposits.objects.all().delete()
    CustomerDays.objects.all().delete()
    CustomerMonths.objects.all().delete()
    _insert(DailySales, SALES_COLUMNS, sales_of(Order.objects.all()))
    _insert(CustomerDays, CUSTOMER_COLUMNS, customers_of(Order.objects.all()))
    _insert(CustomerMonths, MONTH_COLUMNS, _months_of(CustomerDays.objects.all()))
    _insert(DailyTotals, TOTALS_COLUMNS, _totals_of(DailySales.objects.all()))
    _insert_deposits(None)
    sales = set(DailySales.objects.values_list("day", flat=True).distinct())
    deposits = set(DailyDeposits.objects.values_list("day", flat=True).distinct())
    return sales, deposits


def _dirty_sales_days(since: int) -> set[date]:
    days = set(DailySales.objects.filter(open__gt=0).values_list("day", flat=True).distinct())
    open_now = Order.objects.exclude(status__in=FINAL).order_by()
    days |= _days_of(open_now.values_list("created_at", flat=True))
    touched = LedgerEntry.objects.filter(id__gt=since, order__isnull=False).order_by()
    days |= _days_of(touched.values_list("order__created_at", flat=True))
    return days


def _dirty_deposit_days(since: int) -> set[date]:
    new = LedgerEntry.objects.filter(id__gt=since, kind=LedgerKind.DEPOSIT).order_by()
    return _days_of(new.values_list("created_at", flat=True))


def _days_of(instants: Iterable[datetime]) -> set[date]:
    return {instant.astimezone(UTC).date() for instant in instants}


def _chunks(days: set[date]) -> Iterable[list[date]]:
    ordered = sorted(days)
    for start in range(0, len(ordered), DAYS_PER_STATEMENT):
        yield ordered[start : start + DAYS_PER_STATEMENT]


def _on_days(days: list[date], field: str) -> Q:
    where = Q()
    for day in days:
        first, last = day_range(day, day)
        where |= Q(**{f"{field}__gte": first, f"{field}__lt": last})
    return where


def _add_up_sales(days: set[date]) -> None:
    for chunk in _chunks(days):
        DailySales.objects.filter(day__in=chunk).delete()
        DailyTotals.objects.filter(day__in=chunk).delete()
        _insert(
            DailySales, SALES_COLUMNS, sales_of(Order.objects.filter(_on_days(chunk, "created_at")))
        )
        _insert(DailyTotals, TOTALS_COLUMNS, _totals_of(DailySales.objects.filter(day__in=chunk)))
        CustomerDays.objects.filter(day__in=chunk).delete()
        orders = Order.objects.filter(_on_days(chunk, "created_at"))
        _insert(CustomerDays, CUSTOMER_COLUMNS, customers_of(orders))
    for month in sorted({day.replace(day=1) for day in days}):
        CustomerMonths.objects.filter(month=month).delete()
        first, last = month_range(month)
        month_days = CustomerDays.objects.filter(day__gte=first.date(), day__lt=last.date())
        _insert(CustomerMonths, MONTH_COLUMNS, _months_of(month_days))


def _totals_of(sales: QuerySet) -> QuerySet:
    return (
        sales.values("day", "provider_id", "category_id")
        .annotate(
            n=Sum("orders"),
            charged_=Sum("charged"),
            refunded_=Sum("refunded"),
            cost_=Sum("cost"),
            uncosted_=Sum("uncosted"),
            open_=Sum("open"),
        )
        .order_by()
    )


def _add_up_deposits(days: set[date]) -> None:
    for chunk in _chunks(days):
        DailyDeposits.objects.filter(day__in=chunk).delete()
        _insert_deposits(chunk)


def _insert_deposits(days: list[date] | None) -> None:
    """The deposit rows of `days` (all if None) per day and payment method. Found from the
    payments decided around those days (far fewer than ledger rows), each joined to its one
    deposit row by its unique index, then kept by the deposit row's own day."""
    rows = LedgerEntry.objects.filter(kind=LedgerKind.DEPOSIT)
    if days is not None:
        near = _on_days([d + timedelta(days=k) for d in days for k in (-1, 0, 1)], "decided_at")
        payments = Payment.objects.filter(near).values("id")
        rows = rows.filter(_on_days(days, "created_at"), payment_id__in=payments)
    deposits = (
        rows.annotate(day=TruncDate("created_at", tzinfo=UTC))
        .values("day", "payment__method")
        .annotate(n=Count("id"), total=Sum("amount"))
        .order_by()
    )
    _insert(DailyDeposits, ("day", "method", "deposits", "amount"), deposits)


def _insert(model, columns: tuple[str, ...], rows: QuerySet) -> None:
    """INSERT INTO model (columns) the rows of a values() query, in the database: its select
    list in the order written (values first, then annotations), never through Python."""
    sql, params = rows.query.get_compiler(connection=connection).as_sql()
    qn = connection.ops.quote_name
    names = ", ".join(qn(c) for c in columns)
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {qn(model._meta.db_table)} ({names}) {sql}", params)  # noqa: S608
