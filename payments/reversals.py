"""Refunds and disputes a gateway reports, and the staff decisions about what is owed.

A reversal takes back its share of what the payment credited: debited as far as the balance
goes (never below zero), the rest recorded as owed. While a customer owes anything, placing
orders is refused (orders/placing.py) until staff collect it from a later balance or write it
off. Each gateway refund or dispute is recorded once: (payment, its id) is unique and the
payment row is locked while the share is worked out.
"""

from decimal import Decimal

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from accounts import ledger
from accounts.models import LedgerKind, Payment, PaymentStatus, User
from accounts.states import PAYMENTS

from .crediting import UnknownPayment, flag
from .models import Reversal, ReversalKind
from .quotes import share

CREDITED = [PaymentStatus.APPROVED, PaymentStatus.REFUNDED, PaymentStatus.DISPUTED]


def record_reversal(
    *, method: str, payment_id: str, ref: str, kind: str, amount: Decimal, currency: str
) -> Reversal | None:
    """Record the gateway's refund or dispute `ref` of its payment `payment_id`, once; None
    when it was recorded before."""
    found = Payment.objects.filter(method=method, gateway_payment_id=payment_id).first()
    if found is None:
        raise UnknownPayment(f"{method} {payment_id}")
    with transaction.atomic():
        payment = Payment.objects.select_for_update().get(pk=found.pk)
        if payment.reversals.filter(gateway_ref=ref).exists():
            return None
        reversal = _reverse(payment, ref=ref, kind=kind, amount=amount, currency=currency)
        status = PaymentStatus.DISPUTED if kind == ReversalKind.DISPUTE else PaymentStatus.REFUNDED
        if payment.status in CREDITED and payment.status != status:  # the row is locked
            PAYMENTS.move(pk=payment.pk, source=payment.status, target=status)
        note = (
            f"{reversal.get_kind_display()} {ref}: {amount} {currency}; took back "
            f"{reversal.taken.normalize():f}, owed {reversal.owed.normalize():f}."
        )
        flag(payment, note if currency == payment.currency else f"{note} Currency differs!")
    return reversal


def _reverse(payment: Payment, *, ref: str, kind: str, amount: Decimal, currency: str) -> Reversal:
    take_back = Decimal(0)
    if payment.status in CREDITED and currency == payment.currency and payment.gateway_amount:
        before = payment.reversals.aggregate(a=Sum("amount"), t=Sum("take_back"))
        reversed_total = min((before["a"] or 0) + amount, payment.gateway_amount)
        whole = share(credit=payment.amount, part=reversed_total, whole=payment.gateway_amount)
        take_back = max(Decimal(0), whole - (before["t"] or 0))
    taken = _take(payment.user_id, take_back, payment.pk, f"{kind} {ref}")
    return Reversal.objects.create(
        payment=payment, user_id=payment.user_id, kind=kind, gateway_ref=ref, amount=amount,
        currency=currency, take_back=take_back, taken=taken, owed=take_back - taken,
    )  # fmt: skip


def _take(user_id: int, amount: Decimal, payment_id: int, memo: str, by: User | None = None):
    if amount <= 0:
        return Decimal(0)
    entry = ledger.debit_available(
        user_id=user_id, amount=amount, kind=LedgerKind.REVERSAL, payment_id=payment_id,
        memo=memo[:500], by=by,
    )  # fmt: skip
    return Decimal(0) if entry is None else -entry.amount


def collect_owed(*, reversal_id: int, by: User) -> Reversal:
    """Take what the customer owes from their balance now, as far as it goes; decided once
    nothing is owed any more."""
    with transaction.atomic():
        reversal = Reversal.objects.select_for_update().get(pk=reversal_id)
        took = _take(
            reversal.user_id, reversal.owed, reversal.payment_id, f"owed: {reversal}", by=by
        )
        reversal.taken += took
        reversal.owed -= took
        if reversal.owed == 0 and reversal.decided_at is None:
            reversal.decided_at, reversal.decided_by = timezone.now(), by
        reversal.save(update_fields=["taken", "owed", "decided_at", "decided_by"])
    return reversal


def close_reversal(*, reversal_id: int, by: User, note: str = "") -> bool:
    """Staff decided: what is still owed is written off and ordering resumes. False when it
    had been decided already."""
    with transaction.atomic():
        reversal = Reversal.objects.select_for_update().get(pk=reversal_id)
        if reversal.decided_at is not None and reversal.owed == 0:
            return False
        reversal.written_off += reversal.owed
        reversal.owed = Decimal(0)
        reversal.decided_at, reversal.decided_by = timezone.now(), by
        reversal.note = note[:500]
        reversal.save(update_fields=["written_off", "owed", "decided_at", "decided_by", "note"])
    return True


def ordering_paused(user_id: int) -> bool:
    """Whether the customer owes the panel money from a refund or dispute."""
    return Reversal.objects.filter(user_id=user_id, owed__gt=0).exists()
