"""Provider health from the calls the upstream client records: buffered in memory, written in
one bulk insert, summed per provider over the last hour and day."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from catalog.models import Provider
from catalog.upstream import UpstreamError, calllog
from catalog.upstream.calllog import Call
from harness.catalog import make_provider
from staff.health import BUCKETS, bucket_of, health_by_provider, prune, write_calls
from staff.models import ProviderCall, ProviderCallHour

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def recorded(call_records):
    """Calls are recorded in these tests as in production."""


def calls(provider, ago: timedelta, outcomes_ms: list[tuple[str, int]]) -> None:
    """Written as the call buffer writes them: the calls and their hours' figures."""
    at = timezone.now() - ago
    write_calls([Call(provider.pk, "status", at, ms, outcome, "") for outcome, ms in outcomes_ms])


def test_figures_over_the_last_hour_and_day(provider):
    other = make_provider(name="Other")
    # Last hour: 20 calls, 100..2000 ms; two failed, one of them unknown.
    hour = [("ok", ms) for ms in range(100, 1900, 100)] + [("unknown", 1900), ("not_sent", 2000)]
    calls(provider, timedelta(minutes=10), hour)
    calls(provider, timedelta(hours=5), [("rejected", 50)] * 10)  # day only
    calls(provider, timedelta(days=2), [("unknown", 9000)] * 5)  # too old for either
    calls(other, timedelta(minutes=1), [("ok", 30)])

    now = timezone.now()
    last_hour, last_day = health_by_provider(now, "hour"), health_by_provider(now, "day")

    h = last_hour[provider.pk]
    assert (h.calls, h.errors, h.unknown, h.p50_ms, h.p95_ms) == (20, 2, 1, 1000, 1900)
    assert h.error_percent == "10.0%"
    d = last_day[provider.pk]  # from the hourly figures: p50/p95 are bucket bounds
    assert (d.calls, d.errors, d.unknown, d.p50_ms, d.p95_ms) == (30, 12, 1, 500, 2000)
    assert d.approximate and not h.approximate
    assert last_hour[other.pk].calls == 1
    assert set(last_day) == {provider.pk, other.pk}


def test_calls_are_buffered_and_written_in_one_insert(provider):
    """The client's calls cost no query each: they wait in memory until the flush."""
    client = provider.client()  # its URL answers nothing: each call fails before sending
    with CaptureQueriesContext(connection) as during:
        for _ in range(3):
            with pytest.raises(UpstreamError):
                client.balance()
    assert len(during) == 0
    assert calllog.pending() == 3

    with CaptureQueriesContext(connection) as flushing:
        assert calllog.flush() == 3
    inserts = [q for q in flushing if q["sql"].startswith("INSERT")]
    assert [q["sql"].split()[2] for q in inserts] == [
        '"staff_providercall"',
        "staff_providercallhour",
    ]
    recorded = list(ProviderCall.objects.filter(provider=provider))
    assert [(c.action, c.outcome) for c in recorded] == [("balance", "not_sent")] * 3
    assert "could not connect" in recorded[0].error


def test_calls_of_a_deleted_provider_do_not_break_the_flush(provider):
    client = provider.client()
    with pytest.raises(UpstreamError):
        client.balance()
    Provider.objects.filter(pk=provider.pk).delete()
    assert calllog.flush() == 1
    assert ProviderCall.objects.get().provider_id is None


def test_a_job_run_writes_its_calls_when_due(provider, monkeypatch):
    """The end of each Celery task run writes the buffer once it is due (here: two calls)."""
    from celery.signals import task_postrun

    monkeypatch.setattr(calllog, "FLUSH_SIZE", 2)
    client = provider.client()
    with pytest.raises(UpstreamError):
        client.balance()
    task_postrun.send(sender=None, task_id="1")  # one call: not due yet
    assert ProviderCall.objects.count() == 0
    with pytest.raises(UpstreamError):
        client.balance()
    task_postrun.send(sender=None, task_id="2")
    assert ProviderCall.objects.count() == 2


def test_nothing_is_kept_without_a_writer(provider):
    calllog.set_writer(None)
    with pytest.raises(UpstreamError):
        provider.client().balance()
    assert calllog.pending() == 0


def test_each_write_adds_to_the_hours_figures(provider):
    """Two writes of calls of the same hour add up in the same rows; the day's percentiles are
    the bounds of the buckets holding them."""
    at = timezone.now() - timedelta(minutes=1)
    first = [("ok", 120)] * 3 + [("unknown", 30000)]
    write_calls([Call(provider.pk, "status", at, ms, outcome, "") for outcome, ms in first])
    second = [("ok", 120)] * 5 + [("rejected", 90)]
    write_calls([Call(provider.pk, "status", at, ms, outcome, "") for outcome, ms in second])
    rows = {r.le_ms: (r.calls, r.errors, r.unknown) for r in ProviderCallHour.objects.all()}
    assert rows == {150: (8, 0, 0), 100: (1, 1, 0), 30000: (1, 1, 1)}
    day = health_by_provider(timezone.now(), "day")[provider.pk]
    assert (day.calls, day.errors, day.unknown, day.p50_ms, day.p95_ms) == (10, 2, 1, 150, 30000)
    assert bucket_of(0) == BUCKETS[0] and bucket_of(10**9) == BUCKETS[-1]
    assert bucket_of(150) == 150 and bucket_of(151) == 200


def test_prune_drops_old_calls_and_hours(provider):
    calls(provider, timedelta(days=8), [("ok", 100)])
    calls(provider, timedelta(minutes=1), [("ok", 100)])
    assert prune(timezone.now()) == 1
    assert ProviderCall.objects.count() == 1
    assert ProviderCallHour.objects.count() == 1
