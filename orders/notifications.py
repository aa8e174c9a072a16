"""The customer's mails about their orders, each optional in the account settings:

  order-settled:<order>   the order completed, ended partial, or was canceled (or failed),
                          with what was refunded — queued by settlement.settle
  refill-done:<refill>    the upstream finished a refill — queued by refills.py

Each is queued in the outbox (outbox/mail.py) inside the transaction of the status change, so
the mail exists exactly when the change does; the key makes it one mail per event however often
it is queued. A preference switched off, or no email address, queues nothing.
"""

from decimal import Decimal

from django.conf import settings
from django.urls import reverse

from accounts.models import User
from outbox.mail import queue_template
from panel.money import format_money

from .models import Order, OrderStatus, Refill

# Which preference (a User field) each final status answers to, and how the mail says it.
SETTLED = {
    OrderStatus.COMPLETED: ("notify_completed", "completed"),
    OrderStatus.PARTIAL: ("notify_partial", "partially completed"),
    OrderStatus.CANCELED: ("notify_canceled", "canceled"),
    OrderStatus.FAILED: ("notify_canceled", "could not be delivered"),
}
PREFERENCES = ("notify_completed", "notify_partial", "notify_canceled", "notify_refill")


def order_settled(order_id: int, status: str, refund: Decimal) -> bool:
    """Queue the mail of an order that just ended in `status`; False if none is wanted."""
    wanted = SETTLED.get(status)
    if wanted is None:
        return False
    preference, outcome = wanted
    order = Order.objects.select_related("service", "user").only(
        "id", "quantity", "runs", "link", "charge", "service__name",
        "user__username", "user__email", f"user__{preference}",
    ).get(pk=order_id)  # fmt: skip
    user = order.user
    if not getattr(user, preference) or not user.email:
        return False
    return queue_template(
        key=f"order-settled:{order_id}",
        to=user.email,
        template="orders/mail/order_settled",
        context={
            "user": user,
            "order": order,
            "outcome": outcome,
            "quantity": f"{order.quantity * (order.runs or 1):,}",
            "charge": format_money(order.charge),
            "refund": format_money(refund) if refund > 0 else "",
            "paid": format_money(order.charge - refund),
            "currency": settings.PANEL_CURRENCY,
            "url": _url(reverse("orders") + f"?q={order_id}"),
        },
    )


def refill_done(refill_id: int) -> bool:
    """Queue the mail of a refill the upstream just completed."""
    refill = Refill.objects.select_related("order__service", "user").get(pk=refill_id)
    user: User = refill.user
    if not user.notify_refill or not user.email:
        return False
    return queue_template(
        key=f"refill-done:{refill_id}",
        to=user.email,
        template="orders/mail/refill_done",
        context={
            "user": user,
            "refill": refill,
            "order": refill.order,
            "url": _url(reverse("refills")),
        },
    )


def _url(path: str) -> str:
    return settings.PANEL_URL.rstrip("/") + path
