"""The reports page in Chromium, at 1280 and 390 px: the server-drawn charts render with their
bars coloured by the stylesheet (no inline style), and nothing but the tables scrolls sideways."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone
from playwright.sync_api import expect

from harness.catalog import make_provider, make_service, make_upstream
from harness.customers import make_customer, make_user
from orders.models import Order, OrderStatus
from orders.placing import place_order
from orders.settlement import settle
from orders.states import ORDERS
from reports import summary

pytestmark = pytest.mark.django_db(transaction=True)
PASSWORD = "reports-pass-phrase-7"


@pytest.fixture
def sales():
    """Twelve completed orders over the last twelve days, each with a cost, added up."""
    provider = make_provider(currency="EUR", exchange_rate=Decimal("1.1"))
    service = make_service(make_upstream(provider, rate="2.00", name="Followers", max=100_000))
    carol = make_customer("carol", funds="500")
    for n in range(12):
        order = place_order(
            user=carol,
            service_id=service.pk,
            fields={"link": f"https://x.test/{n}", "quantity": str(1000 * (n + 1))},
        )
        Order.objects.filter(pk=order.pk).update(
            created_at=timezone.now() - timedelta(days=n),
            provider=provider,
            exchange_rate=Decimal("1.1"),
        )
        ORDERS.move(pk=order.pk, source=OrderStatus.PENDING, target=OrderStatus.SENDING)
        ORDERS.move(
            pk=order.pk, source=OrderStatus.SENDING, target=OrderStatus.IN_PROGRESS,
            upstream_order_id=f"u{n}",
        )  # fmt: skip
        order.refresh_from_db()
        settle(
            order, status=OrderStatus.COMPLETED, refund=Decimal(0), cost=Decimal("1.5") * (n + 1)
        )
    summary.refresh()


def signed_in(context, live_server):
    page = context.new_page()
    page.goto(f"{live_server.url}/admin/login/?next=/admin/reports/")
    page.fill("#id_username", "vera")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    return page


@pytest.mark.parametrize("width", [1280, 390])
def test_report_page_with_its_charts(live_server, browser, sales, width, tmp_path):
    vera = make_user("vera", password=PASSWORD, is_staff=True)
    vera.user_permissions.add(Permission.objects.get(codename="view_reports"))
    context = browser.new_context(viewport={"width": width, "height": 900}, is_mobile=width < 500)
    page = signed_in(context, live_server)
    expect(page.locator("h1")).to_have_text("Reports")
    chart = page.locator("svg.chart").first
    expect(chart).to_be_visible()
    box = chart.bounding_box()
    assert box["width"] > width * 0.6 and box["height"] > 60
    bars = page.locator("svg.chart rect.bar.revenue")
    assert bars.count() == 30  # the last 30 days, one bar each
    page.screenshot(path=str(tmp_path / f"reports-{width}-days.png"), full_page=True)
    heights = [bars.nth(i).bounding_box()["height"] for i in range(30)]
    assert max(heights[:18]) < 1  # no orders then: a hairline
    assert min(heights[18:]) > 1 and heights[29] < heights[18]  # today's order is the smallest
    fill = bars.first.evaluate("el => getComputedStyle(el).fill")
    assert fill == "rgb(65, 118, 144)"  # from static/css/reports.css
    expect(page.locator("#sales tfoot")).to_contain_text("12")
    # Only the tables scroll sideways: the page itself fits the screen.
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
    page.select_option("select[name=provider]", index=1)
    page.click(".report-filters button[type=submit]")
    expect(page.locator("#sales tfoot")).to_contain_text("12")
    page.click("text=By month")
    expect(page.locator("#sales thead")).to_contain_text("Month")
    page.screenshot(path=str(tmp_path / f"reports-{width}.png"), full_page=True)
    context.close()
