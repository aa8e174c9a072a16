"""What the staff dashboard keeps: balance history, low-balance watch, call records, the
per-service threshold of a stalled order, and when each active order's remains last moved."""

from decimal import Decimal

from django.core.validators import MinValueValidator
from django.db import models

COST = {"max_digits": 20, "decimal_places": 7}  # as catalog's money columns


class ProviderWatch(models.Model):
    """A provider's low-balance threshold and whether its balance is below it now."""

    provider = models.OneToOneField(
        "catalog.Provider", on_delete=models.CASCADE, related_name="watch", primary_key=True
    )
    low_balance = models.DecimalField(
        "low-balance threshold",
        **COST,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal(0))],
        help_text="In the provider's currency. Below it: an alert, and one mail to staff.",
    )
    # Set by the balance checks only: below the threshold since when (None: not below).
    low_since = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = "provider alert"
        permissions = [("view_dashboard", "Can view the staff dashboard")]

    def __str__(self) -> str:
        return f"alert settings of {self.provider}"


class BalanceReading(models.Model):
    """One balance check of a provider (the `balance` action), kept for the history chart."""

    provider = models.ForeignKey(
        "catalog.Provider", on_delete=models.CASCADE, related_name="balance_readings"
    )
    amount = models.DecimalField(**COST)
    currency = models.CharField(max_length=3, blank=True)
    checked_at = models.DateTimeField()

    class Meta:
        ordering = ["-checked_at", "-id"]
        indexes = [models.Index(fields=["provider", "-checked_at"])]

    def __str__(self) -> str:
        return f"{self.provider}: {self.amount} {self.currency} at {self.checked_at}"


class ProviderCall(models.Model):
    """One upstream call as the client recorded it (catalog/upstream/calllog.py)."""

    provider = models.ForeignKey(
        "catalog.Provider", null=True, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    action = models.CharField(max_length=32)
    at = models.DateTimeField()
    ms = models.PositiveIntegerField()
    outcome = models.CharField(max_length=16)  # ok, rejected, not_sent, unknown
    error = models.CharField(max_length=300, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["provider", "at"]),
            models.Index(fields=["at"]),
        ]

    def __str__(self) -> str:
        return f"{self.action} {self.outcome} {self.ms} ms"


class ProviderCallHour(models.Model):
    """The calls of one provider in one hour (UTC, its start) whose latency fell in one bucket
    (`le_ms`: the bucket's upper bound, staff/health.py BUCKETS): added to as each buffer of
    calls is written, so the day's figures read ~24 × buckets rows, not every call."""

    provider = models.ForeignKey(
        "catalog.Provider", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    hour = models.DateTimeField()
    le_ms = models.PositiveIntegerField()
    calls = models.PositiveIntegerField(default=0)
    errors = models.PositiveIntegerField(default=0)
    unknown = models.PositiveIntegerField(default=0)

    class Meta:
        default_permissions = ()
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "hour", "le_ms"], name="providercallhour_one_per_bucket"
            )
        ]
        indexes = [models.Index(fields=["hour"], name="providercallhour_hour_idx")]

    def __str__(self) -> str:
        return f"provider {self.provider_id} {self.hour} ≤{self.le_ms} ms: {self.calls}"


class ServiceWatch(models.Model):
    """How long an order of this service may stay in progress with no change in remains."""

    service = models.OneToOneField(
        "catalog.Service", on_delete=models.CASCADE, related_name="watch", primary_key=True
    )
    stalled_after_hours = models.PositiveIntegerField(
        help_text="In progress this long with no change in remains: listed as needing a hand."
    )

    class Meta:
        verbose_name = "stalled-order threshold"

    def __str__(self) -> str:
        return f"{self.service}: {self.stalled_after_hours} h"


class ProgressMark(models.Model):
    """The remains last seen of an order in progress, and since when they have not moved."""

    order = models.OneToOneField(
        "orders.Order", on_delete=models.CASCADE, related_name="+", primary_key=True
    )
    remains = models.BigIntegerField(null=True)
    since = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["since"])]

    def __str__(self) -> str:
        return f"order #{self.order_id}: remains {self.remains} since {self.since}"
