"""Payment configuration (gateways, their currencies, manual transfer accounts) and reversals.

The payments themselves are `accounts.Payment` rows: the ledger references them. Secrets are
encrypted at rest (panel/encryption.py) and never displayed (payments/admin.py).
"""

import re
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q

from accounts.models import MONEY
from panel.encryption import EncryptedTextField

CURRENCY = RegexValidator(r"^[A-Z]{3}\Z", "Three capital letters, e.g. USD or INR.")
UPI_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.\-_]{1,254}@[A-Za-z][A-Za-z0-9]{1,63}\Z")
PERCENT = {"max_digits": 6, "decimal_places": 3, "default": Decimal(0)}


class Gateway(models.Model):
    """One payment method's settings (its code names its module in payments/methods/)."""

    code = models.CharField(max_length=32, unique=True, editable=False)
    enabled = models.BooleanField(default=False)
    name = models.CharField(max_length=100, help_text="What customers see on the funds page.")
    instructions = models.TextField(
        max_length=1000, blank=True, help_text="Shown to customers beside the method."
    )
    position = models.PositiveSmallIntegerField(default=0, help_text="Lower comes first.")
    key_id = models.CharField(
        "key id", max_length=200, blank=True,
        help_text="The gateway's public key id (Razorpay); not a secret.",
    )  # fmt: skip
    api_secret = EncryptedTextField("API secret", blank=True)
    webhook_secret = EncryptedTextField("webhook secret", blank=True)
    fee_percent = models.DecimalField(
        "fee %", **PERCENT, validators=[MinValueValidator(0), MaxValueValidator(50)],
        help_text="Added to what the customer pays (rounded up to the currency's cents).",
    )  # fmt: skip
    bonus_percent = models.DecimalField(
        "bonus %", **PERCENT, validators=[MinValueValidator(0), MaxValueValidator(100)],
        help_text="Added to what the panel credits, from the amount below on.",
    )  # fmt: skip
    bonus_from = models.DecimalField(
        **MONEY, default=Decimal(0), validators=[MinValueValidator(0)],
        help_text="Bonus applies when the credit (in the panel currency) reaches this.",
    )  # fmt: skip
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.name


class GatewayCurrency(models.Model):
    """A currency a gateway takes, with its limits and its rate into the panel currency."""

    gateway = models.ForeignKey(Gateway, on_delete=models.CASCADE, related_name="currencies")
    currency = models.CharField(max_length=3, validators=[CURRENCY])
    exchange_rate = models.DecimalField(
        max_digits=24, decimal_places=10, default=Decimal(1),
        validators=[MinValueValidator(Decimal("0.0000000001"))],
        help_text="Panel currency per 1 unit of this currency.",
    )  # fmt: skip
    min_amount = models.DecimalField(
        max_digits=14, decimal_places=2, default=Decimal(1), validators=[MinValueValidator(0)]
    )
    max_amount = models.DecimalField(
        max_digits=14, decimal_places=2, default=Decimal(100000), validators=[MinValueValidator(0)]
    )

    class Meta:
        ordering = ["id"]
        verbose_name_plural = "currencies"
        constraints = [
            models.UniqueConstraint(fields=["gateway", "currency"], name="gateway_currency_once"),
            models.CheckConstraint(
                condition=Q(min_amount__lte=models.F("max_amount")), name="gateway_min_le_max"
            ),
        ]

    def __str__(self) -> str:
        return self.currency

    def clean(self) -> None:
        low, high = self.min_amount, self.max_amount
        if low is not None and high is not None and low > high:
            raise ValidationError({"max_amount": "Must be at least the minimum."})


class AccountKind(models.TextChoices):
    BANK = "bank", "Bank account"
    UPI = "upi", "UPI"


class TransferAccount(models.Model):
    """Where customers send a manual transfer: bank details, or a UPI id (shown as a QR code)."""

    kind = models.CharField(max_length=8, choices=AccountKind.choices, default=AccountKind.BANK)
    name = models.CharField(max_length=100, help_text="e.g. “HDFC current account” or “UPI”.")
    currency = models.CharField(
        max_length=3, validators=[CURRENCY],
        help_text="Must be one of the manual transfer method's currencies.",
    )  # fmt: skip
    details = models.TextField(
        max_length=2000, blank=True,
        help_text="Shown as written: account holder, number, IFSC / SWIFT, bank…",
    )  # fmt: skip
    upi_id = models.CharField(
        "UPI id",
        max_length=255,
        blank=True,
        help_text="For UPI: the payee's VPA, e.g. shop@okhdfc.",
    )
    payee_name = models.CharField(max_length=100, blank=True, help_text="For UPI: the payee.")
    enabled = models.BooleanField(default=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.kind == AccountKind.UPI:
            if not UPI_ID.match(self.upi_id or ""):
                raise ValidationError({"upi_id": "A UPI id looks like name@bank."})
            if self.currency != "INR":
                raise ValidationError({"currency": "UPI takes INR."})
        elif not self.details.strip():
            raise ValidationError({"details": "Write the bank details customers send money to."})


class ReversalKind(models.TextChoices):
    REFUND = "refund", "Refund"
    DISPUTE = "dispute", "Dispute"


class Reversal(models.Model):
    """A refund or dispute a gateway reported on a credited payment (payments/reversals.py).

    What it takes back is debited as far as the balance goes; the rest is `owed`, and while a
    customer owes anything their ordering is paused (orders/placing.py) until staff collect it
    or write it off.
    """

    payment = models.ForeignKey(
        "accounts.Payment", on_delete=models.PROTECT, related_name="reversals"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="reversals"
    )
    kind = models.CharField(max_length=8, choices=ReversalKind.choices)
    gateway_ref = models.CharField(max_length=200, help_text="The gateway's refund or dispute id.")
    amount = models.DecimalField(**MONEY, help_text="As the gateway reported it, its currency.")
    currency = models.CharField(max_length=3)
    take_back = models.DecimalField(
        **MONEY, help_text="Its share of what the payment credited (panel currency)."
    )
    taken = models.DecimalField(**MONEY, default=Decimal(0), help_text="Debited so far.")
    written_off = models.DecimalField(**MONEY, default=Decimal(0))
    owed = models.DecimalField(**MONEY, default=Decimal(0), help_text="Still to be recovered.")
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    note = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = "refund or dispute"
        verbose_name_plural = "refunds and disputes"
        constraints = [
            models.UniqueConstraint(fields=["payment", "gateway_ref"], name="reversal_once"),
            models.CheckConstraint(
                condition=Q(owed__gte=0, taken__gte=0, written_off__gte=0)
                & Q(take_back=models.F("taken") + models.F("written_off") + models.F("owed")),
                name="reversal_adds_up",
            ),
        ]
        indexes = [
            # The placement guard: does this customer owe anything? (orders/placing.py)
            models.Index(fields=["user"], condition=Q(owed__gt=0), name="reversal_owing"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.gateway_ref} of payment #{self.payment_id}"
