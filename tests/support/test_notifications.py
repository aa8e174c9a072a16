"""Mail of support tickets: one per event, through the outbox, over a real SMTP server."""

import pytest
from django.utils import timezone

from outbox import mail
from outbox.models import OutboxMail
from support.models import Ticket
from support.tickets import customer_reply, staff_reply

pytestmark = pytest.mark.django_db


def send_all() -> int:
    return mail.send_due(now=timezone.now())


def recipients(smtp) -> list[tuple[str, str]]:
    return [(m["To"], str(m["Subject"])) for m in smtp.messages]


def open_as(client, user, department, **fields):
    client.force_login(user)
    data = {"department": department.pk, "subject": "Where is my order?", "body": "It is late."}
    return client.post("/support/new", {**data, **fields})


def test_each_event_mails_once_the_right_people(client, smtp, alice, sam, tess, orders_desk):
    open_as(client, alice, orders_desk)
    ticket = Ticket.objects.get()
    assert send_all() == 1
    # Unassigned and no department address: every staff member working the department.
    assert recipients(smtp) == [
        (
            "sam@example.com, tess@example.com",
            f"[Boostly] New ticket #{ticket.pk} in Orders & account: Where is my order?",
        )
    ]
    assert f"/admin/support/ticket/{ticket.pk}/change/" in smtp.messages[0].get_content()

    staff_reply(ticket=ticket, staff=tess, body="It started an hour ago.")
    assert send_all() == 1
    to, subject = recipients(smtp)[-1]
    assert to == "alice@example.com" and f"We replied to your ticket #{ticket.pk}" in subject
    body = smtp.messages[-1].get_content()
    assert "It started an hour ago." in body and f"/support/{ticket.pk}" in body

    customer_reply(ticket=ticket, user=alice, body="Thanks!")
    assert send_all() == 1
    assert recipients(smtp)[-1][0] == "tess@example.com"  # the reply assigned tess

    staff_reply(ticket=ticket, staff=tess, body="Internal: watch it", internal=True)
    assert send_all() == 0  # a note mails no one

    assert send_all() == 0 and len(smtp.messages) == 3
    assert OutboxMail.objects.count() == 3


def test_a_department_address_gets_the_mail_while_unassigned(client, smtp, alice, payments):
    payments.email = "billing@example.com"
    payments.save()
    open_as(client, alice, payments)
    send_all()
    assert recipients(smtp)[0][0] == "billing@example.com"


def test_a_mail_server_failing_once_delays_the_mail_but_never_loses_or_doubles_it(
    client, smtp, alice, sam, orders_desk
):
    open_as(client, alice, orders_desk)
    ticket = Ticket.objects.get()
    assert send_all() == 1  # the new ticket's mail to staff
    smtp.refuse_next = 1
    staff_reply(ticket=ticket, staff=sam, body="On it.")

    now = timezone.now()
    assert mail.send_due(now=now) == 0  # the server refuses the reply's mail once
    assert smtp.refused == 1 and len(smtp.messages) == 1
    waiting = OutboxMail.objects.get(key__startswith="ticket-staff-reply:")
    assert waiting.status == "pending" and "451" in waiting.last_error

    assert mail.send_due(now=now + mail.BACKOFF_BASE) == 1
    assert mail.send_due(now=now + 10 * mail.BACKOFF_BASE) == 0
    staff_mails = [m for m in smtp.messages if m["To"] == "alice@example.com"]
    assert len(staff_mails) == 1 and "On it." in staff_mails[0].get_content()


def test_the_same_event_queued_twice_is_one_mail(smtp, alice, sam, orders_desk):
    from support import notify
    from support.tickets import open_ticket

    ticket = open_ticket(user=alice, department=orders_desk, subject="S", body="B")
    message = staff_reply(ticket=ticket, staff=sam, body="Once")
    assert notify.staff_replied(ticket=ticket, message=message) is False
    send_all()
    assert len([m for m in smtp.messages if m["To"] == "alice@example.com"]) == 1


def test_a_ticket_that_fails_to_open_mails_nobody(client, smtp, alice, bob_order, orders_desk):
    response = open_as(client, alice, orders_desk, orders=str(bob_order.pk))
    assert response.status_code == 400
    assert not OutboxMail.objects.exists()


def test_a_department_limited_to_a_group_mails_only_that_groups_staff(
    client, smtp, alice, sam, tess, fin, finance, payments
):
    payments.groups.set([finance])
    open_as(client, alice, payments)
    send_all()
    # fin (finance) and sam (a superuser works every department); not tess.
    assert recipients(smtp)[0][0] == "fin@example.com, sam@example.com"
