"""One list of the work that needs a hand, each row with the action to take.

Kinds: UNKNOWN orders (with the answer that made them unknown), HELD orders, orders stuck
before sending, orders in progress whose remains stopped moving, refills and cancels pending
too long, payments waiting for approval, support tickets waiting for staff. Counting costs
one query per kind, each through an index (status, or the marks' `since`).
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q
from django.urls import reverse

from accounts.models import Payment, PaymentStatus
from orders.admin_counts import stuck
from orders.models import CancelRequest, Order, OrderStatus, Refill, RequestStatus
from support.models import Ticket, TicketStatus

from .stalled import stalled

SHOWN = 50  # rows listed per kind; the count is of all
OPEN_REQUEST = [RequestStatus.PENDING, RequestStatus.SENDING, RequestStatus.UNKNOWN]


@dataclass
class Row:
    what: str  # "Order #12"
    url: str  # its admin page
    detail: str  # why it is here
    since: datetime | None
    actions: list[tuple[str, str]] = field(default_factory=list)  # (label, url)


@dataclass
class Kind:
    code: str
    title: str
    help: str
    count: int
    rows: list[Row]
    list_url: str = ""


def _order_url(pk: int) -> str:
    return reverse("admin:orders_order_change", args=[pk])


def _staff_action(pk: int, name: str) -> str:
    return reverse("admin:orders_order_staff_action", args=[pk, name])


def _requests_since(now: datetime) -> datetime:
    return now - timedelta(hours=settings.STAFF_REQUEST_HOURS)


def _querysets(now: datetime) -> dict:
    request_late = Q(status__in=OPEN_REQUEST, updated_at__lt=_requests_since(now)) | Q(
        status=RequestStatus.UNKNOWN
    )
    return {
        "unknown": Order.objects.filter(status=OrderStatus.UNKNOWN),
        "held": Order.objects.filter(status=OrderStatus.HELD),
        "stuck": Order.objects.filter(stuck(now)),
        "stalled": stalled(now),
        "refills": Refill.objects.filter(request_late),
        "cancels": CancelRequest.objects.filter(request_late),
        "payments": Payment.objects.filter(method="manual", status=PaymentStatus.PENDING).exclude(
            reference=""
        ),
        "tickets": Ticket.objects.filter(status=TicketStatus.OPEN),
    }


TITLES = {
    "unknown": ("Orders with an unknown outcome", "The provider may or may not have the order: "
                "find it there and attach its id, or confirm it is not there and send again."),
    "held": ("Orders on hold", "Waiting for a provider's balance (sent again automatically when "
             "it covers them) or for a usable offer."),
    "stuck": ("Orders stuck before sending", "Pending over 10 minutes or sending over 5: a lost "
              "task or a stopped worker."),
    "stalled": ("Orders in progress that stopped moving", "No change in remains for longer than "
                "the service's threshold."),
    "refills": ("Refills pending too long", "Not taken by the provider in time, or outcome "
                "unknown."),
    "cancels": ("Cancels pending too long", "Not taken by the provider in time, or outcome "
                "unknown."),
    "payments": ("Payments waiting for approval", "Manual transfers with a reference: match "
                 "them with the bank statement and approve or reject."),
    "tickets": ("Tickets waiting for staff", "The customer wrote last."),
}  # fmt: skip


def counts(now: datetime) -> dict[str, int]:
    return {code: qs.count() for code, qs in _querysets(now).items()}


def needs_a_hand(now: datetime, *, rows: int = SHOWN) -> list[Kind]:
    kinds = []
    for code, qs in _querysets(now).items():
        title, help_text = TITLES[code]
        listed = list(_rows(code, qs, rows))
        count = len(listed) if len(listed) < rows else qs.count()
        kinds.append(Kind(code, title, help_text, count, listed, list_url(code)))
    return kinds


def total(now: datetime) -> int:
    return sum(counts(now).values())


def list_url(code: str) -> str:
    orders = reverse("admin:orders_order_changelist")
    return {
        "unknown": f"{orders}?status__exact=unknown",
        "held": f"{orders}?status__exact=held",
        "stuck": f"{orders}?stuck=yes",
        "stalled": f"{orders}?status__exact=in_progress",
        "refills": reverse("admin:orders_refill_changelist"),
        "cancels": reverse("admin:orders_cancelrequest_changelist"),
        "payments": reverse("admin:accounts_payment_changelist") + "?status__exact=pending",
        "tickets": reverse("admin:support_ticket_changelist") + "?status__exact=open",
    }[code]


def _rows(code: str, qs, limit: int):
    if code in ("unknown", "held", "stuck"):
        orders = qs.select_related("provider", "service").order_by("updated_at", "pk")[:limit]
        for order in orders:
            yield _order_row(code, order)
    elif code == "stalled":
        for mark in qs.select_related("order__service").order_by("since")[:limit]:
            order = mark.order
            yield Row(
                f"Order #{order.pk}",
                _order_url(order.pk),
                f"{order.service.name[:60]}: remains {mark.remains if mark.remains is not None else '?'}"
                f" of {order.units:,}, upstream says {order.upstream_status or '–'}",
                mark.since,
                [("Set partial…", _staff_action(order.pk, "set_partial")),
                 ("Cancel with refund…", _staff_action(order.pk, "cancel_with_refund"))],
            )  # fmt: skip
    elif code in ("refills", "cancels"):
        name = "refill" if code == "refills" else "cancelrequest"
        for request in qs.order_by("updated_at", "pk")[:limit]:
            url = reverse(f"admin:orders_{name}_change", args=[request.pk])
            detail = f"{request.get_status_display()} for order #{request.order_id}"
            if request.error:
                detail += f": {request.error}"
            yield Row(
                str(request),
                url,
                detail,
                request.updated_at,
                [("Open the order", _order_url(request.order_id))],
            )
    elif code == "payments":
        for payment in qs.select_related("user").order_by("created_at", "pk")[:limit]:
            url = reverse("admin:accounts_payment_change", args=[payment.pk])
            yield Row(
                f"Payment #{payment.pk}",
                url,
                f"{payment.user.username}: {payment.amount:.2f} {settings.PANEL_CURRENCY}, "
                f"reference {payment.reference}" + (f" — {payment.flag}" if payment.flag else ""),
                payment.created_at,
                [("Approve or reject", url)],
            )
    elif code == "tickets":
        for ticket in qs.select_related("user").order_by("waiting_since", "pk")[:limit]:
            url = reverse("admin:support_ticket_change", args=[ticket.pk])
            yield Row(
                f"Ticket #{ticket.pk}",
                url,
                f"{ticket.user.username}: {ticket.subject}",
                ticket.waiting_since,
                [("Answer", url)],
            )


def _order_row(code: str, order: Order) -> Row:
    where = order.provider.name if order.provider else "no provider"
    detail = f"{where} — {order.flag or order.error or order.get_status_display()}"
    pk = order.pk
    actions = {
        "unknown": [
            ("Attach upstream id…", _staff_action(pk, "attach_upstream_id")),
            ("Confirm not created and resend…", _staff_action(pk, "confirm_not_created_and_resend")),
        ],
        "held": [
            ("Send again…", _staff_action(pk, "resend")),
            ("Cancel with refund…", _staff_action(pk, "cancel_with_refund")),
        ],
        "stuck": [("Open", _order_url(pk))],
    }[code]  # fmt: skip
    return Row(f"Order #{pk}", _order_url(pk), detail, order.updated_at, actions)
