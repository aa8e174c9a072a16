"""The customer's order form and order page in Chromium, at a phone's width and a desktop's
(issue 12). Set SCREENSHOT_DIR to keep a screenshot of each page for a look by eye."""

import os
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from harness.catalog import make_provider, make_service, make_upstream
from harness.customers import PASSWORD, make_customer
from orders.models import Order, OrderStatus
from orders.placing import place_order
from orders.settlement import settle

pytestmark = pytest.mark.django_db(transaction=True)

WIDTHS = [390, 1280]


def shot(page, name: str) -> None:
    folder = os.environ.get("SCREENSHOT_DIR")
    if folder:
        page.screenshot(path=os.path.join(folder, f"{name}.png"), full_page=True)


def log_in(page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/login")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("main form button[type=submit]")
    expect(page.locator(".nav .balance")).to_be_attached()


def no_sideways_scroll(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], f"the page is {width} px wide"


@pytest.fixture
def followers_without_description(db):
    offer = make_upstream(
        make_provider(), rate="1", name="Instagram Followers HQ", min=10, max=50_000
    )
    return make_service(offer, fixed_rate=Decimal("2.5"), description="")


@pytest.mark.parametrize("width", WIDTHS)
def test_the_order_form_with_a_zero_balance_warns_live_and_shows_no_null(
    live_server, browser, followers_without_description, width
):
    make_customer("zoe", funds="0")
    page = browser.new_page(viewport={"width": width, "height": 900})
    log_in(page, live_server, "zoe")
    page.goto(f"{live_server.url}/order/new")
    page.select_option("#service", str(followers_without_description.pk))  # drawn by the script

    expect(page.locator("#service-info h2")).to_have_text("Instagram Followers HQ")
    assert "null" not in page.locator("#service-info").inner_text()
    page.fill("#f-link", "https://instagram.com/zoe")
    page.fill("#f-quantity", "-100")
    expect(page.locator("#charge-note")).to_have_text(
        "The quantity cannot be negative: enter a whole number from 10 to 50,000."
    )
    page.fill("#f-quantity", "1000")
    expect(page.locator("#charge")).to_have_text("2.50 USD")
    warning = page.locator("#charge-short")
    expect(warning).to_be_visible()
    expect(warning).to_contain_text("Not enough funds: add 2.50 USD")
    # Read out as it appears: the warning sits in a live region.
    assert warning.evaluate("e => e.closest('[aria-live]') !== null")
    expect(page.locator("label[for=f-quantity]")).to_have_text("Quantity")
    described = page.get_attribute("#f-quantity", "aria-describedby")
    expect(page.locator(f"#{described}")).to_have_text("Min 10, max 50,000")
    no_sideways_scroll(page)
    shot(page, f"order-form-zero-balance-{width}")
    page.close()


@pytest.fixture
def shopper(db):
    """A customer with a balance of many decimals, and orders of every kind."""
    return make_customer("shopper", funds="12345.678912")


def test_the_top_bar_stays_one_line_at_1280_with_a_long_balance(live_server, browser, shopper):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    log_in(page, live_server, "shopper")
    balance = page.locator(".nav .balance")
    expect(balance).to_contain_text("12,345.68 USD")
    assert "12,345.678912" in balance.get_attribute("title")
    brand = page.locator(".topbar .brand").bounding_box()
    bar = page.locator(".topbar").bounding_box()
    logout = page.locator(".nav button.link").bounding_box()
    assert bar["height"] < 70, "the top bar wrapped"
    assert abs(logout["y"] - brand["y"]) < 20
    # The dashboard's three cards start on one line (the Balance card sat 16 px higher).
    tops = [box["y"] for box in (c.bounding_box() for c in page.locator(".stats > .card").all())]
    assert max(tops) - min(tops) < 1
    shot(page, "dashboard-1280")
    page.close()


@pytest.mark.parametrize("path", ["/order/mass", "/account/api", "/orders", "/"])
def test_customer_pages_do_not_scroll_sideways_on_a_phone(live_server, phone, shopper, path):
    offer = make_upstream(make_provider(), rate="1", min=10, max=50_000, cancel=True)
    service = make_service(offer, fixed_rate=Decimal("1.2345"))
    for quantity in ("1000", "25000"):
        order = place_order(
            user=shopper, service_id=service.pk,
            fields={"link": "https://instagram.com/p/" + "x" * 80, "quantity": quantity},
        )  # fmt: skip
    settle(order, status=OrderStatus.CANCELED, refund=order.charge, expected=[OrderStatus.PENDING])
    log_in(phone, live_server, "shopper")
    phone.goto(f"{live_server.url}{path}")
    no_sideways_scroll(phone)
    # Nor does any example or code block hide its text past its edge.
    hidden = phone.evaluate(
        "[...document.querySelectorAll('main pre')].filter(e => e.scrollWidth > e.clientWidth + 1)"
        ".map(e => e.textContent.slice(0, 40))"
    )
    assert hidden == []
    shot(phone, "phone" + path.replace("/", "-"))


@pytest.mark.parametrize("width", WIDTHS)
def test_the_order_page_at_both_widths(live_server, browser, shopper, width):
    offer = make_upstream(
        make_provider(), rate="1", name="TikTok Views | Fast | Lifetime refill " * 2,
        min=100, max=100_000, dripfeed=True, cancel=True, refill=True,
    )  # fmt: skip
    service = make_service(offer, fixed_rate=Decimal("1.2345"))
    order = place_order(
        user=shopper, service_id=service.pk,
        fields={"link": "https://www.tiktok.com/@someone/video/" + "7" * 60, "quantity": "500",
                "runs": "4", "interval": "30"},
    )  # fmt: skip
    Order.objects.filter(pk=order.pk).update(
        status=OrderStatus.IN_PROGRESS, upstream_order_id="u1", sent_at=timezone.now(),
        start_count=1000, remains=1200, last_checked_at=timezone.now(),
        upstream_detail={"runs": "2"},
    )  # fmt: skip
    page = browser.new_page(viewport={"width": width, "height": 900})
    log_in(page, live_server, "shopper")
    page.goto(f"{live_server.url}/orders")
    page.click(f'a[href="/orders/{order.pk}/"]')

    expect(page.locator("h1")).to_contain_text(f"Order #{order.pk}")
    expect(page.locator("#order-quantity")).to_have_text("2,000 (500 × 4 runs)")
    expect(page.locator("#timeline .event")).to_have_count(3)
    expect(page.locator("#runs .run")).to_have_count(4)
    assert page.locator("main h2").all_inner_texts() == ["Details", "Actions", "Timeline"]
    # Keyboard: the actions are reachable with Tab, in order.
    page.focus("#order-again")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "order-help"
    no_sideways_scroll(page)
    shot(page, f"order-page-{width}")
    page.close()
