"""An order placed in the page turns In progress, then Completed, on its own: a real worker and
beat forward and poll it against the sandbox provider while the customer watches the page."""

import subprocess
import sys
from decimal import Decimal

import pytest
from django.db import transaction

from accounts import ledger
from accounts.models import LedgerKind, User
from catalog.models import Provider, Service
from catalog.sync import sync_provider
from harness.waiting import wait_until
from harness.workers import ROOT, start_for_tests
from orders.models import Order

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def wait_for_status(page, url: str, text: str, seconds: float = 60) -> None:
    """Reload the orders list until the order's row shows `text` (bounded)."""

    def shown() -> bool:
        page.goto(url)
        return text in page.locator("table tr.order, table tbody tr").first.inner_text()

    wait_until(
        shown, timeout=seconds, what=f"the order to show {text!r}", interval=1,
        details=lambda: page.locator("main").inner_text()[:500],
    )  # fmt: skip


@pytest.fixture
def running_panel(tmp_path, monkeypatch):
    """One worker and beat polling every 2 s, on the test database and broker."""
    monkeypatch.setenv("POLL_SECONDS", "2")
    monkeypatch.setenv("SWEEP_SECONDS", "5")
    group = start_for_tests(1, tmp_path)
    env = dict(group.workers[0].env)
    beat = subprocess.Popen(  # noqa: S603 - our interpreter, our app
        [sys.executable, "-m", "celery", "-A", "panel", "beat", "--loglevel", "INFO",
         "--schedule", str(tmp_path / "beat-schedule")],
        cwd=ROOT, env=env, stdout=(tmp_path / "beat.log").open("wb"), stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        yield group
    finally:
        beat.terminate()
        try:
            beat.wait(timeout=10)
        except subprocess.TimeoutExpired:
            beat.kill()
        group.stop()


def test_an_order_goes_in_progress_then_completed_by_itself(
    live_server, browser, sandbox, running_panel
):
    provider = Provider.objects.create(name="Sandbox", api_url=sandbox.api_url, api_key=sandbox.key)
    sync_provider(provider)
    service = Service.objects.filter(type="Default", min__lte=100, max__gte=100).order_by("id")[0]
    eve = User.objects.create_user("eve", password="eve-pass-phrase-3")
    with transaction.atomic():
        ledger.credit(user_id=eve.pk, amount=Decimal(50), kind=LedgerKind.ADJUSTMENT, memo="t")

    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    page.goto(f"{live_server.url}/login")
    page.fill("#id_username", "eve")
    page.fill("#id_password", "eve-pass-phrase-3")
    page.click("main form button[type=submit]")
    page.goto(f"{live_server.url}/order/new?service={service.pk}")
    page.fill("#f-link", "https://instagram.com/p/eve-watch")
    page.fill("#f-quantity", "100")
    page.click("#submit")
    page.wait_for_url("**/orders**")

    orders_url = f"{live_server.url}/orders"
    wait_for_status(page, orders_url, "In progress")
    order = Order.objects.get(user=eve)
    assert order.upstream_order_id

    # Time passes at the provider: the order is delivered in full there.
    sandbox.set_outcome(int(order.upstream_order_id), "Completed")
    sandbox.advance(3 * 3600)
    wait_for_status(page, orders_url, "Completed")
    order.refresh_from_db()
    assert order.refunded == 0
    assert len([o for o in sandbox.orders() if o["fields"]["link"] == order.link]) == 1
