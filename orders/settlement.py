"""Ending an order and refunding what was not delivered: once, whoever asks and however often.

A compare-and-set on the status decides who settles; the unique refund row per order makes
a replay impossible even if two callers raced past the check.
"""

from collections.abc import Iterable
from decimal import ROUND_DOWN, Decimal

from django.db import transaction
from django.db.models import Q

from accounts import ledger
from accounts.models import LedgerKind, User
from panel.money import MONEY_PLACES

from . import notifications
from .models import Order, OrderStatus, RequestStatus
from .states import CANCELS, ORDERS

ACTIVE = (OrderStatus.IN_PROGRESS,)
FINAL = (OrderStatus.COMPLETED, OrderStatus.PARTIAL, OrderStatus.CANCELED, OrderStatus.FAILED)


def undelivered_refund(order: Order, remains: int) -> Decimal:
    """The charge for the undelivered units: rate × clamp(remains, 0, units) / 1000, never more
    than what was charged. Computed in proportion for packages and subscriptions. An order of
    no units (a quantity 0 stored by an older panel or by hand) has delivered nothing: all of
    its charge goes back, and no 0/0 stops the run."""
    units = order.units
    if units <= 0:
        return order.charge
    left = min(max(remains, 0), units)
    refund = (order.charge * left / units).quantize(MONEY_PLACES, rounding=ROUND_DOWN)
    return min(refund, order.charge)


def settle(
    order: Order,
    *,
    status: str,
    refund: Decimal,
    expected: Iterable[str] = ACTIVE,
    memo: str = "",
    by: User | None = None,
    **fields,
) -> bool:
    """Move `order` from one of the `expected` statuses to `status`, refunding `refund` once.

    Returns False (and changes nothing) if the order was no longer in an expected status.
    Extra `fields` are written with the status (remains, error, …).
    """
    with transaction.atomic():
        changed = ORDERS.move(
            pk=order.pk, source=tuple(expected), target=status, refunded=refund, **fields
        )
        if not changed:
            return False
        _close_cancel_requests(order.pk, status)
        if refund > 0:
            ledger.credit(
                user_id=order.user_id,
                amount=refund,
                kind=LedgerKind.REFUND,
                order_id=order.pk,
                memo=memo[:500],
                by=by,
            )
        notifications.order_settled(order.pk, status, refund)  # its mail, if the customer wants it
    order.status, order.refunded = status, refund
    for name, value in fields.items():
        setattr(order, name, value)
    return True


def _close_cancel_requests(order_id: int, status: str) -> None:
    """An open cancel request ends with its order: done if the order stopped, refused if it
    completed anyway."""
    outcome = RequestStatus.REJECTED if status == OrderStatus.COMPLETED else RequestStatus.COMPLETED
    CANCELS.move(
        source=(RequestStatus.PENDING, RequestStatus.ACCEPTED),
        target=outcome,
        where=Q(order_id=order_id),
    )


def fail(order: Order, *, error: str, expected: Iterable[str], by: User | None = None) -> bool:
    """FAILED with a full refund and the reason shown to the customer."""
    return settle(
        order,
        status=OrderStatus.FAILED,
        refund=order.charge,
        expected=expected,
        memo=f"Order #{order.pk} failed: {error}",
        by=by,
        error=error[:500],
    )
