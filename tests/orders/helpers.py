"""Builders and readers the orders tests share (fixtures are in conftest.py)."""

import re
from decimal import Decimal

from accounts.models import LedgerEntry, LedgerKind, User
from harness.catalog import make_provider, make_service, make_upstream
from orders.models import Order, OrderAction, OrderStatus
from orders.placing import place_order
from orders.settlement import fail


def service_of(service_type: str = "Default", *, rate: str = "1.2345", **fields):
    """A service of `service_type` on a provider of its own, its offer's limits and flags
    (min, max, dripfeed, refill, cancel) among `fields` (min 10, max 10,000 unless said)."""
    upstream = {
        k: fields.pop(k) for k in ("min", "max", "dripfeed", "refill", "cancel") if k in fields
    }
    upstream.setdefault("min", 10)
    upstream.setdefault("max", 10_000)
    offer = make_upstream(make_provider(), rate=rate, type=service_type, **upstream)
    return make_service(offer, **fields)


def order_row(user: User, service, **fields) -> Order:
    """An order row as the worker and poller leave it; no money moves (no ledger row)."""
    values = {"link": "https://instagram.com/x", "quantity": 100, "rate": service.rate}
    values |= fields
    values.setdefault("charge", values["rate"] * values["quantity"] / 1000)
    return Order.objects.create(user=user, service=service, **values)


def placed_order(
    user: User, service, status=OrderStatus.PENDING, *, provider=None, upstream_id=None, **fields
) -> Order:
    """A placed (charged) order of 1,000, then moved by hand to `status`."""
    link = fields.pop("link", f"https://x.test/{Order.objects.count() + 1}")
    order = place_order(user=user, service_id=service.pk, fields={"link": link, "quantity": "1000"})
    Order.objects.filter(pk=order.pk).update(
        status=status, provider=provider, upstream_order_id=upstream_id, **fields
    )
    order.refresh_from_db()
    return order


def failed_with_refund(user: User, service, provider) -> Order:
    order = placed_order(user, service, OrderStatus.SENDING, provider=provider)
    assert fail(
        order, error="The provider refused this order: bad link", expected=[OrderStatus.SENDING]
    )
    order.refresh_from_db()
    return order


def refunds(order) -> list[Decimal]:
    return list(
        LedgerEntry.objects.filter(order=order, kind=LedgerKind.REFUND).values_list(
            "amount", flat=True
        )
    )


def audit(order) -> list[tuple]:
    return list(
        OrderAction.objects.filter(order=order)
        .order_by("id")
        .values_list("staff__username", "action", "reason")
    )


def row_ids(html: str) -> list[int]:
    """The ids of the orders list's rows, in order."""
    return [int(i) for i in re.findall(r'<tr class="order" data-id="(\d+)">', html)]


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


def default_service(**filters):
    """The first Default service on sale that takes 100 to 2,000 in any step (of the synced
    sandbox, in the tests that use `sandbox_provider`)."""
    from catalog.models import Service

    return (
        Service.objects.filter(
            type="Default",
            available=True,
            min__lte=100,
            max__gte=2000,
            step__isnull=True,
            **filters,
        )  # fmt: skip
        .order_by("id")
        .first()
    )
