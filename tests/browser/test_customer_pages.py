"""The customer's order form and order page in Chromium, at a phone's width and a desktop's
(issue 12). Set SCREENSHOT_DIR to keep a screenshot of each page for a look by eye."""

import os
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from harness.catalog import make_provider, make_service, make_upstream
from harness.customers import PASSWORD, make_customer

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
    no_sideways_scroll(page)
    shot(page, f"order-form-zero-balance-{width}")
    page.close()
