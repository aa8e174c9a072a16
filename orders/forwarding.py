"""Forwarding an order upstream exactly once (docs/design.md, "States").

The provider has no idempotency key, so a resend after a lost answer can create a second,
unpaid upstream order. Hence: claim PENDING → SENDING with a compare-and-set and commit it,
THEN call the upstream (never inside a transaction), then record the answer. Only a failure
that provably happened before the request left goes back to PENDING; anything uncertain is
UNKNOWN and waits for staff.
"""

import logging
import random
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from catalog.failures import describe, provider_failed
from catalog.models import ServiceOffer, UpstreamService
from catalog.upstream import Outcome, UpstreamError

from .models import Order, OrderStatus
from .settlement import fail
from .states import ORDERS
from .types import spec_for

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 6  # sends that failed before leaving, before the order fails for good
BACKOFF_BASE = 10  # seconds; doubled each attempt, with jitter
BACKOFF_MAX = 15 * 60
NO_FUNDS = ("not enough funds", "insufficient funds", "insufficient balance", "low balance")


def forward(order_id: int) -> str:
    """Send one PENDING order upstream; returns the status it ended in (or why not)."""
    if connection.in_atomic_block:
        raise transaction.TransactionManagementError("never call an upstream inside a transaction")
    order = Order.objects.select_related("service").filter(pk=order_id).first()
    if order is None or order.status != OrderStatus.PENDING:
        return "not pending"
    if order.next_attempt_at and order.next_attempt_at > timezone.now():
        return "not due"
    offer = next_offer(order)
    if offer is None:
        return _no_offer(order)
    if not claim(order, offer):
        return "claimed elsewhere"
    try:
        upstream_id = offer.provider.client().add(
            service=offer.upstream_id, **upstream_fields(order)
        )
    except UpstreamError as exc:
        return _record_error(order, offer, exc)
    except Exception as exc:  # an answer our code could not handle: it may have been placed
        _to_unknown(order, f"answer not understood: {describe(exc)} (outcome unknown: not resent)")
        return OrderStatus.UNKNOWN
    return _record_accepted(order, upstream_id)


def next_offer(order: Order) -> UpstreamService | None:
    """The service's first usable offer (active upstream, enabled provider) not yet tried."""
    offers = (
        ServiceOffer.objects.filter(
            service_id=order.service_id,
            upstream_service__active=True,
            upstream_service__provider__enabled=True,
        )
        .exclude(upstream_service_id__in=order.tried_offers or [])
        .select_related("upstream_service__provider")
        .order_by("priority", "id")
    )
    first = offers.first()
    return first.upstream_service if first else None


def claim(order: Order, offer: UpstreamService) -> bool:
    """PENDING → SENDING, committed before any byte goes upstream. One winner only."""
    now = timezone.now()
    won = ORDERS.move(
        pk=order.pk,
        source=OrderStatus.PENDING,
        target=OrderStatus.SENDING,
        upstream_service=offer,
        provider_id=offer.provider_id,
        exchange_rate=offer.provider.exchange_rate,  # its cost's rate into the panel currency
        sent_at=now,
        attempts=F("attempts") + 1,
        updated_at=now,
    )
    if won:
        # Re-read what will be sent: staff may have edited the link until the claim.
        order.link, order.extra = Order.objects.values_list("link", "extra").get(pk=order.pk)
        order.status, order.upstream_service, order.provider_id = (
            OrderStatus.SENDING,
            offer,
            offer.provider_id,
        )
        order.attempts += 1
    return bool(won)


def upstream_fields(order: Order) -> dict[str, str]:
    """Exactly the fields the customer paid for, in API v2 names."""
    spec = spec_for(order.service.type)
    fields: dict[str, str] = {}
    if spec.link:
        fields["link"] = order.link
    if spec.quantity == "quantity":
        fields["quantity"] = str(order.quantity)
    if order.runs:
        fields["runs"], fields["interval"] = str(order.runs), str(order.interval)
    fields.update({name: str(value) for name, value in order.extra.items()})
    return fields


UPSTREAM_ID_LIMIT = Order._meta.get_field("upstream_order_id").max_length


def _record_accepted(order: Order, upstream_id: str) -> str:
    if len(upstream_id) > UPSTREAM_ID_LIMIT:
        # It cannot be stored (nor polled): staff get the whole id, the order is not resent.
        _to_unknown(order, f"upstream answered an order id too long to store: {upstream_id}")
        return OrderStatus.UNKNOWN
    try:
        moved = ORDERS.move(
            pk=order.pk,
            source=OrderStatus.SENDING,
            target=OrderStatus.IN_PROGRESS,
            upstream_order_id=upstream_id,
        )
    except IntegrityError:
        # The provider gave an id another order already has: it cannot be trusted blindly.
        _to_unknown(
            order, f"upstream answered order id {upstream_id}, already used by another order"
        )
        return OrderStatus.UNKNOWN
    if not moved:  # the sweeper gave up on us meanwhile: keep the id for staff to see
        Order.objects.filter(pk=order.pk, status=OrderStatus.UNKNOWN).update(
            flag=f"late answer: upstream accepted as {upstream_id}"
        )
        return "late"
    log.info("order %s sent upstream as %s", order.pk, upstream_id)
    return OrderStatus.IN_PROGRESS


def _record_error(order: Order, offer: UpstreamService, exc: UpstreamError) -> str:
    if exc.outcome == Outcome.UNKNOWN:
        _to_unknown(order, f"{exc.message} (outcome unknown: not resent)")
        return OrderStatus.UNKNOWN
    if exc.outcome == Outcome.NOT_SENT:
        return _retry_later(order, exc.message)
    if any(words in exc.message.lower() for words in NO_FUNDS):
        return _hold(order, f"provider {offer.provider.name} is out of funds: {exc.message}")
    # Definitive refusal: try the next offer, or fail with a full refund.
    tried = [*order.tried_offers, offer.pk]
    if next_offer_exists(order, tried):
        ORDERS.move(
            pk=order.pk, source=OrderStatus.SENDING, target=OrderStatus.PENDING, tried_offers=tried
        )
        _enqueue(order.pk)
        return "next offer"
    fail(
        order,
        error=f"The provider refused this order: {exc.message}",
        expected=[OrderStatus.SENDING],
    )
    return OrderStatus.FAILED


def next_offer_exists(order: Order, tried: list[int]) -> bool:
    order.tried_offers = tried
    return next_offer(order) is not None


def _retry_later(order: Order, message: str) -> str:
    if order.attempts >= MAX_ATTEMPTS:
        fail(
            order,
            error="The provider could not be reached; the order was not placed.",
            expected=[OrderStatus.SENDING],
        )
        return OrderStatus.FAILED
    delay = min(BACKOFF_BASE * 2 ** (order.attempts - 1), BACKOFF_MAX)
    delay = delay * random.uniform(0.5, 1.5)  # noqa: S311 (jitter, not security)
    ORDERS.move(
        pk=order.pk,
        source=OrderStatus.SENDING,
        target=OrderStatus.PENDING,
        next_attempt_at=timezone.now() + timedelta(seconds=delay),
        flag=f"not sent (attempt {order.attempts}): {message}"[:500],
    )
    return "retry later"


def _hold(order: Order, why: str) -> str:
    ORDERS.move(pk=order.pk, source=OrderStatus.SENDING, target=OrderStatus.HELD, flag=why[:500])
    log.warning("order %s held: %s", order.pk, why)  # staff alert: admin index counts HELD
    return OrderStatus.HELD


def _to_unknown(order: Order, why: str) -> None:
    ORDERS.move(pk=order.pk, source=OrderStatus.SENDING, target=OrderStatus.UNKNOWN, flag=why[:500])
    log.warning("order %s needs review: %s", order.pk, why)


def _no_offer(order: Order) -> str:
    """Nothing to send it to: fail (refund) if every offer refused it, else hold for staff."""
    if order.tried_offers:
        fail(order, error="No provider accepted this order.", expected=[OrderStatus.PENDING])
        return OrderStatus.FAILED
    ORDERS.move(
        pk=order.pk,
        source=OrderStatus.PENDING,
        target=OrderStatus.HELD,
        flag="no enabled provider sells this service",
    )
    return OrderStatus.HELD


def _enqueue(order_id: int) -> None:
    from .placing import enqueue_forwarding

    enqueue_forwarding(order_id)


# --- periodic jobs ----------------------------------------------------------------------------


def sweep(*, now=None) -> dict[str, int]:
    """Orders stuck mid-send become UNKNOWN; PENDING orders due (lost task, backoff over) are
    enqueued again. Safe to run twice at once: the task's claim lets one worker win."""
    now = now or timezone.now()
    stale = now - timedelta(seconds=settings.UPSTREAM_DEADLINE + 30)
    stuck = ORDERS.move(
        source=OrderStatus.SENDING,
        target=OrderStatus.UNKNOWN,
        where=Q(sent_at__lt=stale),
        flag="the send did not finish (worker stopped mid-send?): not resent",
        updated_at=now,
    )
    # Leave freshly placed (or freshly re-enqueued) orders to the task already on its way;
    # marking them stops a long queue from being refilled with duplicates every sweep.
    settle_after = now - timedelta(seconds=60)
    due = list(
        Order.objects.filter(status=OrderStatus.PENDING, updated_at__lt=settle_after)
        .exclude(next_attempt_at__gt=now)
        .values_list("pk", flat=True)[:5000]
    )
    Order.objects.filter(pk__in=due, status=OrderStatus.PENDING).update(updated_at=now)
    for order_id in due:
        _enqueue(order_id)
    return {"to_unknown": stuck, "enqueued": len(due)}


def release_held() -> int:
    """HELD orders go back to PENDING once they can be sent: their provider is enabled and its
    balance (asked now) covers them, oldest first; or, for orders that had no provider at all,
    once an offer is usable again. Returns how many were released."""
    from catalog.balances import check_balance
    from catalog.models import Provider

    released = 0
    for provider in Provider.objects.filter(
        enabled=True, orders__status=OrderStatus.HELD
    ).distinct():
        try:
            released += _release_provider(provider, check_balance)
        except UpstreamError:  # check_balance recorded it on the provider
            continue
        except Exception as exc:  # whatever it was, the other providers' orders go on
            provider_failed(provider.pk, "Releasing held orders", exc)
    for order in Order.objects.filter(status=OrderStatus.HELD, provider__isnull=True):
        try:
            if next_offer(order) is not None:
                released += _release(order)
        except Exception:
            log.exception("releasing held order %s failed", order.pk)
    return released


def _release_provider(provider, check_balance) -> int:
    budget = check_balance(provider).amount  # network: outside any transaction
    released = 0
    held = Order.objects.filter(provider=provider, status=OrderStatus.HELD).select_related(
        "upstream_service", "service"
    )
    for order in held.order_by("id"):
        cost = order.upstream_service.rate * order.units / 1000 if order.upstream_service else 0
        if cost > budget:
            break
        budget -= cost
        released += _release(order)
    return released


def _release(order: Order) -> int:
    moved = ORDERS.move(
        pk=order.pk, source=OrderStatus.HELD, target=OrderStatus.PENDING, next_attempt_at=None
    )
    if moved:
        _enqueue(order.pk)
    return moved
