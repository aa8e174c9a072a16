"""Secrets at rest stay secret: with a provider API key and a payment gateway's secrets set to
sentinel strings, no admin page (every changelist, add and change page), no customer page and
no log line of a full order cycle (sync, placement over the API, forwarding, polling to
completion, against a sandbox that takes the sentinel key) shows them."""

import logging
import secrets

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.apikeys import issue_key
from catalog.models import Provider, Service
from catalog.sync import sync_provider
from harness.customers import make_customer, make_user
from harness.pages import CUSTOMER, PUBLIC, admin_pages, named
from orders.forwarding import forward
from orders.models import Order, OrderStatus
from orders.polling import poll_orders
from payments.models import Gateway
from sandbox.process import SandboxProcess

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

PROVIDER_KEY = "SENTINEL-provider-key-" + secrets.token_hex(8)
GATEWAY_API_SECRET = "SENTINEL-gateway-api-" + secrets.token_hex(8)
GATEWAY_WEBHOOK_SECRET = "SENTINEL-gateway-hook-" + secrets.token_hex(8)
SENTINELS = (PROVIDER_KEY, GATEWAY_API_SECRET, GATEWAY_WEBHOOK_SECRET)


def leaks(text: str) -> list[str]:
    return [s for s in SENTINELS if s in text or s.split("-", 1)[1] in text]


@pytest.fixture(scope="module")
def sentinel_sandbox():
    with SandboxProcess(services=50, speed=60.0, key=PROVIDER_KEY) as sandbox:
        yield sandbox


@pytest.fixture
def rows(sentinel_sandbox):
    provider = Provider.objects.create(
        name="Sentinel upstream", api_url=sentinel_sandbox.api_url, api_key=PROVIDER_KEY
    )
    # The migration's rows, or (after another test's flush) one made here.
    Gateway.objects.get_or_create(code="razorpay", defaults={"name": "Razorpay"})
    for gateway in Gateway.objects.all():
        gateway.api_secret = GATEWAY_API_SECRET
        gateway.webhook_secret = GATEWAY_WEBHOOK_SECRET
        gateway.enabled = True
        gateway.save()
    return provider


def test_no_page_shows_a_secret(client, rows):
    sync_provider(rows)
    staff = make_user("sam", is_staff=True, is_superuser=True)
    client.force_login(staff)
    pages = list(admin_pages(staff))
    assert any("/catalog/provider/" in url and "/change/" in url for url in pages)
    assert any("/payments/gateway/" in url and "/change/" in url for url in pages)
    for url in pages:
        response = client.get(url, follow=True)
        assert response.status_code == 200, url
        assert leaks(response.content.decode()) == [], url
    client.logout()
    for url in named(PUBLIC):
        assert leaks(client.get(url, follow=True).content.decode()) == [], url
    client.force_login(make_customer("carol", funds="50"))
    for url in named(CUSTOMER):
        response = client.get(url)
        assert response.status_code == 200, url
        assert leaks(response.content.decode()) == [], url


def test_no_log_line_of_a_full_order_cycle_shows_a_secret(client, rows, sentinel_sandbox, caplog):
    caplog.set_level(logging.DEBUG)
    with CaptureQueriesContext(connection) as queries:
        sync_provider(rows)
        key = issue_key(make_customer("carol", funds="50"))
        panel_service = Service.objects.filter(
            type="Default", available=True, min__lte=1000, max__gte=1000
        ).first()
        assert panel_service is not None
        answer = client.post(
            "/api/v2",
            {
                "key": key,
                "action": "add",
                "service": panel_service.pk,
                "link": "https://x.test/p",
                "quantity": "1000",
            },
        ).json()
        assert "order" in answer, answer
        order = Order.objects.get(pk=answer["order"])
        assert forward(order.pk) == OrderStatus.IN_PROGRESS
        order.refresh_from_db()
        sentinel_sandbox.set_outcome(int(order.upstream_order_id), "Completed")
        sentinel_sandbox.advance(3 * 3600)
        poll_orders()
        order.refresh_from_db()
        assert order.status == OrderStatus.COMPLETED
    logged = "\n".join(
        f"{r.name} {r.getMessage()} {r.exc_text or ''} {getattr(r, 'args', '')}"
        for r in caplog.records
    )
    assert caplog.records  # the cycle logs, and none of it carries a secret
    assert leaks(logged) == []
    assert leaks("\n".join(q["sql"] for q in queries.captured_queries)) == []
