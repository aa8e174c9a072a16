"""What refill and cancel requests share on their way upstream (orders/refills.py,
orders/cancels.py): the customer's order they are about, the claim before the call, what a
failed call makes of them, and the sweeper. The same claim-then-send rule as orders: claimed
PENDING → SENDING and committed before any byte goes upstream; only a failure that provably
happened before the request left is tried again.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from accounts.models import User
from catalog.failures import describe
from catalog.upstream import Outcome, UpstreamError
from panel.states import StateTable

from .ids import parse_id
from .models import CancelRequest, Order, Refill, RequestStatus
from .states import CANCELS, REFILLS

log = logging.getLogger(__name__)

R = RequestStatus
OPEN = (R.PENDING, R.SENDING, R.ACCEPTED, R.UNKNOWN)
MAX_ATTEMPTS = 5  # sends that failed before leaving, before the request fails for good
TABLES: dict[type, tuple[StateTable, str]] = {
    Refill: (REFILLS, "forward_refill"),
    CancelRequest: (CANCELS, "forward_cancel"),
}


class RequestRefused(Exception):
    """`message` is the API v2 text."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def customer_order(user: User, order_id: object) -> Order:
    """The customer's own order with this id (any text), or RequestRefused."""
    number = parse_id(order_id)
    order = None
    if number is not None:
        order = Order.objects.select_related("service").filter(pk=number, user=user).first()
    if order is None:
        raise RequestRefused("Incorrect order ID")
    return order


def record(model: type[Refill | CancelRequest], *, order: Order, user: User, refused: str):
    """A new request of `order`, enqueued for a worker after commit; RequestRefused(`refused`)
    when one is already open (the unique constraint decides races)."""
    _, task = TABLES[model]
    try:
        with transaction.atomic():
            request = model.objects.create(order=order, user=user)
            transaction.on_commit(lambda: enqueue(task, request.pk))
    except IntegrityError:
        raise RequestRefused(refused) from None
    return request


def claim(model: type[Refill | CancelRequest], pk: int) -> bool:
    """PENDING (and due) → SENDING, committed before the upstream call. One winner only."""
    if connection.in_atomic_block:
        raise transaction.TransactionManagementError("never call an upstream inside a transaction")
    table, _ = TABLES[model]
    now = timezone.now()
    moved = table.move(
        pk=pk, source=R.PENDING, target=R.SENDING, where=~Q(next_attempt_at__gt=now),
        sent_at=now, attempts=F("attempts") + 1, updated_at=now,
    )  # fmt: skip
    return bool(moved)


def record_failure(request: Refill | CancelRequest, exc: Exception) -> str:
    """What a failed call makes of a SENDING request: rejected, tried again later, failed, or
    UNKNOWN (it may have been done upstream: never resent). An exception that is not an
    UpstreamError (an answer our code could not handle) is UNKNOWN too."""
    now = timezone.now()
    if not isinstance(exc, UpstreamError):
        status, update = R.UNKNOWN, {"error": f"answer not understood: {describe(exc)}"[:500]}
    elif exc.outcome == Outcome.REJECTED:
        status, update = R.REJECTED, {"error": exc.message[:500]}
    elif exc.outcome == Outcome.NOT_SENT and request.attempts < MAX_ATTEMPTS:
        delay = timedelta(seconds=30 * 2**request.attempts)
        status, update = R.PENDING, {"next_attempt_at": now + delay}
    elif exc.outcome == Outcome.NOT_SENT:
        status, update = R.FAILED, {"error": "The provider could not be reached."}
    else:
        status, update = R.UNKNOWN, {"error": f"outcome unknown: {exc.message}"[:500]}
    table, _ = TABLES[type(request)]
    table.move(pk=request.pk, source=R.SENDING, target=status, updated_at=now, **update)
    return status


def sweep_requests(*, now=None) -> int:
    """Requests stuck mid-send become UNKNOWN; due PENDING ones are enqueued again."""
    now = now or timezone.now()
    stale = now - timedelta(seconds=settings.UPSTREAM_DEADLINE + 30)
    count = 0
    for model, (table, task) in TABLES.items():
        count += table.move(
            source=R.SENDING, target=R.UNKNOWN, where=Q(sent_at__lt=stale),
            error="the send did not finish: not resent", updated_at=now,
        )  # fmt: skip
        due = model.objects.filter(
            status=R.PENDING, updated_at__lt=now - timedelta(seconds=20)
        ).exclude(next_attempt_at__gt=now)
        for pk in due.values_list("pk", flat=True)[:1000]:
            enqueue(task, pk)
            count += 1
    return count


def enqueue(task_name: str, pk: int) -> None:
    from . import tasks

    try:
        getattr(tasks, task_name).delay(pk)
    except Exception:  # broker away: sweep_requests picks it up
        log.exception("could not enqueue %s(%s)", task_name, pk)
