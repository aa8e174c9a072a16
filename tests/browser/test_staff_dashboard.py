"""The staff dashboard in a real browser, at 1280 px and on a 390 px phone: the admin's home,
its balance charts drawn, nothing wider than the screen; the services list's markup inputs
on screen at 1280 px."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import User
from catalog.models import Provider
from catalog.upstream.calllog import Call
from harness.catalog import make_provider, make_service, make_upstream
from staff.balances import record
from staff.health import write_calls
from staff.models import ProviderWatch

pytestmark = pytest.mark.django_db(transaction=True)
PASSWORD = "staff-pass-phrase-9"


@pytest.fixture
def panel_data():
    now = timezone.now()
    for name, start, per_day, threshold in [("Fastfollow", 400, 10, 50), ("Likely", 90, 3, 20)]:
        provider = make_provider(name=name, currency="EUR", exchange_rate=Decimal("1.1"))
        ProviderWatch.objects.create(provider=provider, low_balance=Decimal(threshold))
        for hours in range(30 * 24, -1, -6):
            amount = Decimal(start - per_day * (30 * 24 - hours) / 24)
            if name == "Fastfollow" and hours == 200:
                amount += 100  # a top-up
            record(
                provider=provider,
                amount=amount,
                currency="EUR",
                checked_at=now - timedelta(hours=hours),
            )
        Provider.objects.filter(pk=provider.pk).update(
            balance=amount, balance_currency="EUR", balance_checked_at=now, last_synced_at=now
        )
        write_calls([Call(provider.pk, "status", now, 100 + i * 10, "ok", "") for i in range(40)])
        make_service(
            make_upstream(
                provider,
                rate="0.8",
                name=f"{name} Instagram Followers — real, refill 30 days, fast start",
            ),
            markup_percent=Decimal(25),
        )
    User.objects.create_superuser("stella", "stella@example.com", PASSWORD)


def log_in(page, live_server):
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", "stella")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")


def no_horizontal_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


@pytest.mark.parametrize("device", ["page", "phone"])
def test_the_dashboard_with_its_charts(live_server, panel_data, device, request, tmp_path):
    page = request.getfixturevalue(device)
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    log_in(page, live_server)

    expect(page.locator("#staff-dashboard")).to_be_visible()
    expect(page.locator("#site-name")).to_contain_text("admin")
    expect(page.locator("#site-name")).not_to_contain_text("Django")
    cards = page.locator(".staff-provider")
    expect(cards).to_have_count(2)
    expect(page.locator("#balance-alerts")).to_contain_text("Likely")  # 0 left, below 20
    width = page.viewport_size["width"]
    for i in range(2):
        chart = cards.nth(i).locator("svg")
        chart.scroll_into_view_if_needed()
        box = chart.bounding_box()
        assert box["width"] > 200 and box["height"] >= 60
        assert box["x"] >= 0 and box["x"] + box["width"] <= width
        assert chart.locator("polyline").get_attribute("points").count(",") > 100
    expect(cards.first).to_contain_text("days at")
    assert no_horizontal_scroll(page)
    page.screenshot(path=str(tmp_path / f"dashboard-{device}.png"), full_page=True)
    assert errors == []


def test_services_list_shows_cost_and_margin_with_the_markup_inputs_on_screen(
    live_server, panel_data, page, tmp_path
):
    log_in(page, live_server)
    page.goto(f"{live_server.url}/admin/catalog/service/")
    row = page.locator("#result_list tbody tr").first
    expect(row.locator("td.field-cost_cell")).to_have_text("0.8800")  # 0.80 EUR × 1.1
    expect(row.locator("td.field-margin_cell")).to_have_text("20.0%")  # sold at 1.10
    page.screenshot(path=str(tmp_path / "services-list.png"), full_page=True)
    results = page.locator("#changelist-form .results")
    # Nothing hidden in the list's own scroll box: every column, the inputs last, is on screen.
    assert results.evaluate("e => e.scrollWidth <= e.clientWidth")
    edge = results.bounding_box()
    for field in ["markup_percent", "fixed_rate"]:
        box = row.locator(f"td.field-{field} input").bounding_box()
        assert box["x"] + box["width"] <= min(edge["x"] + edge["width"], 1280)
