"""Adding funds: payment methods behind one small interface, and the staff decision on them.

A method turns a customer's request into a pending Payment; the money moves only when the
payment is approved, exactly once (a compare-and-set on the status plus a unique deposit row).
"""

from dataclasses import dataclass
from decimal import Decimal

from django import forms
from django.db import transaction
from django.utils import timezone

from . import ledger
from .models import LedgerKind, Payment, PaymentStatus, User
from .states import PAYMENTS

MIN_AMOUNT = Decimal("1")
MAX_AMOUNT = Decimal("100000")


class PaymentMethod:
    """One way of adding funds. Subclasses name themselves and say what the customer enters."""

    code: str
    name: str
    instructions: str = ""

    def form_class(self) -> type[forms.Form]:
        raise NotImplementedError

    def start(self, *, user: User, data: dict) -> Payment:
        """Record the customer's request (cleaned form data) as a pending payment."""
        raise NotImplementedError


class ManualTransferForm(forms.Form):
    amount = forms.DecimalField(
        min_value=MIN_AMOUNT, max_value=MAX_AMOUNT, max_digits=12, decimal_places=2,
        help_text=f"Between {MIN_AMOUNT} and {MAX_AMOUNT:,}.",
    )  # fmt: skip
    reference = forms.CharField(
        max_length=200,
        help_text="The transaction reference of your transfer, so we can find it.",
    )

    def clean_reference(self) -> str:
        reference = self.cleaned_data["reference"].strip()
        if not reference.isprintable():
            raise forms.ValidationError("Use printable characters only.")
        return reference


class ManualTransfer(PaymentMethod):
    code = "manual"
    name = "Bank transfer (manual)"
    instructions = (
        "Send the amount by bank transfer, then enter it here with your transaction reference. "
        "Funds are added once our staff have matched the transfer."
    )

    def form_class(self) -> type[forms.Form]:
        return ManualTransferForm

    def start(self, *, user: User, data: dict) -> Payment:
        return Payment.objects.create(
            user=user, method=self.code, amount=data["amount"], reference=data["reference"]
        )


METHODS: dict[str, PaymentMethod] = {method.code: method for method in [ManualTransfer()]}


@dataclass(frozen=True)
class Decision:
    payment: Payment
    changed: bool  # False: somebody had already decided it; nothing was done


def approve_payment(*, payment_id: int, by: User, note: str = "") -> Decision:
    """Credit the payment's amount once, however many times or by how many staff it is clicked."""
    with transaction.atomic():
        changed = _decide(payment_id, PaymentStatus.APPROVED, by, note)
        payment = Payment.objects.get(pk=payment_id)
        if changed:
            ledger.credit(
                user_id=payment.user_id,
                amount=payment.amount,
                kind=LedgerKind.DEPOSIT,
                payment_id=payment.pk,
                memo=f"{METHODS[payment.method].name if payment.method in METHODS else payment.method}"
                f" · {payment.reference}"[:500],
                by=by,
            )
    return Decision(payment, changed)


def reject_payment(*, payment_id: int, by: User, note: str = "") -> Decision:
    with transaction.atomic():
        changed = _decide(payment_id, PaymentStatus.REJECTED, by, note)
        return Decision(Payment.objects.get(pk=payment_id), changed)


def _decide(payment_id: int, status: str, by: User, note: str) -> bool:
    """Compare-and-set from PENDING: only one decision can ever win."""
    return bool(
        PAYMENTS.move(
            pk=payment_id,
            source=PaymentStatus.PENDING,
            target=status,
            decided_at=timezone.now(),
            decided_by=by,
            note=note[:500],
        )
    )
