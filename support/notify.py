"""The mails of support tickets, queued in the outbox inside the transaction of their event:
one mail per event (the key names it), sent by the worker, kept until the server takes it.

  ticket-opened:<ticket>          to the assigned staff, else the department
  ticket-customer-reply:<message> to the assigned staff, else the department
  ticket-staff-reply:<message>    to the customer (never for an internal note)
"""

from django.conf import settings
from django.urls import reverse

from outbox.mail import queue_template
from pages.site import panel_name

from .models import Message, Ticket


def ticket_opened(*, ticket: Ticket, message: Message) -> bool:
    return queue_template(
        key=f"ticket-opened:{ticket.pk}",
        to=staff_recipients(ticket),
        template="support/mail/ticket_opened",
        context=_context(ticket, message, staff=True),
    )


def customer_replied(*, ticket: Ticket, message: Message) -> bool:
    return queue_template(
        key=f"ticket-customer-reply:{message.pk}",
        to=staff_recipients(ticket),
        template="support/mail/customer_replied",
        context=_context(ticket, message, staff=True),
    )


def staff_replied(*, ticket: Ticket, message: Message) -> bool:
    assert not message.internal, "internal notes are never mailed"
    return queue_template(
        key=f"ticket-staff-reply:{message.pk}",
        to=ticket.user.email,
        template="support/mail/staff_replied",
        context=_context(ticket, message, staff=False),
    )


def staff_recipients(ticket: Ticket) -> list[str]:
    """The assigned staff member; else the department's address; else its staff."""
    from .tickets import department_staff

    if ticket.assigned_to_id and ticket.assigned_to.email:
        return [ticket.assigned_to.email]
    if ticket.department.email:
        return [ticket.department.email]
    emails = department_staff(ticket.department).exclude(email="").values_list("email", flat=True)
    return sorted(set(emails))


def _context(ticket: Ticket, message: Message, *, staff: bool) -> dict:
    path = (
        reverse("admin:support_ticket_change", args=[ticket.pk])
        if staff
        else reverse("support:ticket", args=[ticket.pk])
    )
    return {
        "panel_name": panel_name(),
        "ticket": ticket,
        "message": message,
        "customer": ticket.user.username,
        "url": settings.PANEL_URL.rstrip("/") + path,
    }
