"""Crediting payments: exactly once, for exactly what the panel asked, whoever reports it.

A payment is credited by one compare-and-set (PENDING or FAILED → APPROVED, recording the
gateway's payment id) and one deposit in the same transaction. The return redirect, the
webhook, the same webhook three times and two webhooks at once on two web workers all race for
that one UPDATE: PostgreSQL lets one win, the others find the status changed and do nothing.
The unique (method, gateway payment id) and the ledger's one deposit per payment back it up.
"""

import logging
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts import ledger
from accounts.models import LedgerKind, Payment, PaymentStatus, User
from accounts.states import PAYMENTS
from outbox.mail import queue_template
from panel.money import format_money as money

log = logging.getLogger(__name__)

CREDITABLE = [PaymentStatus.PENDING, PaymentStatus.FAILED]  # a late success still counts


class UnknownPayment(Exception):
    """A gateway named a payment the panel never opened (or of another gateway)."""


@dataclass(frozen=True)
class Decision:
    payment: Payment
    changed: bool  # False: it had been decided already; nothing was done


def credit_paid(
    *, method: str, ref: str, payment_id: str, amount: Decimal, currency: str
) -> Decision:
    """The gateway says `ref` was paid by its payment `payment_id`: credit it once, or flag it
    when the figures differ from what the panel asked (nothing is credited then)."""
    payment = _find(method=method, gateway_ref=ref)
    if payment.status == PaymentStatus.APPROVED and payment.gateway_payment_id == payment_id:
        return Decision(payment, False)  # a duplicate delivery: the common case, no write
    if (amount, currency) != (payment.gateway_amount, payment.currency):
        flag(
            payment,
            f"{method} reported {money(amount)} {currency} paid by {payment_id}; the panel "
            f"asked {money(payment.gateway_amount)} {payment.currency}. Nothing was credited.",
        )
        return Decision(payment, False)
    try:
        with transaction.atomic():
            changed = _settle(payment, payment_id)
    except IntegrityError:  # the same gateway payment already paid another of our payments
        changed = False
    if changed:
        return Decision(payment, True)
    credited_by = Payment.objects.values_list("gateway_payment_id", flat=True).get(pk=payment.pk)
    if credited_by != payment_id:
        flag(
            payment,
            f"{method} reported a second payment {payment_id} for it (credited: "
            f"{credited_by or 'none'}). Refund it at the gateway or credit it by hand.",
        )
    return Decision(payment, False)


def _find(**lookup) -> Payment:
    """One payment by its unique gateway id (no ORDER BY: the unique index answers)."""
    try:
        return Payment.objects.select_related("user").order_by().get(**lookup)
    except Payment.DoesNotExist:
        raise UnknownPayment(" ".join(lookup.values())) from None


def _settle(payment: Payment, payment_id: str) -> bool:
    now = timezone.now()
    changed = PAYMENTS.move(
        pk=payment.pk, source=CREDITABLE, target=PaymentStatus.APPROVED,
        gateway_payment_id=payment_id, decided_at=now,
    )  # fmt: skip
    if changed:
        payment.status, payment.gateway_payment_id, payment.decided_at = (
            PaymentStatus.APPROVED, payment_id, now,
        )  # fmt: skip
        _deposit(payment, by=None)
    return bool(changed)


def mark_failed(*, method: str, ref: str, reason: str) -> Decision:
    payment = _find(method=method, gateway_ref=ref)
    changed = PAYMENTS.move(
        pk=payment.pk, source=PaymentStatus.PENDING, target=PaymentStatus.FAILED,
        decided_at=timezone.now(), note=reason[:500],
    )  # fmt: skip
    payment.refresh_from_db()
    return Decision(payment, bool(changed))


def flag(payment: Payment, text: str) -> None:
    """Put the payment in front of staff (admin: Payments, "flagged")."""
    log.warning("payment %s flagged: %s", payment.pk, text)
    Payment.objects.filter(pk=payment.pk).update(flag=text[:500])
    payment.flag = text[:500]


def approve_payment(*, payment_id: int, by: User, note: str = "") -> Decision:
    """A staff approval: credit the payment's amount once, however often it is clicked."""
    with transaction.atomic():
        changed = _decide(payment_id, PaymentStatus.APPROVED, by, note)
        payment = Payment.objects.get(pk=payment_id)
        if changed:
            _deposit(payment, by=by)
    return Decision(payment, changed)


def reject_payment(*, payment_id: int, by: User, note: str = "") -> Decision:
    with transaction.atomic():
        changed = _decide(payment_id, PaymentStatus.REJECTED, by, note)
        return Decision(Payment.objects.get(pk=payment_id), changed)


def _decide(payment_id: int, status: str, by: User, note: str) -> bool:
    """Compare-and-set from PENDING: only one decision can ever win. Nobody decides their own
    payment (ledger.OwnMoney), superusers included."""
    if Payment.objects.filter(pk=payment_id, user_id=by.pk).exists():
        raise ledger.OwnMoney("Nobody decides their own payment: ask another member of Finance.")
    return bool(
        PAYMENTS.move(
            pk=payment_id,
            source=PaymentStatus.PENDING,
            target=status,
            decided_at=timezone.now(),
            decided_by=by,
            note=note[:500],
        )  # fmt: skip
    )


def _deposit(payment: Payment, *, by: User | None) -> None:
    """The one deposit of a payment, and the customer's mail about it (same transaction)."""
    from .methods import method_name

    what = payment.reference or payment.gateway_payment_id
    ledger.credit(
        user_id=payment.user_id,
        amount=payment.amount,
        kind=LedgerKind.DEPOSIT,
        payment_id=payment.pk,
        memo=f"{method_name(payment.method)} · {what}"[:500],
        by=by,
    )
    user = payment.user
    queue_template(
        key=f"payment-credited:{payment.pk}",
        to=user.email,
        template="payments/mail/credited",
        context={
            "user": user,
            "payment": payment,
            "method": method_name(payment.method),
            "amount": money(payment.amount),
            "bonus": money(payment.bonus) if payment.bonus else "",
            "currency": settings.PANEL_CURRENCY,
        },
    )
