"""The staff side: the queue, the desk beside the thread, reply, notes, assign, close."""

from datetime import timedelta

import pytest
from django.utils import timezone

from orders.models import Order, OrderStatus
from support.models import CannedReply, Message, Ticket, TicketStatus
from support.tickets import customer_reply, open_ticket, staff_reply

from .conftest import picture

pytestmark = pytest.mark.django_db

QUEUE = "/admin/support/ticket/"


def desk(ticket) -> str:
    return f"/admin/support/ticket/{ticket.pk}/change/"


def make_ticket(user, department, subject="Help", **fields) -> Ticket:
    return open_ticket(user=user, department=department, subject=subject, body="Please.", **fields)


def test_the_queue_shows_tickets_waiting_for_staff_first_longest_waiting_first(
    client, sam, alice, orders_desk
):
    answered = make_ticket(alice, orders_desk, "answered")
    staff_reply(ticket=answered, staff=sam, body="Done.")
    late = make_ticket(alice, orders_desk, "waiting long")
    recent = make_ticket(alice, orders_desk, "waiting shortly")
    closed = make_ticket(alice, orders_desk, "closed")
    Ticket.objects.filter(pk=closed.pk).update(status=TicketStatus.CLOSED, waiting_since=None)
    Ticket.objects.filter(pk=late.pk).update(waiting_since=timezone.now() - timedelta(hours=3))

    client.force_login(sam)
    result = client.get(QUEUE).context["cl"].result_list
    assert [t.pk for t in result] == [late.pk, recent.pk, answered.pk, closed.pk]


def test_departments_limited_to_a_group_are_worked_only_by_that_group(
    client, alice, payments, orders_desk, finance, fin, tess
):
    payments.groups.set([finance])
    money = make_ticket(alice, payments, "refund please")
    order = make_ticket(alice, orders_desk, "order late")

    client.force_login(tess)  # support staff, not finance
    assert [t.pk for t in client.get(QUEUE).context["cl"].result_list] == [order.pk]
    assert client.get(desk(money)).status_code == 404
    assert client.post(desk(money), {"action": "reply", "body": "hi"}).status_code == 404
    assert not Message.objects.filter(ticket=money, from_staff=True).exists()

    client.force_login(fin)  # finance: payments, and the departments open to all staff
    seen = {t.pk for t in client.get(QUEUE).context["cl"].result_list}
    assert seen == {money.pk, order.pk}
    assert client.get(desk(money)).status_code == 200


def test_the_desk_shows_the_customers_balance_last_orders_and_linked_order_statuses(
    client, sam, alice, alice_orders, orders_desk
):
    first, second = alice_orders
    Order.objects.filter(pk=first.pk).update(status=OrderStatus.PARTIAL, upstream_status="Partial")
    ticket = make_ticket(alice, orders_desk, order_ids=[first.pk])
    client.force_login(sam)

    html = client.get(desk(ticket)).content.decode()
    alice.refresh_from_db()
    assert f"{alice.balance:.2f}" in html  # 10 - 2 × 0.10
    linked = html[html.index('id="linked-orders"') : html.index('id="last-orders"')]
    assert f"#{first.pk}" in linked and "Partial" in linked and f"#{second.pk}" not in linked
    last = html[html.index('id="last-orders"') :]
    assert f"#{first.pk}" in last and f"#{second.pk}" in last
    assert "Please." in html


def test_a_staff_reply_answers_the_ticket_and_is_shown_to_the_customer(
    client, sam, alice, orders_desk
):
    ticket = make_ticket(alice, orders_desk)
    client.force_login(sam)
    response = client.post(desk(ticket), {"action": "reply", "body": "Refilled for you."})
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.ANSWERED and ticket.customer_unread
    assert ticket.assigned_to == sam  # unassigned: it goes to whoever answers

    client.force_login(alice)
    html = client.get(f"/support/{ticket.pk}").content.decode()
    assert "Refilled for you." in html and "Boostly support" in html
    assert "sam" not in html  # the staff member's username is not the customer's business


def test_an_internal_note_stays_with_staff(client, sam, alice, orders_desk):
    ticket = make_ticket(alice, orders_desk)
    client.force_login(sam)
    client.post(
        desk(ticket), {"action": "reply", "body": "Check provider 3 first.", "internal": "on"}
    )
    note = Message.objects.get(internal=True)
    assert note.body == "Check provider 3 first."
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.OPEN and not ticket.customer_unread
    assert "Check provider 3 first." in client.get(desk(ticket)).content.decode()

    client.force_login(alice)
    assert "Check provider 3" not in client.get(f"/support/{ticket.pk}").content.decode()


def test_a_canned_reply_is_offered_and_used_when_the_message_is_left_empty(
    client, sam, alice, orders_desk, payments
):
    canned = CannedReply.objects.create(
        title="Refill started", body="Hi {customer}, your refill started."
    )
    CannedReply.objects.create(title="Bank details", body="Pay to …", department=payments)
    ticket = make_ticket(alice, orders_desk)
    client.force_login(sam)
    html = client.get(desk(ticket)).content.decode()
    assert 'data-body="Hi alice, your refill started."' in html
    assert "Bank details" not in html  # another department's

    client.post(desk(ticket), {"action": "reply", "body": "", "canned": canned.pk})
    assert Message.objects.get(from_staff=True).body == "Hi alice, your refill started."
    assert client.post(desk(ticket), {"action": "reply", "body": ""}).status_code == 200


def test_staff_assign_and_close_and_a_reply_can_close_too(client, sam, tess, alice, orders_desk):
    ticket = make_ticket(alice, orders_desk)
    client.force_login(sam)
    client.post(desk(ticket), {"action": "assign", "assigned_to": tess.pk})
    ticket.refresh_from_db()
    assert ticket.assigned_to == tess
    client.post(desk(ticket), {"action": "close"})
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.CLOSED

    other = make_ticket(alice, orders_desk, "other")
    client.post(desk(other), {"action": "reply", "body": "Solved.", "close": "on"})
    other.refresh_from_db()
    assert other.status == TicketStatus.CLOSED


def test_only_staff_of_the_department_can_be_assigned(
    client, sam, fin, alice, payments, orders_desk, finance
):
    orders_desk.groups.set([])
    payments.groups.set([finance])
    ticket = make_ticket(alice, orders_desk)
    client.force_login(sam)
    client.post(desk(ticket), {"action": "assign", "assigned_to": fin.pk})  # fin has change_ticket
    ticket.refresh_from_db()
    assert ticket.assigned_to == fin
    money = make_ticket(alice, payments, "money")
    tess_like = fin.__class__.objects.create_user("tina", is_staff=True)
    client.post(desk(money), {"action": "assign", "assigned_to": tess_like.pk})
    money.refresh_from_db()
    assert money.assigned_to is None


def test_view_only_staff_read_the_desk_but_cannot_answer(client, alice, orders_desk):
    from django.contrib.auth.models import Permission

    from harness.customers import make_user

    viewer = make_user("vera", is_staff=True)
    viewer.user_permissions.set(Permission.objects.filter(codename="view_ticket"))
    ticket = make_ticket(alice, orders_desk)
    client.force_login(viewer)
    html = client.get(desk(ticket)).content.decode()
    assert "Please." in html and 'name="action" value="reply"' not in html
    assert client.post(desk(ticket), {"action": "reply", "body": "x"}).status_code == 403
    assert not Message.objects.filter(from_staff=True).exists()


def test_staff_see_the_customers_pictures(client, tess, alice, orders_desk):
    ticket = make_ticket(alice, orders_desk, files=[picture()])
    attachment = ticket.messages.get().attachments.get()
    client.force_login(tess)
    assert f"/support/attachments/{attachment.pk}" in client.get(desk(ticket)).content.decode()
    assert client.get(f"/support/attachments/{attachment.pk}").status_code == 200


def test_queue_actions_assign_to_me_and_close(client, sam, alice, orders_desk):
    one, two = make_ticket(alice, orders_desk, "one"), make_ticket(alice, orders_desk, "two")
    client.force_login(sam)
    client.post(QUEUE, {"action": "assign_to_me", "_selected_action": [one.pk, two.pk]})
    assert set(Ticket.objects.values_list("assigned_to", flat=True)) == {sam.pk}
    client.post(QUEUE, {"action": "close_tickets", "_selected_action": [one.pk]})
    one.refresh_from_db()
    two.refresh_from_db()
    assert one.status == TicketStatus.CLOSED and two.status == TicketStatus.OPEN


def test_a_customer_reply_puts_the_ticket_back_in_the_queue(sam, alice, orders_desk):
    ticket = make_ticket(alice, orders_desk)
    staff_reply(ticket=ticket, staff=sam, body="Answer")
    customer_reply(ticket=ticket, user=alice, body="Not solved")
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.OPEN and ticket.staff_unread


def test_a_staff_password_alone_does_not_show_the_customers_pictures(
    client, tess, alice, orders_desk, settings
):
    settings.ADMIN_REQUIRE_2FA = True
    ticket = make_ticket(alice, orders_desk, files=[picture()])
    attachment = ticket.messages.get().attachments.get()
    client.force_login(tess)  # signed in, no second factor verified

    assert client.get(f"/support/attachments/{attachment.pk}").status_code == 404
