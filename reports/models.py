"""The reports' summary tables: the orders, customers and deposits of each day, added up by the
worker (reports/summary.py), so a report over a year does not read a million orders.

Every figure here is a sum the ledger and the orders give back exactly (tests/reports/):
`charged` is what the charge rows took, `refunded` what the refund rows gave back, `cost` the
upstreams' charges times each order's exchange rate into the panel currency.
"""

from django.db import models
from django.db.models import Q

MONEY = {"max_digits": 20, "decimal_places": 7}
# cost × exchange rate keeps 17 decimal places; sums of it are rounded to these.
COST = {"max_digits": 24, "decimal_places": 10}


class DailySales(models.Model):
    """The orders placed on one day (UTC) for one service, sent to one provider (none: not
    sent yet, or never)."""

    day = models.DateField()
    service = models.ForeignKey(
        "catalog.Service",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
        db_index=False,
    )
    provider = models.ForeignKey(
        "catalog.Provider", null=True, on_delete=models.DO_NOTHING, db_constraint=False,
        related_name="+", db_index=False,
    )  # fmt: skip
    # The service's category when the day was last added up.
    category = models.ForeignKey(
        "catalog.Category",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
        db_index=False,
    )
    orders = models.PositiveIntegerField()
    charged = models.DecimalField(**MONEY)
    refunded = models.DecimalField(**MONEY)
    cost = models.DecimalField(**COST)
    # Orders accepted upstream whose cost the provider has not reported (yet).
    uncosted = models.PositiveIntegerField()
    # Orders not yet final: the day is added up again on every refresh until they are.
    open = models.PositiveIntegerField()

    class Meta:
        default_permissions = ()
        permissions = [("view_reports", "Can view the reports")]
        indexes = [
            models.Index(fields=["day"], name="dailysales_day_idx"),
            models.Index(fields=["service", "day"], name="dailysales_service_day_idx"),
            models.Index(fields=["day"], condition=Q(open__gt=0), name="dailysales_open_day_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.day} service {self.service_id} provider {self.provider_id}"


class DailyTotals(models.Model):
    """DailySales added up per provider and category: what a report without a service filter
    reads (a panel with 20,000 services has about one DailySales row per order)."""

    day = models.DateField()
    provider = models.ForeignKey(
        "catalog.Provider", null=True, on_delete=models.DO_NOTHING, db_constraint=False,
        related_name="+", db_index=False,
    )  # fmt: skip
    category = models.ForeignKey(
        "catalog.Category",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
        db_index=False,
    )
    orders = models.PositiveIntegerField()
    charged = models.DecimalField(**MONEY)
    refunded = models.DecimalField(**MONEY)
    cost = models.DecimalField(**COST)
    uncosted = models.PositiveIntegerField()
    open = models.PositiveIntegerField()

    class Meta:
        default_permissions = ()
        indexes = [models.Index(fields=["day"], name="dailytotals_day_idx")]

    def __str__(self) -> str:
        return f"{self.day} provider {self.provider_id} category {self.category_id}"


class CustomerDays(models.Model):
    """What each customer spent (charges minus refunds) on the orders placed on one day, per
    provider the orders went to: top customers of a range of days, and of one provider."""

    day = models.DateField()
    user = models.ForeignKey(
        "accounts.User", on_delete=models.DO_NOTHING, db_constraint=False, related_name="+",
        db_index=False,
    )  # fmt: skip
    provider = models.ForeignKey(
        "catalog.Provider", null=True, on_delete=models.DO_NOTHING, db_constraint=False,
        related_name="+", db_index=False,
    )  # fmt: skip
    orders = models.PositiveIntegerField()
    spend = models.DecimalField(**MONEY)

    class Meta:
        default_permissions = ()
        indexes = [
            models.Index(fields=["day"], name="customerdays_day_idx"),
            models.Index(fields=["provider", "day"], name="customerdays_provider_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.day} user {self.user_id} provider {self.provider_id}"


class CustomerMonths(models.Model):
    """CustomerDays added up per month (its first day) and customer, all providers together:
    the top customers of the whole months of a long range."""

    month = models.DateField()
    user = models.ForeignKey(
        "accounts.User", on_delete=models.DO_NOTHING, db_constraint=False, related_name="+",
        db_index=False,
    )  # fmt: skip
    orders = models.PositiveIntegerField()
    spend = models.DecimalField(**MONEY)

    class Meta:
        default_permissions = ()
        indexes = [models.Index(fields=["month"], name="customermonths_month_idx")]

    def __str__(self) -> str:
        return f"{self.month} user {self.user_id}"


class DailyDeposits(models.Model):
    """What one payment method credited on one day (deposit rows), and what reversals took."""

    day = models.DateField()
    method = models.CharField(max_length=32)
    deposits = models.PositiveIntegerField()
    amount = models.DecimalField(**MONEY)

    class Meta:
        default_permissions = ()
        constraints = [
            models.UniqueConstraint(fields=["day", "method"], name="dailydeposits_one_per_day")
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.method}"


class RefreshMark(models.Model):
    """Where the last refreshes of the summary stopped in the ledger (one row)."""

    ledger_id = models.BigIntegerField(default=0)  # the last ledger row seen by the last refresh
    previous_ledger_id = models.BigIntegerField(default=0)  # …and by the one before it
    refreshed_at = models.DateTimeField(null=True)

    class Meta:
        default_permissions = ()

    def __str__(self) -> str:
        return f"refreshed at {self.refreshed_at}"
