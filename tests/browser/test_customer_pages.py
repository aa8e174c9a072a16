"""The customer's pages of issue 12 in Chromium, at a phone's width and a desktop's: no serious
accessibility violation (axe-core), nothing wider than the screen, screenshots; the orders list
on a phone (cards, order again, CSV download); the dashboard's quick order with the keyboard;
the order form and the order page. Set SCREENSHOT_DIR to keep a screenshot of each page of the
order form and order page for a look by eye."""

import os
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import User
from catalog.models import Category, PriceChange, Service
from harness.catalog import make_provider, make_service, make_upstream
from harness.customers import PASSWORD, make_customer
from orders.models import Order, OrderStatus
from orders.placing import place_order
from orders.settlement import settle

pytestmark = pytest.mark.django_db(transaction=True)

PAGES = {
    "orders": "/orders",
    "orders-completed": "/orders?status=completed",
    "dashboard": "/",
    "account": "/account",
    "updates": "/updates",
    "order-again": "/order/new?service={service}&link=https://instagram.com/p/again&quantity=500",
    "order-page": "/orders/{order}/",
}


@pytest.fixture
def customer():
    category = Category.objects.create(name="Instagram Followers")
    service = make_service(
        make_upstream(make_provider(), rate="1.2345", name="Real followers, refill 30 days",
                      refill=True, cancel=True),
        category=category,
    )  # fmt: skip
    Service.objects.filter(pk=service.pk).update(average_seconds=5400)
    PriceChange.objects.create(
        upstream_service=service.service_offers.get().upstream_service,
        old_rate=Decimal("1.1"), new_rate=Decimal("1.2345"), seen_at=timezone.now(),
    )  # fmt: skip
    alice = make_customer("alice", funds="25")
    User.objects.filter(pk=alice.pk).update(time_zone="Asia/Kolkata")
    statuses = [OrderStatus.COMPLETED, OrderStatus.PARTIAL, OrderStatus.CANCELED,
                OrderStatus.IN_PROGRESS, OrderStatus.PENDING, OrderStatus.FAILED] * 3  # fmt: skip
    for n, status in enumerate(statuses):
        refunded = Decimal("1.2345") if status in ("canceled", "failed") else Decimal(0)
        Order.objects.create(
            user=alice, service=service, status=status, quantity=1000, rate=Decimal("1.2345"),
            charge=Decimal("1.2345"), refunded=refunded, start_count=120 + n,
            remains=0 if status == "completed" else 250,
            link=f"https://instagram.com/p/a-rather-long-post-address-{n}?utm_source=share",
        )  # fmt: skip
    Order.objects.update(created_at=timezone.now() - timedelta(hours=3))
    return alice, service


def signed_in(browser, client, user, live_server, width):
    context = browser.new_context(
        viewport={"width": width, "height": 900}, is_mobile=width < 500, accept_downloads=True
    )
    client.force_login(user)
    cookie = client.cookies["sessionid"].value
    context.add_cookies([{"name": "sessionid", "value": cookie, "url": live_server.url}])
    return context


def serious(page) -> list[str]:
    results = Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def overflow(page) -> int:
    """How many pixels the page is wider than the screen (0: it fits)."""
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


@pytest.mark.parametrize("width", [390, 1280])
def test_the_pages_are_accessible_and_fit_the_screen(
    live_server, browser, client, customer, width, tmp_path
):
    alice, service = customer
    context = signed_in(browser, client, alice, live_server, width)
    order = Order.objects.filter(user=alice, status=OrderStatus.PARTIAL).first()
    page = context.new_page()
    problems, wide = {}, {}
    for name, path in PAGES.items():
        page.goto(live_server.url + path.format(service=service.pk, order=order.pk))
        problems[name] = serious(page)
        wide[name] = overflow(page)
        page.screenshot(path=str(tmp_path / f"{name}-{width}.png"), full_page=True)
    context.close()

    assert {name: found for name, found in problems.items() if found} == {}
    assert {name: px for name, px in wide.items() if px > 0} == {}


def test_the_orders_list_on_a_phone(live_server, browser, client, customer, tmp_path):
    alice, service = customer
    context = signed_in(browser, client, alice, live_server, 390)
    phone = context.new_page()
    phone.goto(f"{live_server.url}/orders")

    # Each order is a card as wide as the screen at most, its times in her time zone.
    cards = phone.locator("tr.order")
    assert cards.count() == 18
    box = cards.first.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390
    assert "Completed" in phone.get_by_role("link", name="Completed 3").inner_text()
    newest = Order.objects.filter(user=alice).order_by("-id").first()
    shown = timezone.localtime(newest.created_at, timezone.get_fixed_timezone(330))
    assert shown.strftime("%H:%M") in cards.first.locator("td.date").inner_text()

    # The status tabs filter; the counts say how many.
    phone.get_by_role("link", name="Partial 3").click()
    assert phone.locator("tr.order").count() == 3
    phone.screenshot(path=str(tmp_path / "orders-partial-phone.png"), full_page=True)

    # The CSV holds the tab's orders.
    with phone.expect_download() as download:
        phone.get_by_role("link", name="Export CSV").click()
    lines = Path(download.value.path()).read_text(encoding="utf-8-sig").splitlines()
    assert download.value.suggested_filename.startswith("orders-")
    assert len(lines) == 1 + 3 and all(line.endswith(",Partial") for line in lines[1:])

    # Order again fills the form: service, link and quantity.
    phone.locator("a.order-again").first.click()
    phone.wait_for_url("**/order/new?**")
    assert phone.locator("#f-link").input_value().startswith("https://instagram.com/p/")
    assert phone.locator("#f-quantity").input_value() == "1000"
    assert "1 hour 30 minutes" in phone.locator("#service-info").inner_text()
    assert overflow(phone) == 0
    phone.screenshot(path=str(tmp_path / "order-again-phone.png"), full_page=True)
    context.close()


def test_the_quick_order_with_the_keyboard(live_server, browser, client, customer, tmp_path):
    alice, service = customer
    context = signed_in(browser, client, alice, live_server, 1280)
    page = context.new_page()
    page.goto(live_server.url + "/")

    page.focus("#quick-category")
    page.keyboard.press("ArrowDown")  # the first category
    page.locator("#quick-service:not([disabled])").wait_for()
    page.select_option("#quick-service", str(service.pk))
    assert "average time per 1000: 1 hour 30 minutes" in page.inner_text("#quick-service-info")
    page.focus("#quick-link")
    page.keyboard.type("https://instagram.com/p/quick")
    page.keyboard.press("Tab")
    page.keyboard.type("1000")
    page.screenshot(path=str(tmp_path / "quick-order.png"), full_page=True)
    page.keyboard.press("Enter")

    page.wait_for_url("**/order/new")
    assert "1.2345" in page.content()  # the review step shows the charge
    assert page.get_by_role("button", name="Place order").is_visible()
    assert not Order.objects.filter(link="https://instagram.com/p/quick").exists()
    context.close()


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
