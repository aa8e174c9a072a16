"""The summary tables the worker refreshes: an incremental refresh after new orders,
settlements, refunds and deposits gives exactly what a full rebuild gives, and what the
orders and the ledger say."""

from decimal import Decimal

from django.db.models import Sum

from accounts.models import LedgerEntry, LedgerKind, Payment
from orders.models import Order, OrderStatus
from orders.settlement import settle
from payments.crediting import approve_payment
from reports import summary
from reports.models import (
    CustomerDays,
    CustomerMonths,
    DailyDeposits,
    DailySales,
    DailyTotals,
    RefreshMark,
)


def snapshot():
    sales = sorted(
        DailySales.objects.values_list(
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
        ),
        key=repr,  # provider may be None
    )
    totals = sorted(
        DailyTotals.objects.values_list(
            "day",
            "provider_id",
            "category_id",
            "orders",
            "charged",
            "refunded",
            "cost",
            "uncosted",
            "open",
        ),
        key=repr,
    )
    deposits = sorted(DailyDeposits.objects.values_list("day", "method", "deposits", "amount"))
    customers = sorted(
        CustomerDays.objects.values_list("day", "user_id", "provider_id", "orders", "spend"),
        key=repr,
    )
    months = sorted(CustomerMonths.objects.values_list("month", "user_id", "orders", "spend"))
    return sales, totals, deposits, customers, months


def test_incremental_refresh_equals_a_full_rebuild(shop, sam):
    summary.refresh()  # the first refresh builds everything
    assert RefreshMark.objects.get().ledger_id == LedgerEntry.objects.latest("id").id

    # Then the shop goes on: the running order completes (no ledger row: only its cost
    # changes), a new order is placed 3 days back, another deposit arrives.
    running = Order.objects.get(status=OrderStatus.IN_PROGRESS)
    assert settle(running, status=OrderStatus.COMPLETED, refund=Decimal(0), cost=Decimal("1.9"))
    shop.place("carol", "likes", days_ago=3)
    payment = Payment.objects.create(
        user=shop.customers["carol"], method="manual", amount=Decimal("7")
    )
    approve_payment(payment_id=payment.pk, by=sam)

    done = summary.refresh()
    assert done["sales_days"] == 2  # today (had an open order) and 3 days ago (a new order)
    assert done["deposit_days"] == 1
    incremental = snapshot()
    summary.refresh(full=True)
    assert snapshot() == incremental

    sales, _, deposits, customers, months = incremental
    assert (
        sum(row[5] for row in sales)
        == -LedgerEntry.objects.filter(kind=LedgerKind.CHARGE).aggregate(t=Sum("amount"))["t"]
    )
    assert (
        sum(row[6] for row in sales)
        == LedgerEntry.objects.filter(kind=LedgerKind.REFUND).aggregate(t=Sum("amount"))["t"]
    )
    assert (
        sum(row[3] for row in deposits)
        == LedgerEntry.objects.filter(kind=LedgerKind.DEPOSIT).aggregate(t=Sum("amount"))["t"]
    )
    assert sum(row[4] for row in customers) == sum(row[5] - row[6] for row in sales)
    assert sum(row[3] for row in months) == sum(row[4] for row in customers)
    # The totals table adds up the sales table.
    _, totals, _, _, _ = incremental
    assert sum(row[3] for row in totals) == sum(row[4] for row in sales) == Order.objects.count()


def test_a_quiet_refresh_adds_up_only_days_with_open_orders(shop):
    summary.refresh()
    summary.refresh()  # looks two refreshes back in the ledger
    assert summary.refresh() == {"sales_days": 1, "deposit_days": 0}  # today: one order open
    Order.objects.filter(status=OrderStatus.IN_PROGRESS).update(status=OrderStatus.COMPLETED)
    summary.refresh()  # adds today up once more: it had an open order
    assert summary.refresh() == {"sales_days": 0, "deposit_days": 0}


def test_the_beat_task_refreshes(shop):
    from panel.celery import app
    from reports.tasks import refresh_summary

    assert "reports.tasks.refresh_summary" in {
        entry["task"] for entry in app.conf.beat_schedule.values()
    }
    refresh_summary()
    assert DailySales.objects.exists() and DailyDeposits.objects.exists()
