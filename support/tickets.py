"""The rules of support tickets: who sees what, opening, replying, notes, assigning, closing.

Each change of a ticket happens in one transaction with the mail it causes (support/notify.py
queues it in the outbox), so a mail exists exactly when its event does, and is sent once.
"""

from datetime import timedelta

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.timesince import timeuntil

from accounts.models import User
from orders.models import Order

from . import notify
from .attachments import store_attachments
from .models import Department, Message, Ticket, TicketStatus

MAX_LINKED_ORDERS = 10
RATE_WINDOW = timedelta(hours=1)


class TicketError(Exception):
    """What the customer is told, e.g. an order that is not theirs."""


class RateLimited(TicketError):
    pass


# --- who sees what ------------------------------------------------------------------------


def staff_departments(staff: User) -> QuerySet[Department]:
    """The departments a staff member works: those open to every support staff member and
    those limited to one of their groups; superusers work them all."""
    if staff.is_superuser:
        return Department.objects.all()
    return Department.objects.filter(
        Q(groups__isnull=True) | Q(groups__in=staff.groups.all())
    ).distinct()


def staff_tickets(staff: User) -> QuerySet[Ticket]:
    if staff.is_superuser:
        return Ticket.objects.all()
    return Ticket.objects.filter(department__in=staff_departments(staff))


def department_staff(department: Department) -> QuerySet[User]:
    """Active staff who work `department` (its groups', or every support staff member's)."""
    staff = User.objects.filter(is_active=True, is_staff=True)
    groups = list(department.groups.all())
    if groups:
        return staff.filter(Q(is_superuser=True) | Q(groups__in=groups)).distinct()
    return staff.filter(
        Q(is_superuser=True)
        | Q(user_permissions__codename="change_ticket")
        | Q(groups__permissions__codename="change_ticket")
    ).distinct()


# --- the customer's side --------------------------------------------------------------------


def own_orders(*, user: User, order_ids: list[int]) -> list[Order]:
    """The customer's orders with these ids; TicketError naming the first that is not theirs
    (whether it exists or not: another customer's order looks like no order)."""
    if len(order_ids) > MAX_LINKED_ORDERS:
        raise TicketError(f"Link at most {MAX_LINKED_ORDERS} orders to a ticket.")
    found = {o.pk: o for o in Order.objects.filter(user=user, pk__in=order_ids)}
    for order_id in order_ids:
        if order_id not in found:
            raise TicketError(f"Order #{order_id} is not one of your orders.")
    return [found[order_id] for order_id in order_ids]


def open_ticket(
    *,
    user: User,
    department: Department,
    subject: str,
    body: str,
    order_ids: list[int] = (),
    files: list[UploadedFile] = (),
) -> Ticket:
    if not department.active:
        raise TicketError("That department does not take new tickets.")
    orders = own_orders(user=user, order_ids=list(order_ids))
    _check_rate(user, tickets=True)
    now = timezone.now()
    with transaction.atomic():
        ticket = Ticket.objects.create(
            user=user, department=department, subject=subject, waiting_since=now
        )
        ticket.orders.set(orders)
        message = Message.objects.create(ticket=ticket, author=user, body=body)
        store_attachments(message=message, files=files)
        notify.ticket_opened(ticket=ticket, message=message)
    return ticket


def customer_reply(
    *, ticket: Ticket, user: User, body: str, files: list[UploadedFile] = ()
) -> Message:
    """The customer writes again: the ticket waits for staff (a closed one reopens)."""
    if ticket.user_id != user.pk:
        raise TicketError("Not your ticket.")
    _check_rate(user, tickets=False)
    now = timezone.now()
    with transaction.atomic():
        ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
        message = Message.objects.create(ticket=ticket, author=user, body=body)
        store_attachments(message=message, files=files)
        Ticket.objects.filter(pk=ticket.pk).update(
            status=TicketStatus.OPEN,
            waiting_since=ticket.waiting_since or now,
            staff_unread=True,
            closed_at=None,
            updated_at=now,
        )
        notify.customer_replied(ticket=ticket, message=message)
    return message


def close_ticket(*, ticket: Ticket, by: User) -> bool:
    """Close it (the customer or staff); False if it was closed already."""
    now = timezone.now()
    closed = (
        Ticket.objects.filter(pk=ticket.pk)
        .exclude(status=TicketStatus.CLOSED)
        .update(status=TicketStatus.CLOSED, waiting_since=None, closed_at=now, updated_at=now)
    )
    return bool(closed)


def seen_by_customer(ticket: Ticket) -> None:
    if ticket.customer_unread:
        Ticket.objects.filter(pk=ticket.pk).update(customer_unread=False)
        ticket.customer_unread = False


def _check_rate(user: User, *, tickets: bool) -> None:
    """A flood from one customer stops here, with a message saying when they can go on."""
    since = timezone.now() - RATE_WINDOW
    if tickets:
        limit = settings.SUPPORT_TICKETS_PER_HOUR
        recent = Ticket.objects.filter(user=user, created_at__gte=since)
        what = "new tickets"
    else:
        limit = settings.SUPPORT_MESSAGES_PER_HOUR
        recent = Message.objects.filter(author=user, created_at__gte=since)
        what = "messages"
    if limit <= 0:
        return
    stamps = list(recent.order_by("-created_at").values_list("created_at", flat=True)[:limit])
    if len(stamps) >= limit:
        free_at = stamps[-1] + RATE_WINDOW
        raise RateLimited(
            f"You have sent {limit} {what} in the last hour. Please wait "
            f"{timeuntil(free_at)} before sending another"
            + (", or add to one of your open tickets." if tickets else ".")
        )


# --- the staff's side -----------------------------------------------------------------------


def staff_reply(*, ticket: Ticket, staff: User, body: str, internal: bool = False) -> Message:
    """A reply to the customer (the ticket is then answered, and they are mailed), or an
    internal note that only staff ever see. An unassigned ticket goes to whoever replies."""
    now = timezone.now()
    with transaction.atomic():
        ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
        message = Message.objects.create(
            ticket=ticket, author=staff, body=body, from_staff=True, internal=internal
        )
        changes = {"updated_at": now, "staff_unread": False}
        if not ticket.assigned_to_id:
            changes["assigned_to"] = staff
        if not internal:
            changes.update(status=TicketStatus.ANSWERED, waiting_since=None, customer_unread=True)
            changes["closed_at"] = None
        Ticket.objects.filter(pk=ticket.pk).update(**changes)
        if not internal:
            notify.staff_replied(ticket=ticket, message=message)
    return message


def assign_ticket(*, ticket: Ticket, staff: User | None) -> None:
    if staff is not None and not staff_tickets(staff).filter(pk=ticket.pk).exists():
        raise TicketError(f"{staff} does not work the {ticket.department} department.")
    Ticket.objects.filter(pk=ticket.pk).update(assigned_to=staff, updated_at=timezone.now())


def seen_by_staff(ticket: Ticket) -> None:
    if ticket.staff_unread:
        Ticket.objects.filter(pk=ticket.pk).update(staff_unread=False)
        ticket.staff_unread = False
