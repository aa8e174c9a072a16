"""A visitor's way to support, in a real browser: the landing page, sign-up, an order, a ticket
about it from the order's row, the staff's reply in the admin, and the customer reading it."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from accounts.models import User
from harness.catalog import make_provider, make_service, make_upstream
from harness.customers import fund
from support.models import Ticket, TicketStatus
from tests.accounts.helpers import place
from tests.pages.defaults import restore_defaults

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def followers():
    restore_defaults()
    return make_service(
        make_upstream(make_provider(), rate="1", name="Instagram Followers HQ", min=10, max=50_000),
        fixed_rate=Decimal("2.5"),
    )


def test_visitor_signs_up_asks_about_an_order_and_reads_the_staff_reply(
    live_server, browser, followers, tmp_path
):
    customer = browser.new_context(
        viewport={"width": 390, "height": 844}, is_mobile=True
    ).new_page()
    customer.goto(live_server.url)
    expect(customer.locator("h1")).to_have_text("Boostly")
    expect(customer.locator(".platform", has_text="Instagram")).to_contain_text("from 2.50 USD")
    expect(customer.locator(".support-channels")).to_contain_text("Payment related queries only")
    customer.screenshot(path=str(tmp_path / "landing-phone.png"), full_page=True)

    customer.click("text=Sign up free")
    customer.fill("#id_username", "dana")
    customer.fill("#id_email", "dana@example.com")
    customer.fill("#id_password1", "a-long-pass-phrase-7")
    customer.fill("#id_password2", "a-long-pass-phrase-7")
    customer.click("main form button[type=submit]")
    expect(customer.locator("h1")).to_have_text("Dashboard")

    dana = User.objects.get(username="dana")
    fund(dana, "10")
    order = place(dana, followers, quantity=1000)

    customer.goto(f"{live_server.url}/orders")
    customer.locator(f"tr.order[data-id='{order.pk}']").get_by_text(
        "Need help with this order?"
    ).click()
    expect(customer.locator("#id_subject")).to_have_value(f"Order #{order.pk}")
    expect(customer.locator("#id_orders")).to_have_value(str(order.pk))
    expect(customer.locator("#id_department option:checked")).to_have_text("Orders & account")
    customer.fill("#id_body", "It has not started yet. <b>Is it stuck?</b>")
    customer.click("main form button[type=submit]")
    expect(customer.locator(".messages")).to_contain_text("is open")
    expect(customer.locator(".linked-orders")).to_contain_text(f"#{order.pk}")
    expect(customer.locator(".thread")).to_contain_text("<b>Is it stuck?</b>")  # as text
    ticket = Ticket.objects.get(user=dana)

    User.objects.create_superuser("stella", "stella@example.com", "staff-pass-phrase-9")
    staff = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    staff.goto(f"{live_server.url}/admin/login/")
    staff.fill("#id_username", "stella")
    staff.fill("#id_password", "staff-pass-phrase-9")
    staff.click("input[type=submit]")
    staff.goto(f"{live_server.url}/admin/support/ticket/")
    staff.click(f"text=Order #{order.pk}")
    expect(staff.locator("#customer-balance")).to_contain_text("7.50")
    expect(staff.locator("#linked-orders")).to_contain_text(f"#{order.pk}")
    staff.fill("#id_body", "Your order starts within the hour, Dana.")
    staff.click("#reply-form input[type=submit]")
    expect(staff.locator(".messagelist")).to_contain_text("Reply sent")
    staff.screenshot(path=str(tmp_path / "desk.png"), full_page=True)

    customer.goto(f"{live_server.url}/support")
    row = customer.locator("tr.ticket", has_text=f"Order #{order.pk}")
    expect(row).to_contain_text("New reply")
    expect(row).to_contain_text("Answered")
    row.get_by_role("link").click()
    expect(customer.locator(".message.from-staff")).to_contain_text(
        "Your order starts within the hour, Dana."
    )
    assert customer.evaluate("document.documentElement.scrollWidth") <= 390
    customer.screenshot(path=str(tmp_path / "ticket-phone.png"), full_page=True)
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.ANSWERED and not ticket.customer_unread
