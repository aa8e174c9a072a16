"""Refill and cancel requests: recorded for the customer, sent upstream by a worker with the
same claim-then-send rule as orders, and followed up by polling (refills) or by the order's
own status (cancels are settled by the order poller when it turns Canceled or Partial)."""

import logging
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import User
from catalog.upstream import ItemError, Outcome, UpstreamError

from .models import CancelRequest, Order, OrderStatus, Refill, RequestStatus
from .settlement import settle

log = logging.getLogger(__name__)

OPEN = (RequestStatus.PENDING, RequestStatus.SENDING, RequestStatus.ACCEPTED, RequestStatus.UNKNOWN)
CANCELABLE_LOCALLY = (OrderStatus.PENDING, OrderStatus.HELD)  # never sent: no upstream to ask


class RequestRefused(Exception):
    """`message` is the API v2 text."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def _own_order(user: User, order_id: object) -> Order:
    text = str(order_id or "").strip()
    if not (text.isascii() and text.isdigit() and len(text) <= 18):
        raise RequestRefused("Incorrect order ID")
    order = Order.objects.select_related("service").filter(pk=int(text), user=user).first()
    if order is None:
        raise RequestRefused("Incorrect order ID")
    return order


# --- refills ----------------------------------------------------------------------------------


def refill_window() -> timedelta:
    return timedelta(days=settings.REFILL_WINDOW_DAYS)


def can_refill(order: Order, *, now=None) -> bool:
    now = now or timezone.now()
    return (
        order.status == OrderStatus.COMPLETED
        and order.service.refill
        and order.upstream_order_id is not None
        and order.created_at >= now - refill_window()
    )


def request_refill(*, user: User, order_id: object) -> Refill:
    """Record a refill of the customer's completed order (at most one open at a time)."""
    order = _own_order(user, order_id)
    if not can_refill(order):
        raise RequestRefused("Order not eligible for refill")
    try:
        with transaction.atomic():
            refill = Refill.objects.create(order=order, user=user)
            transaction.on_commit(lambda: _enqueue("forward_refill", refill.pk))
    except IntegrityError:  # one already open (the unique constraint decides races)
        raise RequestRefused("Order not eligible for refill") from None
    return refill


def own_refill(*, user: User, refill_id: object) -> Refill:
    text = str(refill_id or "").strip()
    refill = None
    if text.isascii() and text.isdigit() and len(text) <= 18:
        refill = Refill.objects.filter(pk=int(text), user=user).first()
    if refill is None:
        raise RequestRefused("Incorrect refill ID")
    return refill


def forward_refill(refill_id: int) -> str:
    refill = Refill.objects.select_related("order__provider").filter(pk=refill_id).first()
    if refill is None or not _claim(Refill, refill_id):
        return "not pending"
    order = refill.order
    try:
        upstream_id = order.provider.client().refill(order.upstream_order_id)
    except UpstreamError as exc:
        return _request_failed(Refill, refill, exc)
    Refill.objects.filter(pk=refill_id, status=RequestStatus.SENDING).update(
        status=RequestStatus.ACCEPTED, upstream_refill_id=upstream_id, updated_at=timezone.now()
    )
    return RequestStatus.ACCEPTED


REFILL_DONE = {"completed": RequestStatus.COMPLETED, "rejected": RequestStatus.REJECTED,
               "failed": RequestStatus.REJECTED, "error": RequestStatus.REJECTED,
               "canceled": RequestStatus.REJECTED, "cancelled": RequestStatus.REJECTED}  # fmt: skip


def poll_refills(*, batch: int = 100) -> int:
    """Ask each provider for its accepted refills' statuses (≤100 ids per call)."""
    from catalog.models import Provider

    checked = 0
    for provider in Provider.objects.filter(
        enabled=True, orders__refills__status="accepted"
    ).distinct():
        refills = list(
            Refill.objects.filter(order__provider=provider, status=RequestStatus.ACCEPTED)
            .order_by(F("last_checked_at").asc(nulls_first=True))
            .values_list("pk", "upstream_refill_id")[:10_000]
        )
        client = provider.client()
        for start in range(0, len(refills), batch):
            chunk = dict((upstream, pk) for pk, upstream in refills[start : start + batch])
            try:
                answers = client.refill_statuses(list(chunk))
            except UpstreamError as exc:
                log.warning("refill status from provider %s failed: %s", provider.pk, exc.message)
                continue
            checked += _apply_refill_statuses(chunk, answers)
    return checked


def _apply_refill_statuses(chunk: dict[str, int], answers: dict) -> int:
    now = timezone.now()
    for upstream_id, pk in chunk.items():
        answer = answers.get(upstream_id)
        if answer is None or isinstance(answer, ItemError):
            error = answer.error if answer else "missing from the provider's answer"
            Refill.objects.filter(pk=pk).update(error=error[:500], last_checked_at=now)
            continue
        done = REFILL_DONE.get(answer.strip().lower())
        update = {"upstream_status": answer[:64], "last_checked_at": now, "updated_at": now}
        if done:
            update["status"] = done
        Refill.objects.filter(pk=pk, status=RequestStatus.ACCEPTED).update(**update)
    return len(chunk)


# --- cancels ----------------------------------------------------------------------------------


def request_cancel(*, user: User, order_id: object) -> Order | CancelRequest:
    """Cancel the customer's order: at once with a full refund if it never left the panel,
    else by asking the upstream (the poller settles it when the order turns Canceled)."""
    order = _own_order(user, order_id)
    if not order.service.cancel:
        raise RequestRefused("Order not eligible for cancel")
    if order.status in CANCELABLE_LOCALLY and settle(
        order,
        status=OrderStatus.CANCELED,
        refund=order.charge,
        expected=CANCELABLE_LOCALLY,
        memo=f"Order #{order.pk} canceled before it was sent",
    ):
        return order
    if order.status != OrderStatus.IN_PROGRESS:
        raise RequestRefused("Order not eligible for cancel")
    try:
        with transaction.atomic():
            cancel = CancelRequest.objects.create(order=order, user=user)
            transaction.on_commit(lambda: _enqueue("forward_cancel", cancel.pk))
    except IntegrityError:
        raise RequestRefused("Order not eligible for cancel") from None
    return cancel


def forward_cancel(cancel_id: int) -> str:
    cancel = CancelRequest.objects.select_related("order__provider").filter(pk=cancel_id).first()
    if cancel is None or not _claim(CancelRequest, cancel_id):
        return "not pending"
    order = cancel.order
    try:
        answer = (
            order.provider.client().cancel([order.upstream_order_id]).get(order.upstream_order_id)
        )
    except UpstreamError as exc:
        return _request_failed(CancelRequest, cancel, exc)
    if isinstance(answer, ItemError):
        status, error = RequestStatus.REJECTED, answer.error
    else:
        status, error = RequestStatus.ACCEPTED, ""
    CancelRequest.objects.filter(pk=cancel_id, status=RequestStatus.SENDING).update(
        status=status, error=error[:500], updated_at=timezone.now()
    )
    return status


# --- shared -----------------------------------------------------------------------------------


def _claim(model, pk: int) -> bool:
    if connection.in_atomic_block:
        raise transaction.TransactionManagementError("never call an upstream inside a transaction")
    now = timezone.now()
    due = model.objects.filter(pk=pk, status=RequestStatus.PENDING).exclude(next_attempt_at__gt=now)
    return bool(due.update(status=RequestStatus.SENDING, sent_at=now, attempts=F("attempts") + 1))


def _request_failed(model, request, exc: UpstreamError) -> str:
    now = timezone.now()
    if exc.outcome == Outcome.REJECTED:
        status, update = RequestStatus.REJECTED, {"error": exc.message[:500]}
    elif exc.outcome == Outcome.NOT_SENT and request.attempts < 5:
        delay = timedelta(seconds=30 * 2**request.attempts)
        status, update = RequestStatus.PENDING, {"next_attempt_at": now + delay}
    elif exc.outcome == Outcome.NOT_SENT:
        status, update = RequestStatus.FAILED, {"error": "The provider could not be reached."}
    else:
        status, update = RequestStatus.UNKNOWN, {"error": f"outcome unknown: {exc.message}"[:500]}
    model.objects.filter(pk=request.pk, status=RequestStatus.SENDING).update(
        status=status, updated_at=now, **update
    )
    return status


def sweep_requests(*, now=None) -> int:
    """Requests stuck mid-send become UNKNOWN; due PENDING ones are enqueued again."""
    now = now or timezone.now()
    stale = now - timedelta(seconds=settings.UPSTREAM_DEADLINE + 30)
    count = 0
    for model, task in ((Refill, "forward_refill"), (CancelRequest, "forward_cancel")):
        count += model.objects.filter(status=RequestStatus.SENDING, sent_at__lt=stale).update(
            status=RequestStatus.UNKNOWN, error="the send did not finish: not resent"
        )
        due = model.objects.filter(
            status=RequestStatus.PENDING, updated_at__lt=now - timedelta(seconds=20)
        ).exclude(next_attempt_at__gt=now)
        for pk in due.values_list("pk", flat=True)[:1000]:
            _enqueue(task, pk)
            count += 1
    return count


def _enqueue(task_name: str, pk: int) -> None:
    from . import tasks

    try:
        getattr(tasks, task_name).delay(pk)
    except Exception:  # broker away: sweep_requests picks it up
        log.exception("could not enqueue %s(%s)", task_name, pk)
