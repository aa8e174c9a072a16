"""What staff may do to an order by hand (docs/design.md, the staff rows of the orders' state
table, orders/states.py).

Each function is one transaction: a compare-and-set on the status, the money through
orders.settlement (refunded once), and an OrderAction row saying who did what and why. Each
returns whether it changed anything: a second click, or an order that moved meanwhile, changes
nothing and writes no second audit row or refund. A request staff must correct (no reason, a
duplicate upstream id, a bad link…) raises StaffActionError and changes nothing.
"""

from collections.abc import Iterable
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import User

from .models import Order, OrderAction, OrderStatus
from .placing import enqueue_forwarding
from .settlement import settle, undelivered_refund
from .states import ORDERS
from .types import spec_for
from .validation import OrderError, validate_link

S = OrderStatus
MAX_REASON = OrderAction._meta.get_field("reason").max_length
MAX_UPSTREAM_ID = Order._meta.get_field("upstream_order_id").max_length

# The statuses each action starts from: the admin offers an action only where it applies.
ALLOWED_FROM: dict[str, tuple[str, ...]] = {
    "attach_upstream_id": (S.UNKNOWN,),
    "confirm_not_created_and_resend": (S.UNKNOWN,),
    "resend": (S.HELD, S.FAILED),  # FAILED only if nothing was refunded: see resend()
    "cancel_with_refund": (S.PENDING, S.HELD, S.UNKNOWN, S.IN_PROGRESS),
    "set_partial": (S.IN_PROGRESS, S.UNKNOWN),
    "edit_link": (S.PENDING, S.HELD),
}


class StaffActionError(Exception):
    """A staff request that cannot be done as asked; the message says why, for staff."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def applicable_actions(order: Order) -> list[str]:
    """The actions that may change `order` as it is now (for the buttons on its page)."""
    names = [name for name, statuses in ALLOWED_FROM.items() if order.status in statuses]
    if order.status == S.FAILED and order.refunded > 0:
        names.remove("resend")
    return names


def attach_upstream_id(*, order: Order, upstream_id: str, by: User, reason: str) -> bool:
    """UNKNOWN → IN_PROGRESS: staff found the order at the provider; the poller takes it on."""
    reason = _reason(reason)
    upstream_id = _upstream_id(order, upstream_id)
    try:
        with transaction.atomic():
            changed = _move(
                order,
                "attach_upstream_id",
                by=by,
                reason=reason,
                target=S.IN_PROGRESS,
                details={"upstream_id": upstream_id},
                upstream_order_id=upstream_id,
            )
    except IntegrityError:  # another order took this id between the check and the update
        raise StaffActionError(_duplicate_id_message(order, upstream_id)) from None
    return changed


def confirm_not_created_and_resend(*, order: Order, by: User, reason: str) -> bool:
    """UNKNOWN → PENDING: staff checked that the provider has no such order; send it again."""
    reason = _reason(reason)
    with transaction.atomic():
        changed = _move(
            order,
            "confirm_not_created_and_resend",
            by=by,
            reason=reason,
            target=S.PENDING,
            **_fresh_send(),
        )
        if changed:
            transaction.on_commit(lambda: enqueue_forwarding(order.pk))
    return changed


def resend(*, order: Order, by: User, reason: str) -> bool:
    """HELD, or FAILED with nothing refunded → PENDING, from its first offer, and send it.

    A refunded FAILED order is not resent: it would need a second charge row, which the
    ledger refuses (one charge per order). The customer places a new order instead.
    """
    reason = _reason(reason)
    with transaction.atomic():
        changed = _move(
            order,
            "resend",
            by=by,
            reason=reason,
            target=S.PENDING,
            where=Q(status=S.HELD) | Q(status=S.FAILED, refunded=0),
            **_fresh_send(),
            error="",
        )
        if changed:
            transaction.on_commit(lambda: enqueue_forwarding(order.pk))
    if not changed and _was_refunded_failure(order):
        raise StaffActionError(
            f"Order #{order.pk} failed and its charge was refunded: it cannot be sent again "
            "without charging the customer again. Ask the customer to place a new order."
        )
    return changed


def cancel_with_refund(*, order: Order, by: User, reason: str) -> bool:
    """PENDING, HELD, UNKNOWN or IN_PROGRESS → CANCELED with the whole charge refunded.

    From UNKNOWN or IN_PROGRESS the provider may still deliver: staff take that risk.
    """
    reason = _reason(reason)
    expected = ALLOWED_FROM["cancel_with_refund"]
    with transaction.atomic():
        before = _status_now(order, expected)
        changed = settle(
            order,
            status=S.CANCELED,
            refund=order.charge,
            expected=expected,
            memo=f"Order #{order.pk} canceled and refunded",  # the reason stays with staff
            by=by,
        )
        if changed:
            _audit(order, "cancel_with_refund", by, reason, before, refund=str(order.charge))
    return changed


def set_partial(*, order: Order, remains: int, by: User, reason: str) -> bool:
    """IN_PROGRESS or UNKNOWN → PARTIAL, refunding the `remains` undelivered units, once."""
    reason = _reason(reason)
    if isinstance(remains, bool) or not isinstance(remains, int):
        raise StaffActionError("Remains must be a whole number.")
    if not 0 <= remains <= order.units:
        raise StaffActionError(
            f"Remains must be between 0 and {order.units:,} (the units order #{order.pk} paid for)."
        )
    expected = ALLOWED_FROM["set_partial"]
    refund = undelivered_refund(order, remains)
    with transaction.atomic():
        before = _status_now(order, expected)
        changed = settle(
            order,
            status=S.PARTIAL,
            refund=refund,
            expected=expected,
            memo=f"Order #{order.pk} partially delivered: {remains:,} not delivered, refunded",
            by=by,
            remains=remains,
        )
        if changed:
            _audit(order, "set_partial", by, reason, before, remains=remains, refund=str(refund))
    return changed


def edit_link(*, order: Order, link: str, by: User, reason: str) -> bool:
    """Correct the link of an order not yet sent (PENDING or HELD), checked as placing does."""
    reason = _reason(reason)
    if not spec_for(order.service.type).link:
        raise StaffActionError(f"Order #{order.pk} is of a type that has no link.")
    try:
        link = validate_link(link)
    except OrderError as exc:
        raise StaffActionError(exc.detail) from None
    with transaction.atomic():
        locked = Order.objects.select_for_update().filter(pk=order.pk)
        old = locked.values_list("link", flat=True).first()
        changed = _move(
            order,
            "edit_link",
            by=by,
            reason=reason,
            details={"old_link": old, "new_link": link},
            where=Q(status__in=ALLOWED_FROM["edit_link"]) & ~Q(link=link),
            link=link,
        )
    return changed


# --- helpers ----------------------------------------------------------------------------------


def _fresh_send() -> dict[str, Any]:
    """Sent again as if new: from the first offer, a fresh attempt count, no delay."""
    return {
        "next_attempt_at": None,
        "tried_offers": [],
        "attempts": 0,
        "upstream_order_id": None,
    }


def _move(
    order: Order,
    action: str,
    *,
    by: User,
    reason: str,
    target: str | None = None,
    details: dict | None = None,
    where: Q | None = None,
    **fields,
) -> bool:
    """The compare-and-set (from ALLOWED_FROM[action] unless `where` says more) to `target`
    (None: the status stays, as for a link edit) and its audit row, inside the caller's
    transaction. `fields` are written only if the order matched."""
    if where is None:
        where = Q(status__in=ALLOWED_FROM[action])
    rows = Order.objects.filter(where, pk=order.pk)
    before = rows.select_for_update().values_list("status", flat=True).first()
    if before is None:
        return False
    if target is None:
        changed = rows.update(**fields, updated_at=timezone.now())
    else:
        changed = ORDERS.move(pk=order.pk, source=before, target=target, where=where, **fields)
        fields["status"] = target
    if not changed:
        return False
    for name, value in fields.items():
        setattr(order, name, value)
    _audit(order, action, by, reason, before, **(details or {}))
    return True


def _status_now(order: Order, expected: Iterable[str]) -> str | None:
    """The order's status, locked until commit, if it is one of `expected` (for the audit)."""
    rows = Order.objects.filter(pk=order.pk, status__in=list(expected)).select_for_update()
    return rows.values_list("status", flat=True).first()


def _audit(order: Order, action: str, by: User, reason: str, before: str | None, **details):
    OrderAction.objects.create(
        order=order,
        staff=by,
        action=action,
        reason=reason,
        details={"from": before, "to": order.status, **details},
    )


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise StaffActionError("Give a reason: it is kept with the order's history.")
    if len(reason) > MAX_REASON:
        raise StaffActionError(f"The reason is longer than {MAX_REASON} characters.")
    return reason


def _upstream_id(order: Order, upstream_id: str) -> str:
    upstream_id = (upstream_id or "").strip()
    if not upstream_id:
        raise StaffActionError("Enter the provider's order id.")
    if len(upstream_id) > MAX_UPSTREAM_ID:
        raise StaffActionError(
            f"The provider's order id is longer than {MAX_UPSTREAM_ID} characters."
        )
    if any(ch.isspace() or not ch.isprintable() for ch in upstream_id):
        raise StaffActionError(
            "The provider's order id must not contain spaces or control characters."
        )
    provider_id = Order.objects.filter(pk=order.pk).values_list("provider_id", flat=True).first()
    if provider_id is None:
        raise StaffActionError(
            f"Order #{order.pk} was never sent to a provider: there is no id to attach."
        )
    taken = Order.objects.filter(provider_id=provider_id, upstream_order_id=upstream_id)
    if taken.exclude(pk=order.pk).exists():
        raise StaffActionError(_duplicate_id_message(order, upstream_id))
    return upstream_id


def _duplicate_id_message(order: Order, upstream_id: str) -> str:
    provider_id = Order.objects.filter(pk=order.pk).values("provider_id")
    other = (
        Order.objects.filter(provider_id__in=provider_id, upstream_order_id=upstream_id)
        .exclude(pk=order.pk)
        .values_list("pk", flat=True)
        .first()
    )
    owner = f"order #{other}" if other else "another order"
    return f"The provider's order id {upstream_id} is already attached to {owner} of this provider."


def _was_refunded_failure(order: Order) -> bool:
    return Order.objects.filter(pk=order.pk, status=S.FAILED, refunded__gt=0).exists()
