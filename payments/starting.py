"""Starting a payment: the quote fixed, the row recorded, then the gateway called (outside any
transaction), and for a manual transfer the customer's reference (UTR)."""

from collections.abc import Callable
from decimal import Decimal

from accounts.models import Payment, PaymentStatus, User
from accounts.states import PAYMENTS

from .crediting import flag
from .methods import METHODS
from .methods.base import GatewayError, Urls
from .models import Gateway, GatewayCurrency
from .quotes import Quote, quote


def quote_for(gateway: Gateway, currency: GatewayCurrency, amount: Decimal) -> Quote:
    return quote(
        amount=amount,
        currency=currency.currency,
        exchange_rate=currency.exchange_rate,
        fee_percent=gateway.fee_percent,
        bonus_percent=gateway.bonus_percent,
        bonus_from=gateway.bonus_from,
    )


def start_payment(
    *,
    user: User,
    gateway: Gateway,
    currency: GatewayCurrency,
    amount: Decimal,
    urls: Callable[[Payment], Urls],
    details: dict | None = None,
) -> Payment:
    """Record the payment with its quote, then open it at the gateway. GatewayError (the
    payment is marked failed, nothing was charged) when the gateway cannot."""
    q = quote_for(gateway, currency, amount)
    payment = Payment.objects.create(
        user=user, method=gateway.code, amount=q.credit, currency=q.currency,
        gateway_amount=q.total, fee=q.fee, exchange_rate=q.exchange_rate, bonus=q.bonus,
        details=details or {},
    )  # fmt: skip
    try:
        opened = METHODS[gateway.code].open(payment=payment, gateway=gateway, urls=urls(payment))
    except GatewayError as exc:
        PAYMENTS.move(
            pk=payment.pk, source=PaymentStatus.PENDING, target=PaymentStatus.FAILED,
            note=str(exc)[:500],
        )  # fmt: skip
        raise
    Payment.objects.filter(pk=payment.pk).update(gateway_ref=opened.ref, details=opened.details)
    payment.gateway_ref, payment.details = opened.ref, opened.details
    return payment


def submit_reference(*, payment: Payment, reference: str) -> bool:
    """The customer's transaction reference (UTR) for a manual transfer, once. A reference
    another payment already carries is flagged to staff before they approve."""
    changed = Payment.objects.filter(
        pk=payment.pk, user_id=payment.user_id, method="manual", status=PaymentStatus.PENDING,
        reference="",
    ).update(reference=reference)  # fmt: skip
    if not changed:
        return False
    payment.reference = reference
    others = duplicates_of(payment)
    if others:
        flag(payment, f"Reference {reference} is also on payment {', '.join(others)}.")
    return True


def duplicates_of(payment: Payment) -> list[str]:
    """Other payments carrying the same reference (ignoring case), as "#12"."""
    if not payment.reference:
        return []
    same = (
        Payment.objects.filter(reference__iexact=payment.reference)
        .exclude(pk=payment.pk)
        .values_list("pk", flat=True)[:5]
    )
    return [f"#{pk}" for pk in same]
