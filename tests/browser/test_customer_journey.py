"""A customer's first day, in a real browser: sign up, get credited by staff, order, mass order."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from accounts.models import User
from harness.catalog import make_provider, make_service, make_upstream
from orders.models import Order

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def followers_at_2_50():
    """Followers at a fixed 2.50 per 1000, 10 to 50,000."""
    return make_service(
        make_upstream(make_provider(), rate="1", name="Instagram Followers HQ", min=10, max=50_000),
        fixed_rate=Decimal("2.5"),
    )


def test_sign_up_get_credited_order_and_see_it_with_the_right_charge(
    live_server, browser, followers_at_2_50
):
    customer = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    customer.goto(f"{live_server.url}/signup")
    customer.fill("#id_username", "dana")
    customer.fill("#id_email", "dana@example.com")
    customer.fill("#id_password1", "a-long-pass-phrase-7")
    customer.fill("#id_password2", "a-long-pass-phrase-7")
    customer.click("main form button[type=submit]")
    expect(customer.locator(".nav .balance")).to_have_text("0.00 USD")

    User.objects.create_superuser("stella", "stella@example.com", "staff-pass-phrase-9")
    dana = User.objects.get(username="dana")
    staff = browser.new_context().new_page()
    staff.goto(f"{live_server.url}/admin/login/")
    staff.fill("#id_username", "stella")
    staff.fill("#id_password", "staff-pass-phrase-9")
    staff.click("input[type=submit]")
    staff.goto(f"{live_server.url}/admin/accounts/user/{dana.pk}/adjust-balance/")
    staff.fill("#id_amount", "20")
    staff.fill("#id_reason", "Bank transfer 4711 received")
    staff.click("input[type=submit]")
    expect(staff.locator(".messagelist")).to_contain_text("20")

    customer.goto(f"{live_server.url}/order/new?service={followers_at_2_50.pk}")
    expect(customer.locator(".nav .balance")).to_have_text("20.00 USD")
    customer.fill("#f-link", "https://instagram.com/dana")
    customer.fill("#f-quantity", "1000")
    expect(customer.locator("#charge")).to_contain_text("2.50")  # live, as typed
    customer.click("#submit")
    expect(customer.locator(".messages")).to_contain_text("charged 2.50")
    row = customer.locator("table tr", has_text="https://instagram.com/dana")
    expect(row).to_contain_text("2.50")
    expect(customer.locator(".nav .balance")).to_have_text("17.50 USD")
    order = Order.objects.get(user=dana)
    assert order.charge == Decimal("2.5")

    customer.goto(f"{live_server.url}/order/mass")
    customer.fill(
        "#mass-orders",
        f"{followers_at_2_50.pk}|https://instagram.com/p/1|1000\n"
        f"{followers_at_2_50.pk}|not-a-link|1000\n"
        f"{followers_at_2_50.pk}|https://instagram.com/p/2|2000",
    )
    customer.click("main form button[type=submit]")
    expect(customer.locator("main")).to_contain_text("Placed 2 orders: charged 7.50 USD")
    bad = customer.locator("tr", has_text="not-a-link")
    expect(bad.locator("td").first).to_have_text("2")  # its line number
    expect(customer.locator(".nav .balance")).to_have_text("10.00 USD")  # 17.50 - 2.50 - 5.00
    assert Order.objects.filter(user=dana).count() == 3
