"""Paying in a real browser through each fake gateway (fakegateways/): the checkout page's
Pay button, back to the panel, the payment Paid and the balance up once, although every
webhook arrives three times at once."""

import time
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from accounts.models import LedgerEntry, LedgerKind, PaymentStatus, User
from fakegateways.testing import FakeGateways
from tests.payments.configured import configure, random_secrets

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

PASSWORD = "a-long-pass-phrase-7"

# code, what the customer fills in, what the balance rises by
CASES = {
    "razorpay": ({"#id_razorpay-amount": "2500"}, "30.00"),  # 2500 INR × 0.012
    "stripe": ({"#id_stripe-amount": "120"}, "126.00"),  # 120 USD and a 5% bonus from 100
    "nowpayments": ({"#id_nowpayments-amount": "15.50"}, "15.50"),
}


@pytest.fixture
def gateways(live_server, settings):
    keys = random_secrets()
    with FakeGateways(panel_url=live_server.url) as fakes:
        fakes.configure(secrets=keys, copies=3)
        settings.PAYMENT_GATEWAY_URLS = fakes.gateway_urls
        configure("razorpay", keys, currencies=(("INR", "0.012"),))
        configure("stripe", keys, bonus_percent=Decimal(5), bonus_from=Decimal(100))
        configure("nowpayments", keys)
        yield fakes


def log_in(browser, live_server):
    User.objects.create_user("dana", "dana@example.com", PASSWORD)
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    page.goto(f"{live_server.url}/login")
    page.fill("#id_username", "dana")
    page.fill("#id_password", PASSWORD)
    page.click("main form button[type=submit]")
    expect(page.locator(".nav .balance")).to_have_text("0.00 USD")
    return page


def wait_for_text(page, selector: str, text: str, seconds: float = 20) -> None:
    """Reload until `selector` shows `text`: a webhook may land a moment after the return."""
    deadline = time.monotonic() + seconds
    while text not in page.locator(selector).inner_text():
        assert time.monotonic() < deadline, page.locator("main").inner_text()[:500]
        time.sleep(0.5)
        page.reload()


@pytest.mark.parametrize("code", list(CASES))
def test_paying_through_the_fake_gateway_raises_the_balance_once(
    live_server, browser, gateways, code
):
    fields, credit = CASES[code]
    page = log_in(browser, live_server)
    page.goto(f"{live_server.url}/funds")
    for selector, value in fields.items():
        page.fill(selector, value)
    page.click(f"#method-{code} button[type=submit]")
    if code == "razorpay":  # the panel's page posts the hosted checkout form
        page.click("#pay")
    expect(page.locator("#amount")).to_be_visible()  # the fake's checkout page
    page.click("#pay")

    page.wait_for_url(f"{live_server.url}/funds/*")
    wait_for_text(page, "#payment-status", "Paid")
    expect(page.locator(".nav .balance")).to_have_text(f"{credit} USD")
    gateways.wait_deliveries(3 if code != "razorpay" else 6)
    dana = User.objects.get(username="dana")
    deposits = LedgerEntry.objects.filter(user=dana, kind=LedgerKind.DEPOSIT)
    assert [d.amount for d in deposits] == [Decimal(credit)]
    dana.refresh_from_db()
    assert dana.balance == Decimal(credit)
    page.goto(f"{live_server.url}/funds")
    expect(page.locator("table.payments tbody tr").first).to_contain_text("Paid")


def test_a_failed_card_payment_shows_failed_and_adds_nothing(live_server, browser, gateways):
    page = log_in(browser, live_server)
    page.goto(f"{live_server.url}/funds")
    page.fill("#id_stripe-amount", "40")
    page.click("#method-stripe button[type=submit]")
    page.click("#fail")

    page.wait_for_url(f"{live_server.url}/funds/*")
    wait_for_text(page, "#payment-status", "Failed")
    expect(page.locator(".nav .balance")).to_have_text("0.00 USD")
    dana = User.objects.get(username="dana")
    assert dana.payments.get().status == PaymentStatus.FAILED
    assert not LedgerEntry.objects.filter(user=dana).exists()


def test_a_refund_at_the_gateway_takes_the_funds_back_and_the_page_says_so(
    live_server, browser, gateways
):
    page = log_in(browser, live_server)
    page.goto(f"{live_server.url}/funds")
    page.fill("#id_razorpay-amount", "1000")
    page.click("#method-razorpay button[type=submit]")
    page.click("#pay")
    page.click("#pay")
    page.wait_for_url(f"{live_server.url}/funds/*")
    wait_for_text(page, "#payment-status", "Paid")
    dana = User.objects.get(username="dana")
    payment = dana.payments.get()

    gateways.reverse("razorpay", payment.gateway_payment_id, kind="refund", amount=40000)

    wait_for_text(page, "#payment-status", "Refunded")
    expect(page.locator(".reversals")).to_contain_text("Refund of 400.00 INR: 4.80 USD taken")
    expect(page.locator(".nav .balance")).to_have_text("7.20 USD")  # 12.00 - 40% of it
