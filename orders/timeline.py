"""What a customer's order page tells of the order's life: the timeline and drip-feed runs.

Derived from what is already recorded, nothing added: the order's own fields (placed, sent,
start count, remains, last check, final status), its ledger rows (charge, refund, with their
times), and its refill and cancel requests (requested, done, refused, with their times). Staff
actions are not shown: their reasons are internal (an order canceled by staff shows as
canceled and refunded, like any other).

Times known exactly: placing, sending, every ledger row, every request's creation and last
change. An order's end (Completed, Partial, Canceled, Failed) takes the time of its refund row,
or else its row's last change (nothing changes an ended order's row).
"""

from dataclasses import dataclass
from datetime import datetime

from accounts.models import LedgerEntry, LedgerKind
from panel.money import format_amount, format_count

from .models import CancelRequest, Order, OrderStatus, Refill, RequestStatus

S = OrderStatus
R = RequestStatus
ENDED = (S.COMPLETED, S.PARTIAL, S.CANCELED, S.FAILED)
# Sent upstream at some point: a provider's order id, or a status only the upstream gives.
REACHED_UPSTREAM = (S.IN_PROGRESS, S.COMPLETED, S.PARTIAL, S.UNKNOWN)


@dataclass(frozen=True)
class Event:
    at: datetime
    kind: str  # placed | sent | progress | completed | partial | canceled | failed | refund |
    #            refill | cancel (a CSS class and what tests look for)
    title: str
    text: str = ""


@dataclass(frozen=True)
class Run:
    number: int
    quantity: int
    delivered: int
    state: str  # done | delivering | waiting

    @property
    def percent(self) -> int:
        return 100 * self.delivered // self.quantity if self.quantity else 0


def delivered(order: Order) -> int | None:
    """Units delivered so far, as the upstream last said (units − remains), or None."""
    if order.status == S.COMPLETED:
        return order.units
    if order.remains is None:
        return None
    return order.units - min(max(order.remains, 0), order.units)


def drip_runs(order: Order) -> list[Run]:
    """Each drip-feed run's progress: the delivered units fill the runs in order; a run the
    upstream has not started yet is waiting."""
    if not order.runs:
        return []
    done = delivered(order) or 0
    started = order.upstream_detail.get("runs") if isinstance(order.upstream_detail, dict) else None
    started = int(started) if isinstance(started, int | str) and str(started).isdigit() else None
    if order.status in ENDED:
        started = order.runs
    runs = []
    for number in range(1, order.runs + 1):
        got = min(max(done - (number - 1) * order.quantity, 0), order.quantity)
        if got == order.quantity:
            state = "done"
        elif got or (started is not None and number <= started):
            state = "delivering"
        else:
            state = "waiting"
        runs.append(Run(number, order.quantity, got, state))
    return runs


def order_timeline(order: Order, currency: str) -> list[Event]:
    """The order's events, oldest first."""
    money = lambda value: f"{format_amount(value)} {currency}"  # noqa: E731
    refund = (
        LedgerEntry.objects.filter(order=order, kind=LedgerKind.REFUND)
        .only("amount", "created_at")
        .first()
    )  # one at most (a constraint)
    events = [
        Event(
            order.created_at,
            "placed",
            "Placed",
            f"Charged {money(order.charge)} for {_quantity(order)}.",
        )
    ]
    if order.sent_at and (order.status in REACHED_UPSTREAM or order.upstream_order_id):
        start = (
            f" Start count: {format_count(order.start_count)}."
            if order.start_count is not None
            else ""
        )
        events.append(Event(order.sent_at, "sent", "Sent to the provider and started", start))
    if order.status == S.IN_PROGRESS and order.last_checked_at and order.remains is not None:
        events.append(
            Event(
                order.last_checked_at,
                "progress",
                "In progress",
                f"{format_count(delivered(order))} of {format_count(order.units)} delivered, "
                f"{format_count(order.remains)} to go (as of this check).",
            )
        )
    events += _request_events(order)
    if order.status in ENDED:
        ended_at = refund.created_at if refund else order.updated_at
        events.append(Event(ended_at, order.status, *_ending(order)))
    if refund:
        events.append(
            Event(
                refund.created_at,
                "refund",
                "Refunded",
                f"{money(refund.amount)} back to your balance: you paid {money(order.paid)}.",
            )
        )
    # At the same moment (an order's end and its refund row), causes before effects.
    rank = {"placed": 0, "sent": 1, "progress": 2, "refill": 3, "cancel": 3, "refund": 5}
    return sorted(events, key=lambda e: (e.at, rank.get(e.kind, 4)))


def _quantity(order: Order) -> str:
    if order.runs:
        return (
            f"{format_count(order.total_quantity)} ({format_count(order.quantity)} × "
            f"{format_count(order.runs)} runs, every {format_count(order.interval)} min)"
        )
    return format_count(order.quantity)


def _ending(order: Order) -> tuple[str, str]:
    if order.status == S.COMPLETED:
        return "Completed", f"All {format_count(order.units)} delivered."
    if order.status == S.PARTIAL:
        left = order.remains or 0
        return (
            "Partially completed",
            f"{format_count(order.units - left)} of {format_count(order.units)} delivered; "
            "the rest was refunded.",
        )
    if order.status == S.CANCELED:
        return "Canceled", "The undelivered part was refunded."
    return "Failed", order.error or "The order could not be placed with the provider."


def _request_events(order: Order) -> list[Event]:
    events = []
    for refill in Refill.objects.filter(order=order).order_by("id"):
        name = f"Refill #{refill.pk}"
        events.append(Event(refill.created_at, "refill", f"{name} requested"))
        if refill.status == R.COMPLETED:
            events.append(Event(refill.updated_at, "refill", f"{name} done"))
        elif refill.status in (R.REJECTED, R.FAILED):
            why = refill.error or "the provider did not accept it"
            events.append(Event(refill.updated_at, "refill", f"{name} refused", f"{why}."))
    for cancel in CancelRequest.objects.filter(order=order).order_by("id"):
        events.append(Event(cancel.created_at, "cancel", "Cancel requested"))
        if cancel.status in (R.REJECTED, R.FAILED):
            why = cancel.error or (
                "the order was completed first"
                if order.status == S.COMPLETED
                else "the provider could not cancel it"
            )
            events.append(Event(cancel.updated_at, "cancel", "Cancel refused", f"{why}."))
        elif cancel.status == R.COMPLETED:
            events.append(Event(cancel.updated_at, "cancel", "Cancel done"))
    return events
