from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalog.models import MarkupRule, PriceChange, Provider, Service, UpstreamService
from catalog.sync import sync_provider
from catalog.upstream import Outcome, UpstreamError
from panel.money import selling_rate

pytestmark = pytest.mark.django_db


@pytest.fixture
def sandbox_unsynced(sandbox):
    """The sandbox as a provider, before any sync (tests/conftest.py's sandbox_provider is synced)."""
    return Provider.objects.create(name="Sandbox", api_url=sandbox.api_url, api_key=sandbox.key)


@pytest.fixture
def catalog_restored(sandbox):
    """For tests that change the sandbox's catalog: put the standard one back afterwards."""
    yield sandbox
    sandbox.catalog(services=2000, seed=1, break_=None)


def snapshot():
    return {
        "upstream": sorted(
            UpstreamService.objects.values_list(
                "upstream_id", "name", "type", "category", "rate", "min", "max", "refill",
                "cancel", "dripfeed", "description", "active", "first_seen",
            )
        ),
        "services": sorted(
            Service.objects.values_list("id", "name", "rate", "min", "max", "available", "type")
        ),
        "price_changes": PriceChange.objects.count(),
    }  # fmt: skip


def test_sync_imports_every_service_and_prices_it(sandbox_unsynced, sandbox):
    MarkupRule.objects.create(percent=Decimal(25))
    result = sync_provider(sandbox_unsynced)

    assert result.seen == result.new == result.imported == 2000
    assert UpstreamService.objects.filter(provider=sandbox_unsynced, active=True).count() == 2000
    assert Service.objects.filter(available=True).count() == 2000
    for upstream in UpstreamService.objects.all()[:200]:
        service = Service.objects.get(service_offers__upstream_service=upstream)
        expected = selling_rate(
            cost=upstream.rate, exchange_rate=Decimal(1), markup_percent=Decimal(25)
        )
        assert service.rate == expected
        assert (service.min, service.max, service.type) == (
            upstream.min,
            upstream.max,
            upstream.type,
        )
    sandbox_unsynced.refresh_from_db()
    assert sandbox_unsynced.last_synced_at is not None
    assert sandbox_unsynced.last_error == ""


def test_sync_covers_every_service_type(sandbox_unsynced):
    sync_provider(sandbox_unsynced)
    types = set(UpstreamService.objects.values_list("type", flat=True))
    assert len(types) == 16


def test_sync_twice_changes_nothing(sandbox_unsynced):
    sync_provider(sandbox_unsynced)
    before = snapshot()
    result = sync_provider(sandbox_unsynced)
    assert (result.new, result.vanished, result.price_changes, result.repriced) == (0, 0, 0, 0)
    assert snapshot() == before


def test_query_count_does_not_grow_with_the_catalog(sandbox_unsynced, catalog_restored):
    counts = []
    for size in (100, 2000):
        catalog_restored.catalog(services=size, seed=size)
        UpstreamService.objects.all().delete()
        Service.objects.all().delete()
        with CaptureQueriesContext(connection) as queries:
            sync_provider(sandbox_unsynced)
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_vanished_service_turns_inactive_and_unavailable(sandbox_unsynced, catalog_restored):
    sync_provider(sandbox_unsynced)
    gone = UpstreamService.objects.order_by("id").first()
    catalog_restored.catalog(remove=[int(gone.upstream_id)])

    result = sync_provider(sandbox_unsynced)

    assert result.vanished == 1
    gone.refresh_from_db()
    assert gone.active is False
    service = Service.objects.get(service_offers__upstream_service=gone)
    assert service.available is False
    assert Service.objects.filter(available=True).count() == 1999


def test_price_change_is_recorded_and_the_panel_price_follows(sandbox_unsynced, catalog_restored):
    MarkupRule.objects.create(percent=Decimal(10))
    sync_provider(sandbox_unsynced)
    upstream = UpstreamService.objects.order_by("id").first()
    old = upstream.rate
    catalog_restored.catalog(rates={upstream.upstream_id: "7.7777"})

    result = sync_provider(sandbox_unsynced)

    assert result.price_changes == 1
    change = PriceChange.objects.get()
    assert (change.upstream_service_id, change.old_rate, change.new_rate) == (
        upstream.pk,
        old,
        Decimal("7.7777"),
    )
    service = Service.objects.get(service_offers__upstream_service=upstream)
    assert service.rate == Decimal("8.5555")  # 7.7777 × 1.1 = 8.55547 → up to 8.5555


def test_auto_import_off_syncs_upstream_services_only(sandbox_unsynced):
    sandbox_unsynced.auto_import = False
    sandbox_unsynced.save()
    sync_provider(sandbox_unsynced)
    assert UpstreamService.objects.count() == 2000
    assert Service.objects.count() == 0


@pytest.mark.parametrize(
    ("breakage", "message"),
    [
        ("html", "not JSON"),
        ("empty", "empty"),
        ("shape", "list"),
        ("nested", "nested deeper than"),
    ],
)
def test_a_broken_answer_changes_nothing(sandbox_unsynced, catalog_restored, breakage, message):
    sync_provider(sandbox_unsynced)
    before = snapshot()
    catalog_restored.catalog(break_=breakage)

    with pytest.raises(UpstreamError):
        sync_provider(sandbox_unsynced)

    assert snapshot() == before
    sandbox_unsynced.refresh_from_db()
    assert sandbox_unsynced.last_error.startswith("Sync failed")
    assert message.lower() in sandbox_unsynced.last_error.lower()


def test_an_unreachable_provider_is_reported_and_changes_nothing():
    provider = Provider.objects.create(
        name="Gone", api_url="http://127.0.0.1:9/api/v2", api_key="secret-key-123"
    )
    with pytest.raises(UpstreamError) as caught:
        sync_provider(provider)
    assert caught.value.outcome == Outcome.NOT_SENT
    provider.refresh_from_db()
    assert provider.last_error.startswith("Sync failed")
    assert "secret-key-123" not in provider.last_error
    assert UpstreamService.objects.count() == 0


@pytest.mark.parametrize(
    ("breakage", "reason", "vanished"),
    [
        ("bad_rate", "rate 'abc' is not a number", 0),
        ("negative_min", "negative min -10", 0),
        ("zero_rate", "rate 0 is not positive", 0),
        ("huge_rate", "rate 99999999999999999 is out of range", 0),
        # The known ids are no longer listed (the long ones replace them): those did vanish.
        ("long_id", "id longer than 64 characters", 21),
    ],
)
def test_bad_items_are_skipped_and_counted_the_rest_synced(
    sandbox_unsynced, catalog_restored, breakage, reason, vanished
):
    sync_provider(sandbox_unsynced)
    before = dict(UpstreamService.objects.values_list("upstream_id", "rate"))
    changed = str(catalog_restored.api("services")[1]["service"])  # not one of those broken
    catalog_restored.catalog(rates={changed: "7.5"})  # a real change beside the breakage
    catalog_restored.catalog(break_=breakage)

    result = sync_provider(sandbox_unsynced)

    assert len(result.skipped) == 21  # every 97th of 2,000
    assert result.skipped_text.startswith("21 services skipped: ")
    assert reason in result.skipped_text and "and 16 more" in result.skipped_text
    assert str(result).endswith(result.skipped_text)
    assert result.seen == 2000 - 21
    # The skipped ones are neither changed nor taken for vanished; the others are synced.
    after = dict(UpstreamService.objects.filter(active=True).values_list("upstream_id", "rate"))
    assert len(set(before) - set(after)) == result.vanished == vanished
    assert after[changed] == Decimal("7.5")
    assert UpstreamService.objects.count() == len(before)  # nothing stored for a skipped one
    sandbox_unsynced.refresh_from_db()
    assert sandbox_unsynced.last_error == f"Sync: {result.skipped_text}"
    assert sandbox_unsynced.last_error_at is not None


def test_nul_and_control_characters_never_reach_the_database(sandbox_unsynced, catalog_restored):
    catalog_restored.catalog(break_="control")
    result = sync_provider(sandbox_unsynced)  # PostgreSQL refuses NUL: this used to abort
    assert result.skipped == ()
    assert UpstreamService.objects.filter(name="Badname[31m").count() == 21
    assert not [
        c for c in UpstreamService.objects.values_list("category", flat=True) if "\x00" in c
    ]
    assert Service.objects.filter(name="Badname[31m").count() == 21


def test_a_clean_sync_clears_the_skipped_note(sandbox_unsynced, catalog_restored):
    catalog_restored.catalog(break_="zero_rate")
    sync_provider(sandbox_unsynced)
    assert sandbox_unsynced.last_error.startswith("Sync: 21 services skipped")
    catalog_restored.catalog(break_=None)
    assert sync_provider(sandbox_unsynced).skipped == ()
    sandbox_unsynced.refresh_from_db()
    assert sandbox_unsynced.last_error == ""


def test_the_sync_task_records_any_failure_on_the_provider_and_ends(sandbox_unsynced, monkeypatch):
    from catalog import tasks
    from catalog.upstream import UpstreamClient

    def explode(self):
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(UpstreamClient, "services", explode)
    tasks.sync_provider_task(sandbox_unsynced.pk)  # does not raise
    sandbox_unsynced.refresh_from_db()
    assert sandbox_unsynced.last_error == (
        "Sync failed: RecursionError: maximum recursion depth exceeded"
    )
