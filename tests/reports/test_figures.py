"""The reports' figures equal what the ledger and the orders say, recomputed here from the
ledger rows of a shop the test built (tests/reports/conftest.py)."""

from datetime import date, timedelta
from decimal import Decimal

from django.db.models import F, Sum
from django.utils import timezone

from accounts.models import LedgerEntry, LedgerKind
from panel.money import MONEY_PLACES
from reports import figures, summary
from reports.figures import Filters
from reports.models import CustomerDays, CustomerMonths, RefreshMark


def ledger_sum(kind: str, **where) -> Decimal:
    rows = LedgerEntry.objects.filter(kind=kind, **where)
    return rows.aggregate(total=Sum("amount"))["total"] or Decimal(0)


def expected_total(shop, days, services=None):
    """The shop's own record of what it built, for `days` and `services` (all if None)."""
    keys = [k for k in shop.expected if k[0] in days and (services is None or k[1] in services)]
    total = {"orders": 0, "charged": Decimal(0), "refunded": Decimal(0), "cost": Decimal(0),
             "uncosted": 0, "open": 0}  # fmt: skip
    for key in keys:
        d = shop.expected[key]
        for name in total:
            total[name] += getattr(d, name)
    return total


def test_each_day_equals_the_ledger_and_the_orders(shop):
    summary.refresh()
    first, last = shop.today - timedelta(days=59), shop.today
    report = figures.sales("day", first, last, Filters())
    assert [r.start for r in report.sales][:2] == [first, first + timedelta(days=1)]
    assert len(report.sales) == 60
    for row in report.sales:
        start, end = summary.day_range(row.start, row.start)
        on_day = {"order__created_at__gte": start, "order__created_at__lt": end}
        charged = -ledger_sum(LedgerKind.CHARGE, **on_day)
        refunded = ledger_sum(LedgerKind.REFUND, **on_day)
        assert (row.charged, row.refunded) == (charged, refunded), row.start
        assert row.revenue == charged - refunded
        mine = expected_total(shop, {row.start})
        assert row.orders == mine["orders"]
        assert row.charged == mine["charged"] and row.refunded == mine["refunded"]
        assert row.cost == mine["cost"].quantize(MONEY_PLACES)
        assert row.profit == row.revenue - row.cost
        assert (row.uncosted, row.open) == (mine["uncosted"], mine["open"])


def test_today_in_figures(shop):
    """Written out once, so a mistake shared by the report and the recomputation shows."""
    summary.refresh()
    today = figures.sales("day", shop.today, shop.today, Filters()).sales[0]
    # likes 1000 × 0.50 = 0.50 twice (one failed: refunded); followers drip-feed 100 × 5 runs
    # at 2.00 × 1.1 = 2.20 per 1000 → 1.10, 130 of 500 undelivered → 0.286 back; one more
    # followers order 1000 → 2.20, running; views 1000 × 10 INR × 0.012 = 0.12, canceled.
    assert today.orders == 5
    assert today.charged == Decimal("0.50") * 2 + Decimal("1.10") + Decimal("2.20") + Decimal(
        "0.12"
    )
    assert today.refunded == Decimal("0.50") + Decimal("0.286") + Decimal("0.12")
    # costs: 0.40 USD + 0.74 EUR at the 1.1 it was sent at (not today's 1.3) + 0 INR
    assert today.cost == Decimal("0.40") + Decimal("0.814")
    assert today.profit == today.revenue - today.cost
    assert today.margin == (today.profit * 100 / today.revenue).quantize(Decimal("0.1"))
    assert (today.uncosted, today.open) == (1, 1)


def test_weeks_and_months_add_up_the_days(shop):
    summary.refresh()
    first, last = shop.today - timedelta(days=120), shop.today
    days = figures.sales("day", first, last, Filters())
    for period in ("week", "month"):
        report = figures.sales(period, first, last, Filters())
        for row in report.sales:
            inside = [d for d in days.sales if figures.bucket_of(period, d.start) == row.start]
            assert row.orders == sum(d.orders for d in inside)
            assert row.revenue == sum((d.revenue for d in inside), Decimal(0))
            assert row.cost == sum((d.cost for d in inside), Decimal(0))
        assert report.total.revenue == days.total.revenue
        assert report.total.profit == days.total.profit


def test_filters_by_provider_category_and_service(shop):
    summary.refresh()
    first, last = shop.today - timedelta(days=59), shop.today
    all_days = {first + timedelta(days=n) for n in range(60)}
    cases = [
        (Filters(provider=shop.providers["eur"].pk), {"followers"}),
        (Filters(category=shop.services["views"].category_id), {"views"}),
        (Filters(service=shop.services["likes"].pk), {"likes"}),
        (Filters(category=shop.services["likes"].category_id), {"likes", "followers"}),
    ]
    for filters, services in cases:
        total = figures.sales("month", first, last, filters).total
        mine = expected_total(shop, all_days, services)
        if filters.provider:  # the failed likes order was never sent: no provider
            assert total.orders == mine["orders"]
        assert total.revenue == mine["charged"] - mine["refunded"], filters
        assert total.cost == mine["cost"].quantize(MONEY_PLACES), filters


def test_orders_never_sent_count_under_no_provider_only(shop):
    summary.refresh()
    likes = Filters(service=shop.services["likes"].pk)
    by_usd = Filters(service=shop.services["likes"].pk, provider=shop.providers["usd"].pk)
    first, last = shop.today - timedelta(days=59), shop.today
    assert figures.sales("day", first, last, likes).total.orders == 4
    assert figures.sales("day", first, last, by_usd).total.orders == 3  # the failed one: unsent


def test_top_customers_sign_ups_and_deposits(shop):
    summary.refresh()
    first, last = shop.today - timedelta(days=59), shop.today
    top = figures.top_customers(first, last, Filters())
    for row in top:
        placed = {
            "order__user_id": row["user_id"],
            "order__created_at__gte": summary.day_range(first, last)[0],
        }
        spent = -(ledger_sum(LedgerKind.CHARGE, **placed) + ledger_sum(LedgerKind.REFUND, **placed))
        assert row["spend"] == spent
    assert [r["username"] for r in top] == sorted(
        ["carol", "dan"], key=lambda name: -next(r["spend"] for r in top if r["username"] == name)
    )
    signups = figures.signups("day", shop.today, shop.today)
    assert signups == [{"start": shop.today, "signups": 3}]  # carol, dan, erin: not staff sam
    deposits = {d["method"]: (d["deposits"], d["amount"]) for d in figures.deposits(first, last)}
    assert deposits == shop.deposits
    assert sum(a for _, a in deposits.values()) == ledger_sum(LedgerKind.DEPOSIT)


def test_top_customers_over_whole_and_partial_months_and_by_provider(shop):
    """Whole months come from the monthly summary, the days around them from the orders: the
    sums equal the ledger's for any range and provider."""
    summary.refresh()
    usd = shop.providers["usd"].pk
    for days in (5, 35, 59, 75):
        first = shop.today - timedelta(days=days)
        start, end = summary.day_range(first, shop.today)
        for filters, where in (
            (Filters(), {}),
            (Filters(provider=usd), {"order__provider_id": usd}),
        ):
            got = {
                r["username"]: r["spend"] for r in figures.top_customers(first, shop.today, filters)
            }
            for name, spend in got.items():
                placed = {"order__user__username": name, "order__created_at__gte": start,
                          "order__created_at__lt": end, **where}  # fmt: skip
                paid = ledger_sum(LedgerKind.CHARGE, **placed) + ledger_sum(
                    LedgerKind.REFUND, **placed
                )
                assert spend == -paid, (days, filters, name)
            assert set(got) <= {"carol", "dan"}
    assert figures._whole_months(date(2026, 1, 15), date(2026, 4, 2)) == (
        [date(2026, 2, 1), date(2026, 3, 1)],
        [(date(2026, 1, 15), date(2026, 1, 31)), (date(2026, 4, 1), date(2026, 4, 2))],
    )
    assert figures._whole_months(date(2026, 3, 1), date(2026, 3, 31)) == ([date(2026, 3, 1)], [])


def test_top_customers_are_kept_until_the_next_refresh(shop):
    """Top customers from the summaries are cached under the summaries' version: a change the
    summaries do not know yet is not seen, the next refresh brings the ledger's figures back."""
    summary.refresh()
    first, last = shop.today - timedelta(days=59), shop.today
    before = figures.top_customers(first, last, Filters())
    assert before
    CustomerDays.objects.update(spend=F("spend") + 1000)
    CustomerMonths.objects.update(spend=F("spend") + 1000)
    assert figures.top_customers(first, last, Filters()) == before  # same version: cached
    RefreshMark.objects.update(refreshed_at=timezone.now() + timedelta(seconds=1))
    changed = figures.top_customers(first, last, Filters())  # a new version: read again
    assert [r["spend"] for r in changed] != [r["spend"] for r in before]
    summary.refresh(full=True)  # rebuilt from the orders: the ledger's figures again
    assert figures.top_customers(first, last, Filters()) == before
