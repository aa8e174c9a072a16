from typing import NamedTuple

from django.conf import settings
from django.db import models
from django.db.models import Q

MONEY = {"max_digits": 20, "decimal_places": 7}


class OrderStatus(models.TextChoices):
    """The panel's side of an order (docs/design.md, "States")."""

    PENDING = "pending", "Pending"
    SENDING = "sending", "Sending"
    IN_PROGRESS = "in_progress", "In progress"
    COMPLETED = "completed", "Completed"
    PARTIAL = "partial", "Partial"
    CANCELED = "canceled", "Canceled"
    FAILED = "failed", "Failed"
    UNKNOWN = "unknown", "Needs review"
    HELD = "held", "On hold"


class Shown(NamedTuple):
    """How a status is shown outside the panel's staff pages."""

    label: str  # on the customer's pages
    api: str  # in the API's `status` answer, in the protocol's spelling
    tab: str  # the orders list's tab (and the dashboard's count) it falls under


# The one map from an order's status to what customers see. UNKNOWN and HELD are the panel's
# problems, not theirs; a FAILED order was fully refunded, which the protocol calls Canceled.
# PostgreSQL keeps each order's API answer in a generated column (orders_order.api_status):
# a change of an `api` label needs a migration redefining it, which
# tests/orders/test_api_status_sql.py demands.
SHOWN: dict[str, Shown] = {
    OrderStatus.PENDING: Shown("Pending", "Pending", "pending"),
    OrderStatus.SENDING: Shown("Pending", "Pending", "pending"),
    OrderStatus.HELD: Shown("Pending", "Pending", "pending"),
    OrderStatus.UNKNOWN: Shown("Processing", "In progress", "in_progress"),
    OrderStatus.IN_PROGRESS: Shown("In progress", "In progress", "in_progress"),
    OrderStatus.COMPLETED: Shown("Completed", "Completed", "completed"),
    OrderStatus.PARTIAL: Shown("Partial", "Partial", "partial"),
    OrderStatus.CANCELED: Shown("Canceled", "Canceled", "canceled"),
    OrderStatus.FAILED: Shown("Failed", "Canceled", "failed"),
}


def shown_in(*tabs: str) -> tuple[str, ...]:
    """The statuses shown under any of these tabs."""
    return tuple(status for status, shown in SHOWN.items() if shown.tab in tabs)


# The columns PostgreSQL's generated column orders_order.api_status (migration 0003: each
# order's answer to the API's `status`, kept by the database) reads. The trap: PostgreSQL
# refuses to ALTER the type of any of them ("cannot alter type of a column used by a generated
# column"), so a migration changing one must drop api_status first and add it back after
# (copy 0003's expression). tests/orders/test_api_status_sql.py holds this list to the
# database's. The model does not know the column: a GeneratedField would have to write the
# answer in Django expressions for SQLite too, which keeps no such column (there the answer
# is written in Python).
API_STATUS_READS = ("charge", "quantity", "refunded", "remains", "runs", "start_count", "status")


class Order(models.Model):
    # Every order write maintains each index of this table, so none is kept twice: the user's
    # and the provider's lookups use the composite indexes below, which start with them.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="orders", db_index=False
    )
    service = models.ForeignKey("catalog.Service", on_delete=models.PROTECT, related_name="orders")
    # The upstream offer it is (or will be) sent to, and its provider's order id once accepted.
    upstream_service = models.ForeignKey(
        "catalog.UpstreamService", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    provider = models.ForeignKey(
        "catalog.Provider", null=True, blank=True, on_delete=models.PROTECT,
        related_name="orders", db_index=False,
    )  # fmt: skip
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
        max_length=16, choices=OrderStatus.choices, default=OrderStatus.PENDING
    )  # indexed in Meta: db_index would add a LIKE-pattern twin nothing uses
    upstream_status = models.CharField(max_length=64, blank=True)
    start_count = models.BigIntegerField(null=True, blank=True)
    remains = models.BigIntegerField(null=True, blank=True)
    remains_raw = models.CharField(max_length=64, blank=True)
    cost = models.DecimalField(
        **MONEY, null=True, blank=True, help_text="What the upstream charged us."
    )
    refunded = models.DecimalField(**MONEY, default=0, help_text="Set with the refund row.")
    # The provider's exchange rate when the order was sent: its `cost` (in the provider's
    # currency) times this is the cost in the panel currency (reports/).
    exchange_rate = models.DecimalField(
        max_digits=20, decimal_places=10, null=True, blank=True,
        help_text="Panel currency per unit of the provider's currency when it was sent.",
    )  # fmt: skip
    # Drip-feed runs, child order ids, subscription posts: as the upstream last reported them.
    upstream_detail = models.JSONField(default=dict, blank=True)
    error = models.CharField(max_length=500, blank=True, help_text="Shown to the customer.")
    flag = models.CharField(max_length=500, blank=True, help_text="For staff: what looked wrong.")
    # Upstream offers already tried (ids), so a definitive error can move to the next one.
    tried_offers = models.JSONField(default=list, blank=True)

    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_checked_at = models.DateTimeField(null=True, blank=True)

    client_reference = models.CharField(max_length=100, null=True, blank=True)  # noqa: DJ001
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-id"]
        # The staff actions that move money (a refund); the others need `change_order`.
        permissions = [("refund_order", "Can run order actions that refund (cancel, partial)")]
        indexes = [
            models.Index(fields=["status"], name="order_status_idx"),
            models.Index(fields=["user", "-id"]),
            models.Index(fields=["user", "status", "-id"]),
            # The orders list's date filter (and its counts): a day of a customer's orders.
            models.Index(fields=["user", "created_at"], name="order_user_created_idx"),
            # The poller: a provider's active orders, least recently checked first.
            models.Index(fields=["provider", "status", "last_checked_at"]),
            # Reports (reports/): the orders of a day, a week, a month.
            models.Index(fields=["created_at"], name="order_created_at_idx"),
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
        shown = SHOWN.get(self.status)
        return shown.label if shown else self.get_status_display()

    @property
    def total_quantity(self) -> int:
        return self.quantity * (self.runs or 1)

    @property
    def units(self) -> int:
        """How many units the charge paid for: what `remains` counts down from."""
        if self.service_type == "Subscriptions":
            posts = int(self.extra.get("posts") or 0) + int(self.extra.get("old_posts") or 0)
            return self.quantity * max(posts, 1)
        return self.total_quantity

    @property
    def service_type(self) -> str:
        return self.service.type

    @property
    def paid(self):
        """What the customer paid, net of refunds (the `charge` our API reports)."""
        return self.charge - self.refunded


class RequestStatus(models.TextChoices):
    """A refill or cancel request on its way upstream (the same claim-then-send rule)."""

    PENDING = "pending", "Pending"
    SENDING = "sending", "Sending"
    ACCEPTED = "accepted", "Accepted"  # the upstream took it (a refill then has a status)
    COMPLETED = "completed", "Completed"
    REJECTED = "rejected", "Rejected"
    FAILED = "failed", "Failed"
    UNKNOWN = "unknown", "Needs review"


# What a customer (and the API) sees for each refill status.
REFILL_STATUS = {
    RequestStatus.PENDING: "Pending",
    RequestStatus.SENDING: "Pending",
    RequestStatus.ACCEPTED: "In progress",
    RequestStatus.UNKNOWN: "In progress",
    RequestStatus.COMPLETED: "Completed",
    RequestStatus.REJECTED: "Rejected",
    RequestStatus.FAILED: "Rejected",
}


class UpstreamRequest(models.Model):
    """What a refill and a cancel request share: the customer's request about an order, on its
    way upstream (orders/upstream_requests.py)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=16, choices=RequestStatus.choices, default="pending")
    error = models.CharField(max_length=500, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True
        ordering = ["-id"]


# At most one open request of each kind per order.
_OPEN = Q(status__in=["pending", "sending", "accepted", "unknown"])


class Refill(UpstreamRequest):
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="refills")
    upstream_refill_id = models.CharField(max_length=64, null=True, blank=True)  # noqa: DJ001
    upstream_status = models.CharField(max_length=64, blank=True)
    last_checked_at = models.DateTimeField(null=True, blank=True)

    class Meta(UpstreamRequest.Meta):
        indexes = [models.Index(fields=["user", "-id"]), models.Index(fields=["status"])]
        constraints = [
            models.UniqueConstraint(
                fields=["order"], condition=_OPEN, name="refill_one_open_per_order"
            )
        ]

    def __str__(self) -> str:
        return f"Refill #{self.pk} of order #{self.order_id}"


class CancelRequest(UpstreamRequest):
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="cancel_requests")

    class Meta(UpstreamRequest.Meta):
        constraints = [
            models.UniqueConstraint(
                fields=["order"], condition=_OPEN, name="cancel_one_open_per_order"
            )
        ]

    def __str__(self) -> str:
        return f"Cancel request #{self.pk} for order #{self.order_id}"


class OrderAction(models.Model):
    """Audit: every staff action on an order — who, what, when, why."""

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="actions")
    staff = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    action = models.CharField(max_length=64)
    reason = models.CharField(max_length=500)
    details = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.action} on order #{self.order_id} by {self.staff}"
