"""The orders that need staff, counted for the top of the admin index.

UNKNOWN (outcome of a send unknown: never resent automatically), HELD (waiting for a provider's
funds or an offer) and stuck (PENDING or SENDING for longer than a worker would ever take).
"""

from datetime import datetime, timedelta

from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import SimpleLazyObject

from .models import Order, OrderStatus

STUCK_PENDING = timedelta(minutes=10)
STUCK_SENDING = timedelta(minutes=5)


def stuck(now: datetime | None = None) -> Q:
    """PENDING untouched for 10 minutes, or SENDING for 5: a lost task or a dead worker."""
    now = now or timezone.now()
    return Q(status=OrderStatus.PENDING, updated_at__lt=now - STUCK_PENDING) | Q(
        status=OrderStatus.SENDING, updated_at__lt=now - STUCK_SENDING
    )


def order_alerts(now: datetime | None = None) -> dict[str, int]:
    """{"unknown": n, "held": n, "stuck": n} in one query, through the status index only."""
    watched = [OrderStatus.UNKNOWN, OrderStatus.HELD, OrderStatus.PENDING, OrderStatus.SENDING]
    return Order.objects.filter(status__in=watched).aggregate(
        unknown=Count("pk", filter=Q(status=OrderStatus.UNKNOWN)),
        held=Count("pk", filter=Q(status=OrderStatus.HELD)),
        stuck=Count("pk", filter=stuck(now)),
    )


def admin_index(request) -> dict:
    """Context processor: `order_alerts` on the admin index only, for staff who may see orders,
    counted lazily (one query, only if the template shows it)."""
    user = getattr(request, "user", None)
    if request.path != reverse("admin:index") or not (user and user.is_active and user.is_staff):
        return {}
    if not user.has_perm("orders.view_order"):
        return {}
    return {"order_alerts": SimpleLazyObject(order_alerts)}
