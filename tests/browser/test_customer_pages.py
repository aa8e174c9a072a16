"""The customer's pages of issue 12 in Chromium, at a phone's width and a desktop's: no serious
accessibility violation (axe-core), nothing wider than the screen, screenshots; the orders list
on a phone (cards, order again, CSV download); the dashboard's quick order with the keyboard."""

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.utils import timezone

from accounts.models import User
from catalog.models import Category, PriceChange, Service
from harness.catalog import make_provider, make_service, make_upstream
from harness.customers import make_customer
from orders.models import Order, OrderStatus

pytestmark = pytest.mark.django_db(transaction=True)

PAGES = {
    "orders": "/orders",
    "orders-completed": "/orders?status=completed",
    "dashboard": "/",
    "account": "/account",
    "updates": "/updates",
    "order-again": "/order/new?service={service}&link=https://instagram.com/p/again&quantity=500",
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
    page = context.new_page()
    problems, wide = {}, {}
    for name, path in PAGES.items():
        page.goto(live_server.url + path.format(service=service.pk))
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
