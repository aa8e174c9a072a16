from decimal import Decimal

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q

MONEY = {"max_digits": 20, "decimal_places": 7}


class User(AbstractUser):
    """The panel's user: customers and staff alike (staff have is_staff).

    `balance` changes only through accounts.ledger, together with a LedgerEntry row.
    """

    balance = models.DecimalField(**MONEY, default=Decimal(0), editable=False)
    # The customer's own settings (the account page): where times are shown, which mails come.
    time_zone = models.CharField(
        max_length=64, default="UTC", help_text="Times on the customer's pages are shown in it."
    )
    notify_completed = models.BooleanField("mail when an order completes", default=True)
    notify_partial = models.BooleanField("mail when an order ends partial", default=True)
    notify_canceled = models.BooleanField("mail when an order is canceled", default=True)
    notify_refill = models.BooleanField("mail when a refill is done", default=True)

    def save(self, **kwargs):
        # A full save would write back the balance read when the object was loaded, undoing
        # any debit or credit committed since (a password change during an order, an admin
        # edit). Only accounts.ledger writes the balance: leave it out of every other update.
        if not self._state.adding and kwargs.get("update_fields") is None:
            kwargs["update_fields"] = [
                f.name
                for f in self._meta.concrete_fields
                if not f.primary_key and f.name != "balance"
            ]
        super().save(**kwargs)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(balance__gte=0), name="user_balance_not_negative")
        ]
        # A money power of its own, not `change_user` (staff roles: accounts/roles.py).
        permissions = [("adjust_balance", "Can adjust balances")]


class LedgerKind(models.TextChoices):
    DEPOSIT = "deposit", "Deposit"
    CHARGE = "charge", "Order charge"
    REFUND = "refund", "Refund"
    ADJUSTMENT = "adjustment", "Staff adjustment"
    REVERSAL = "reversal", "Payment reversed"  # a gateway's refund or dispute (payments/)


class AppendOnlyQuerySet(models.QuerySet):
    """Ledger rows are facts: normal code paths can neither change nor remove them.

    The database enforces the same with triggers (migration 0002), this only fails earlier.
    """

    def update(self, **kwargs):
        raise PermissionError("ledger entries are append-only")

    def delete(self):
        raise PermissionError("ledger entries are append-only")


class LedgerEntry(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="ledger"
    )
    kind = models.CharField(max_length=16, choices=LedgerKind.choices)
    amount = models.DecimalField(**MONEY)  # signed: + credits the balance, − debits it
    balance_after = models.DecimalField(**MONEY)
    order = models.ForeignKey(
        "orders.Order", null=True, blank=True, on_delete=models.PROTECT, related_name="ledger"
    )
    payment = models.ForeignKey(
        "accounts.Payment", null=True, blank=True, on_delete=models.PROTECT, related_name="ledger"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The staff member who made the change; empty for the panel itself.",
    )
    memo = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["-id"]
        verbose_name_plural = "ledger entries"
        indexes = [models.Index(fields=["user", "-id"])]
        constraints = [
            # A replayed charge or settlement (a second poller, a double click) is refused.
            models.UniqueConstraint(
                fields=["order", "kind"],
                condition=Q(kind__in=["charge", "refund"]),
                name="ledger_one_charge_and_one_refund_per_order",
            ),
            models.UniqueConstraint(
                fields=["payment"],
                condition=Q(kind="deposit"),
                name="ledger_one_deposit_per_payment",
            ),
            models.CheckConstraint(
                condition=(Q(kind="charge", amount__lte=0, order__isnull=False))
                | (Q(kind="refund", amount__gt=0, order__isnull=False))
                | (Q(kind="deposit", amount__gt=0, payment__isnull=False))
                | (Q(kind="adjustment") & ~Q(amount=0))
                | (Q(kind="reversal", amount__lt=0, payment__isnull=False)),
                name="ledger_amount_sign_matches_kind",
            ),
            models.CheckConstraint(
                condition=Q(balance_after__gte=0), name="ledger_balance_after_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount:+}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise PermissionError("ledger entries are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("ledger entries are append-only")


class PaymentStatus(models.TextChoices):
    PENDING = "pending", "Waiting"
    APPROVED = "approved", "Paid"
    REJECTED = "rejected", "Rejected"
    FAILED = "failed", "Failed"
    REFUNDED = "refunded", "Refunded"
    DISPUTED = "disputed", "Disputed"


class Payment(models.Model):
    """A customer's request to add funds through one of the payment methods (payments/).

    `amount` is what the ledger receives when the payment is credited (panel currency, bonus
    included); `gateway_amount` is what the customer pays (in `currency`, fee included), the
    figure a gateway must report back exactly. Both, and the exchange rate between them, are
    fixed when the payment starts (payments/quotes.py).
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="payments"
    )
    method = models.CharField(max_length=32)
    amount = models.DecimalField(**MONEY)
    reference = models.CharField(
        max_length=200, blank=True, help_text="The customer's transaction reference (UTR)."
    )
    status = models.CharField(
        max_length=16, choices=PaymentStatus.choices, default=PaymentStatus.PENDING
    )
    currency = models.CharField(max_length=3, blank=True, help_text="What the customer pays in.")
    gateway_amount = models.DecimalField(
        **MONEY, null=True, blank=True, help_text="What the customer pays, fee included."
    )
    fee = models.DecimalField(**MONEY, default=Decimal(0))
    exchange_rate = models.DecimalField(
        max_digits=24, decimal_places=10, default=Decimal(1),
        help_text="Panel currency per unit of the payment's currency, when it started.",
    )  # fmt: skip
    bonus = models.DecimalField(**MONEY, default=Decimal(0))
    gateway_ref = models.CharField(
        max_length=200, blank=True,
        help_text="The gateway's id of what the panel opened (order, checkout session, invoice).",
    )  # fmt: skip
    gateway_payment_id = models.CharField(
        max_length=200, blank=True, help_text="The gateway's id of the payment that paid it."
    )
    details = models.JSONField(
        default=dict, blank=True,
        help_text="What the customer was shown (transfer account, checkout address).",
    )  # fmt: skip
    flag = models.CharField(
        max_length=500, blank=True, help_text="Why staff must look at it; empty when all is well."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    note = models.CharField(
        max_length=500, blank=True, help_text="Why it was approved or rejected."
    )

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["user", "-id"]),
            models.Index(fields=["status"]),
            models.Index(fields=["reference"]),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive"),
            # Exactly once per gateway payment, whatever arrives how often (payments/crediting.py).
            models.UniqueConstraint(
                fields=["method", "gateway_payment_id"],
                condition=~Q(gateway_payment_id=""),
                name="payment_one_per_gateway_payment",
            ),
            models.UniqueConstraint(
                fields=["method", "gateway_ref"],
                condition=~Q(gateway_ref=""),
                name="payment_one_per_gateway_ref",
            ),
        ]
        permissions = [("decide_payment", "Can decide payments, refunds and what is owed")]

    def __str__(self) -> str:
        return f"Payment #{self.pk} {self.amount} ({self.get_status_display()})"


class ApiKey(models.Model):
    """A customer's API v2 key, stored as a prefix plus an HMAC digest: never the key itself.

    One per customer; regenerating replaces it, so the old key stops working at once.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_key"
    )
    prefix = models.CharField(max_length=16, unique=True)
    digest = models.CharField(max_length=64)
    # Which of API_KEY_HMAC_SECRETS signed the digest (accounts/apikeys.py, a short fingerprint
    # of it, never the secret); empty for keys signed with SECRET_KEY before those existed.
    secret_id = models.CharField(max_length=12, blank=True, default="", editable=False)
    enabled = models.BooleanField(default=True, help_text="Staff can switch API access off.")
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "API key"

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"
