"""The API's `services` answer is built once per currency and catalog version, not per call,
and any price change shows on the next call: a save, a markup rule, repricing in bulk."""

import gzip
import json
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.apikeys import issue_key
from catalog.models import MarkupRule, UpstreamService
from catalog.pricing import refresh_services
from harness.catalog import make_provider, make_service, make_upstream
from harness.customers import make_customer

pytestmark = pytest.mark.django_db


@pytest.fixture
def key():
    return issue_key(make_customer("carol", funds="1"))


@pytest.fixture
def offer():
    return make_upstream(make_provider(), rate="1.00", name="IG Likes")


def services(client, key, gzipped=False) -> tuple[list[dict], list[str]]:
    """The answer, and the SQL run to make it."""
    extra = {"HTTP_ACCEPT_ENCODING": "gzip"} if gzipped else {}
    with CaptureQueriesContext(connection) as queries:
        response = client.post("/api/v2", {"key": key, "action": "services"}, **extra)
    assert response.status_code == 200
    body = gzip.decompress(response.content) if gzipped else response.content
    assert ("Content-Encoding" in response) == gzipped
    return json.loads(body), [q["sql"] for q in queries.captured_queries]


def rates(answer: list[dict]) -> dict[str, str]:
    return {row["name"]: row["rate"] for row in answer}


def test_the_answer_is_built_once_not_per_call(client, key, offer):
    make_service(offer)
    first, _ = services(client, key)
    again, sql = services(client, key)
    also, _ = services(client, key, gzipped=True)
    assert first == again == also
    assert not any("catalog_service" in q for q in sql), sql  # only the key was looked up


def test_a_saved_price_shows_on_the_next_call(client, key, offer):
    service = make_service(offer)
    assert rates(services(client, key)[0]) == {"IG Likes": "1.00"}
    service.fixed_rate = Decimal("2.50")
    service.save()
    refresh_services([service.pk])
    assert rates(services(client, key)[0]) == {"IG Likes": "2.50"}


def test_a_markup_rule_shows_on_the_next_call(client, key, offer):
    make_service(offer)
    assert rates(services(client, key)[0]) == {"IG Likes": "1.00"}
    MarkupRule.objects.create(percent=Decimal("50"))
    refresh_services()
    assert rates(services(client, key)[0]) == {"IG Likes": "1.50"}


def test_repricing_in_bulk_shows_on_the_next_call(client, key, offer):
    service = make_service(offer)
    assert rates(services(client, key)[0]) == {"IG Likes": "1.00"}
    # As a sync does it: the upstream rate written in bulk (no save signals), then repriced.
    UpstreamService.objects.filter(pk=offer.pk).update(rate=Decimal("3.00"))
    assert refresh_services([service.pk]) == 1
    assert rates(services(client, key)[0]) == {"IG Likes": "3.00"}


def test_each_currency_has_its_own_answer(client, key, offer, settings):
    make_service(offer)
    services(client, key)
    settings.PANEL_CURRENCY = "EUR"
    _, sql = services(client, key)
    assert any("catalog_service" in q for q in sql)  # built anew, not the USD one
