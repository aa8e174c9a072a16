from django.conf import settings
from django.db import models
from django.db.models import Q

MONEY = {"max_digits": 20, "decimal_places": 7}


class OrderStatus(models.TextChoices):
    """The panel's side of an order (docs/design.md, "Forwarding an order")."""

    PENDING = "pending", "Pending"
    SENDING = "sending", "Sending"
    IN_PROGRESS = "in_progress", "In progress"
    COMPLETED = "completed", "Completed"
    PARTIAL = "partial", "Partial"
    CANCELED = "canceled", "Canceled"
    FAILED = "failed", "Failed"
    UNKNOWN = "unknown", "Needs review"
    HELD = "held", "On hold"


# What a customer sees for each status (UNKNOWN and HELD are the panel's problems, not theirs).
CUSTOMER_STATUS = {
    OrderStatus.PENDING: "Pending",
    OrderStatus.SENDING: "Pending",
    OrderStatus.HELD: "Pending",
    OrderStatus.UNKNOWN: "Processing",
    OrderStatus.IN_PROGRESS: "In progress",
    OrderStatus.COMPLETED: "Completed",
    OrderStatus.PARTIAL: "Partial",
    OrderStatus.CANCELED: "Canceled",
    OrderStatus.FAILED: "Failed",
}


class Order(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="orders"
    )
    service = models.ForeignKey("catalog.Service", on_delete=models.PROTECT, related_name="orders")
    # The upstream offer it is (or will be) sent to, and its provider's order id once accepted.
    upstream_service = models.ForeignKey(
        "catalog.UpstreamService", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    provider = models.ForeignKey(
        "catalog.Provider", null=True, blank=True, on_delete=models.PROTECT, related_name="orders"
    )
    # NULL until accepted upstream, so the per-provider unique constraint ignores unsent orders.
    upstream_order_id = models.CharField(max_length=64, null=True, blank=True)  # noqa: DJ001

    link = models.CharField(max_length=2000, blank=True)
    quantity = models.PositiveBigIntegerField()  # per run for drip-feed
    runs = models.PositiveIntegerField(null=True, blank=True)
    interval = models.PositiveIntegerField(null=True, blank=True, help_text="Minutes between runs.")
    # The type's other fields exactly as they will be sent upstream (comments, usernames, …).
    extra = models.JSONField(default=dict, blank=True)

    rate = models.DecimalField(max_digits=16, decimal_places=4)
    charge = models.DecimalField(**MONEY)

    status = models.CharField(
        max_length=16, choices=OrderStatus.choices, default=OrderStatus.PENDING, db_index=True
    )
    upstream_status = models.CharField(max_length=64, blank=True)
    start_count = models.BigIntegerField(null=True, blank=True)
    remains = models.BigIntegerField(null=True, blank=True)
    remains_raw = models.CharField(max_length=64, blank=True)
    cost = models.DecimalField(
        **MONEY, null=True, blank=True, help_text="What the upstream charged us."
    )
    error = models.CharField(max_length=500, blank=True, help_text="Shown to the customer.")

    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_checked_at = models.DateTimeField(null=True, blank=True)

    client_reference = models.CharField(max_length=100, null=True, blank=True)  # noqa: DJ001
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["user", "-id"]),
            models.Index(fields=["user", "status", "-id"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "upstream_order_id"],
                condition=Q(upstream_order_id__isnull=False),
                name="order_upstream_id_unique_per_provider",
            ),
            models.UniqueConstraint(
                fields=["user", "client_reference"],
                condition=Q(client_reference__isnull=False),
                name="order_client_reference_unique_per_user",
            ),
            models.CheckConstraint(condition=Q(charge__gte=0), name="order_charge_not_negative"),
        ]

    def __str__(self) -> str:
        return f"Order #{self.pk}"

    @property
    def customer_status(self) -> str:
        return CUSTOMER_STATUS.get(self.status, self.get_status_display())

    @property
    def total_quantity(self) -> int:
        return self.quantity * (self.runs or 1)
