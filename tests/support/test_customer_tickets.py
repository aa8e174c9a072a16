"""The customer's side of support: open, list, read, reply, close; and what they may not do."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from support.models import Attachment, Message, Ticket, TicketStatus
from support.tickets import staff_reply

from .conftest import picture

pytestmark = pytest.mark.django_db


def open_ticket(client, department, **fields):
    data = {"department": department.pk, "subject": "Order stuck", "body": "Please check."}
    return client.post("/support/new", {**data, **fields})


def test_a_customer_opens_a_ticket_about_their_orders_with_a_picture(
    client, alice, alice_orders, orders_desk
):
    client.force_login(alice)
    ids = f"{alice_orders[0].pk}, #{alice_orders[1].pk}"
    response = open_ticket(client, orders_desk, orders=ids, attachments=[picture()])

    ticket = Ticket.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/support/{ticket.pk}"
    assert ticket.user == alice and ticket.status == TicketStatus.OPEN
    assert ticket.department == orders_desk and ticket.waiting_since is not None
    assert sorted(o.pk for o in ticket.orders.all()) == sorted(o.pk for o in alice_orders)
    attachment = Attachment.objects.get()
    assert attachment.content_type == "image/png" and (attachment.width, attachment.height) == (
        40,
        30,
    )

    page = client.get(f"/support/{ticket.pk}").content.decode()
    assert "Please check." in page and f"#{alice_orders[0].pk}" in page
    assert "Pending" in page  # each linked order with its live status
    assert f"/support/attachments/{attachment.pk}" in page
    image = client.get(f"/support/attachments/{attachment.pk}")
    assert image.status_code == 200 and image["Content-Type"] == "image/png"
    assert image["X-Content-Type-Options"] == "nosniff"


def test_need_help_with_this_order_opens_a_prefilled_ticket(
    client, alice, alice_orders, orders_desk
):
    client.force_login(alice)
    order = alice_orders[0]
    assert f"/support/new?order={order.pk}" in client.get("/orders").content.decode()
    form = client.get(f"/support/new?order={order.pk}").context["form"]
    assert form.initial == {
        "orders": str(order.pk), "subject": f"Order #{order.pk}", "department": orders_desk.pk,
    }  # fmt: skip


def test_the_list_shows_status_and_unread_replies(client, alice, orders_desk, sam):
    client.force_login(alice)
    open_ticket(client, orders_desk, subject="First")
    open_ticket(client, orders_desk, subject="Second")
    first, second = Ticket.objects.order_by("id")
    staff_reply(ticket=first, staff=sam, body="We are on it.")

    html = client.get("/support").content.decode()
    assert "Answered" in html and "Open" in html
    row = html[html.index("First") - 300 : html.index("First") + 200]
    assert "New reply" in row
    assert html.count("New reply") == 1

    client.get(f"/support/{first.pk}")  # read it
    assert "New reply" not in client.get("/support").content.decode()


def test_a_customer_replies_and_closes_and_a_reply_reopens(client, alice, orders_desk, sam):
    client.force_login(alice)
    open_ticket(client, orders_desk)
    ticket = Ticket.objects.get()
    staff_reply(ticket=ticket, staff=sam, body="Fixed?")
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.ANSWERED and ticket.waiting_since is None

    client.post(f"/support/{ticket.pk}", {"body": "Still stuck."})
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.OPEN and ticket.waiting_since is not None

    client.post(f"/support/{ticket.pk}/close")
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.CLOSED and ticket.closed_at is not None

    client.post(f"/support/{ticket.pk}", {"body": "Sorry, again."})
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.OPEN and ticket.closed_at is None


def test_another_customers_tickets_and_pictures_are_not_found(client, alice, bob, orders_desk):
    client.force_login(alice)
    open_ticket(client, orders_desk, attachments=[picture()])
    ticket, attachment = Ticket.objects.get(), Attachment.objects.get()

    client.force_login(bob)
    assert client.get(f"/support/{ticket.pk}").status_code == 404
    assert client.post(f"/support/{ticket.pk}", {"body": "mine now"}).status_code == 404
    assert client.post(f"/support/{ticket.pk}/close").status_code == 404
    assert client.get(f"/support/attachments/{attachment.pk}").status_code == 404
    assert client.get("/support/attachments/999999").status_code == 404
    assert "Order stuck" not in client.get("/support").content.decode()
    assert Message.objects.count() == 1
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.OPEN

    client.logout()
    assert client.get(f"/support/attachments/{attachment.pk}").status_code == 302  # to log in


def test_only_the_customers_own_orders_can_be_linked(
    client, alice, alice_orders, bob_order, orders_desk
):
    client.force_login(alice)
    for ids in (str(bob_order.pk), f"{alice_orders[0].pk}, {bob_order.pk}", "999999"):
        response = open_ticket(client, orders_desk, orders=ids)
        assert response.status_code == 400
        assert "is not one of your orders" in response.content.decode()
    response = open_ticket(client, orders_desk, orders="12; DROP TABLE")
    assert response.status_code == 400 and "is not an order ID" in response.content.decode()
    assert not Ticket.objects.exists()
    # A prefill with someone else's order fills nothing in.
    form = client.get(f"/support/new?order={bob_order.pk}").context["form"]
    assert "orders" not in form.initial


def test_bodies_and_subjects_are_escaped(client, alice, orders_desk):
    client.force_login(alice)
    open_ticket(
        client,
        orders_desk,
        subject="<b>bold</b>",
        body='<script>alert(1)</script><img src=x onerror="alert(2)">',
    )
    ticket = Ticket.objects.get()
    for url in (f"/support/{ticket.pk}", "/support"):
        html = client.get(url).content.decode()
        assert "<script>alert(1)" not in html and "<img src=x" not in html
        assert "&lt;b&gt;bold&lt;/b&gt;" in html


def test_only_pictures_within_the_limits_are_attached(client, alice, orders_desk, settings):
    client.force_login(alice)
    fake = SimpleUploadedFile("x.png", b"<script>alert(1)</script>", content_type="image/png")
    response = open_ticket(client, orders_desk, attachments=[fake])
    assert response.status_code == 400 and "is not an image" in response.content.decode()

    svg = SimpleUploadedFile(
        "x.svg", b'<svg xmlns="http://www.w3.org/2000/svg"/>', content_type="image/svg+xml"
    )
    assert open_ticket(client, orders_desk, attachments=[svg]).status_code == 400

    bmp = picture("x.bmp", fmt="BMP")
    response = open_ticket(client, orders_desk, attachments=[bmp])
    assert response.status_code == 400 and "BMP" in response.content.decode()

    settings.SUPPORT_ATTACHMENT_MAX_BYTES = 500
    big = picture(size=(400, 400))
    response = open_ticket(client, orders_desk, attachments=[big])
    assert response.status_code == 400 and "at most" in response.content.decode()

    settings.SUPPORT_ATTACHMENT_MAX_BYTES = 2 * 1024 * 1024
    many = [picture(f"{i}.png") for i in range(4)]
    response = open_ticket(client, orders_desk, attachments=many)
    assert response.status_code == 400 and "at most 3 pictures" in response.content.decode()
    assert not Ticket.objects.exists() and not Attachment.objects.exists()


def test_an_oversized_upload_is_refused_before_it_is_read(client, alice, orders_desk, settings):
    client.force_login(alice)
    settings.SUPPORT_ATTACHMENT_MAX_BYTES = 1000
    blob = SimpleUploadedFile("huge.png", b"\x89PNG" + b"0" * 2_000_000, content_type="image/png")
    response = open_ticket(client, orders_desk, attachments=[blob])
    assert response.status_code == 413
    assert "Attach at most 3 pictures" in response.content.decode()
    assert not Ticket.objects.exists()


def test_a_flood_of_tickets_is_stopped_with_a_clear_message(client, alice, orders_desk, settings):
    settings.SUPPORT_TICKETS_PER_HOUR = 3
    client.force_login(alice)
    for i in range(3):
        assert open_ticket(client, orders_desk, subject=f"T{i}").status_code == 302
    response = open_ticket(client, orders_desk, subject="One too many")
    assert response.status_code == 429
    html = response.content.decode()
    assert "You have sent 3 new tickets in the last hour" in html and "Please wait" in html
    assert Ticket.objects.count() == 3
    # An hour later the customer may write again.
    Ticket.objects.update(created_at=timezone.now() - timedelta(hours=1, minutes=1))
    assert open_ticket(client, orders_desk, subject="Later").status_code == 302


def test_a_flood_of_replies_is_stopped_with_a_clear_message(
    client, alice, bob, orders_desk, settings
):
    settings.SUPPORT_MESSAGES_PER_HOUR = 4
    client.force_login(alice)
    open_ticket(client, orders_desk)  # message 1
    ticket = Ticket.objects.get()
    for i in range(3):
        assert client.post(f"/support/{ticket.pk}", {"body": f"again {i}"}).status_code == 302
    response = client.post(f"/support/{ticket.pk}", {"body": "and again"})
    assert response.status_code == 429
    assert "You have sent 4 messages in the last hour" in response.content.decode()
    assert Message.objects.count() == 4
    # Per customer: bob is not slowed down by alice.
    client.force_login(bob)
    assert open_ticket(client, orders_desk).status_code == 302


def test_internal_notes_and_their_pictures_never_reach_the_customer(
    client, alice, orders_desk, sam
):
    from support.attachments import store_attachments

    client.force_login(alice)
    open_ticket(client, orders_desk)
    ticket = Ticket.objects.get()
    note = staff_reply(
        ticket=ticket, staff=sam, body="Customer looks like a reseller.", internal=True
    )
    store_attachments(message=note, files=[picture("evidence.png")])
    evidence = Attachment.objects.get(message=note)

    html = client.get(f"/support/{ticket.pk}").content.decode()
    assert "looks like a reseller" not in html and "evidence.png" not in html
    assert client.get(f"/support/attachments/{evidence.pk}").status_code == 404
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.OPEN and not ticket.customer_unread


def test_support_pages_need_a_login(client):
    for url in ("/support", "/support/new", "/support/1"):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/login")
