"""Refills: a completed order of a refill service may be refilled, once at a time, within the
refill window. Recorded for the customer, sent upstream by a worker (upstream_requests.py),
then followed by polling the upstream's refill statuses."""

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import User
from catalog.failures import describe, provider_failed
from catalog.upstream import ItemError, UpstreamError

from . import notifications
from .ids import parse_id
from .models import Order, OrderStatus, Refill, RequestStatus
from .states import REFILLS
from .upstream_requests import RequestRefused, claim, customer_order, record, record_failure

log = logging.getLogger(__name__)
REFILL_ID_LIMIT = Refill._meta.get_field("upstream_refill_id").max_length

R = RequestStatus
# The upstream's final refill words (lower-cased): anything else is still running.
REFILL_DONE = {"completed": R.COMPLETED, "rejected": R.REJECTED, "failed": R.REJECTED,
               "error": R.REJECTED, "canceled": R.REJECTED, "cancelled": R.REJECTED}  # fmt: skip


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
    order = customer_order(user, order_id)
    if not can_refill(order):
        raise RequestRefused("Order not eligible for refill")
    return record(Refill, order=order, user=user, refused="Order not eligible for refill")


def customer_refill(*, user: User, refill_id: object) -> Refill:
    """The customer's own refill with this id (any text), or RequestRefused."""
    number = parse_id(refill_id)
    refill = Refill.objects.filter(pk=number, user=user).first() if number is not None else None
    if refill is None:
        raise RequestRefused("Incorrect refill ID")
    return refill


def forward_refill(refill_id: int) -> str:
    refill = Refill.objects.select_related("order__provider").filter(pk=refill_id).first()
    if refill is None or not claim(Refill, refill_id):
        return "not pending"
    order = refill.order
    try:
        upstream_id = order.provider.client().refill(order.upstream_order_id)
    except Exception as exc:  # UpstreamError, or an answer our code could not handle
        return record_failure(refill, exc)
    if len(upstream_id) > REFILL_ID_LIMIT:  # cannot be stored: staff get it whole
        REFILLS.move(
            pk=refill_id, source=R.SENDING, target=R.UNKNOWN,
            error=f"upstream answered a refill id too long to store: {upstream_id}"[:500],
        )  # fmt: skip
        return R.UNKNOWN
    REFILLS.move(pk=refill_id, source=R.SENDING, target=R.ACCEPTED, upstream_refill_id=upstream_id)
    return R.ACCEPTED


def poll_refills(*, batch: int = 100) -> int:
    """Ask each provider for its accepted refills' statuses (≤100 ids per call)."""
    from catalog.models import Provider

    checked = 0
    for provider in Provider.objects.filter(
        enabled=True, orders__refills__status=R.ACCEPTED
    ).distinct():
        try:
            checked += _poll_provider_refills(provider, batch=batch)
        except Exception as exc:  # recorded on the provider; the other providers go on
            provider_failed(provider.pk, "Refill polling", exc)
    return checked


def _poll_provider_refills(provider, *, batch: int) -> int:
    checked = 0
    refills = list(
        Refill.objects.filter(order__provider=provider, status=R.ACCEPTED)
        .order_by(F("last_checked_at").asc(nulls_first=True))
        .values_list("pk", "upstream_refill_id", named=True)[:10_000]
    )
    client = provider.client()
    for start in range(0, len(refills), batch):
        chunk = {row.upstream_refill_id: row.pk for row in refills[start : start + batch]}
        try:
            answers = client.refill_statuses(list(chunk))
        except UpstreamError as exc:  # recorded on the provider; the next chunk is asked
            provider_failed(provider.pk, f"Refill status of {len(chunk)} refills", exc)
            continue
        checked += _record_refill_statuses(chunk, answers)
    return checked


def _record_refill_statuses(chunk: dict[str, int], answers: dict) -> int:
    now = timezone.now()
    for upstream_id, pk in chunk.items():
        try:
            _record_refill_status(pk, answers.get(upstream_id), now)
        except Exception as exc:  # this refill carries the error; the others are recorded
            log.exception("recording the status of refill %s failed", pk)
            note = f"Refill polling failed {now:%Y-%m-%d %H:%M} UTC: {describe(exc)}"
            Refill.objects.filter(pk=pk).update(error=note[:500], last_checked_at=now)
    return len(chunk)


def _record_refill_status(pk: int, answer, now) -> None:
    if answer is None or isinstance(answer, ItemError):
        error = answer.error if answer else "missing from the provider's answer"
        Refill.objects.filter(pk=pk).update(error=error[:500], last_checked_at=now)
        return
    update = {"upstream_status": answer[:64], "last_checked_at": now, "updated_at": now}
    done = REFILL_DONE.get(answer.strip().lower())
    if done:
        with transaction.atomic():  # the mail exists exactly when the refill is done
            moved = REFILLS.move(pk=pk, source=R.ACCEPTED, target=done, **update)
            if moved and done == R.COMPLETED:
                notifications.refill_done(pk)
    else:
        Refill.objects.filter(pk=pk, status=R.ACCEPTED).update(**update)
