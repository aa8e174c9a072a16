"""Provider health from the recorded upstream calls: calls, error rate, p50/p95 latency and
unknown outcomes over the last hour and day.

The last hour is read from the calls themselves (exact). The day is read from ProviderCallHour,
which each write of the call buffer adds to: per provider, hour and latency bucket, so a day is
a few hundred rows however many calls it had. Its window is the current hour and the 23 before
it, and its p50/p95 are the upper bound of the bucket holding them: approximate.
"""

import bisect
import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.db import connection, transaction
from django.db.models import Sum

from catalog.upstream.calllog import Call

from .models import ProviderCall, ProviderCallHour

WINDOWS = {"hour": timedelta(hours=1), "day": timedelta(days=1)}
KEEP = timedelta(days=7)
# Upper bounds (ms) of the latency buckets of ProviderCallHour; slower calls count in the last.
BUCKETS = (25, 50, 75, 100, 150, 200, 300, 400, 500, 750, 1000, 1500, 2000, 3000, 4000,
           5000, 7500, 10000, 15000, 20000, 30000, 60000, 120000)  # fmt: skip


@dataclass(frozen=True)
class Health:
    calls: int = 0
    errors: int = 0  # anything but an answer: refused, not sent, unknown
    unknown: int = 0  # outcome unknown: the upstream may or may not have done it
    p50_ms: int | None = None
    p95_ms: int | None = None
    approximate: bool = False  # p50/p95 are bucket bounds (the day's figures)

    @property
    def error_rate(self) -> float | None:
        return self.errors / self.calls if self.calls else None

    @property
    def error_percent(self) -> str:
        rate = self.error_rate
        return "–" if rate is None else f"{rate * 100:.1f}%"


def write_calls(calls: list[Call]) -> None:
    """The calllog writer: one bulk insert (calls of providers deleted meanwhile dropped)."""
    from catalog.models import Provider

    ids = {c.provider_id for c in calls if c.provider_id is not None}
    known = set(Provider.objects.filter(pk__in=ids).values_list("pk", flat=True)) if ids else set()
    rows = [
        ProviderCall(
            provider_id=c.provider_id if c.provider_id in known else None,
            action=c.action,
            at=c.at,
            ms=c.ms,
            outcome=c.outcome,
            error=c.error,
        )
        for c in calls
    ]
    with transaction.atomic():
        ProviderCall.objects.bulk_create(rows, batch_size=1000)
        add_to_hours([r for r in rows if r.provider_id is not None])


def bucket_of(ms: int) -> int:
    """The upper bound of the latency bucket holding `ms`."""
    return BUCKETS[min(bisect.bisect_left(BUCKETS, ms), len(BUCKETS) - 1)]


def hour_of(at: datetime) -> datetime:
    return at.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def add_to_hours(calls: list[ProviderCall]) -> None:
    """Adds the calls to their hours' figures in one statement (an upsert that adds, so
    workers writing at once do not lose each other's calls)."""
    added: dict[tuple, list[int]] = defaultdict(lambda: [0, 0, 0])
    for c in calls:
        figures = added[(c.provider_id, hour_of(c.at), bucket_of(c.ms))]
        figures[0] += 1
        figures[1] += c.outcome != "ok"
        figures[2] += c.outcome == "unknown"
    if not added:
        return
    table = ProviderCallHour._meta.db_table
    values = ", ".join(["(%s, %s, %s, %s, %s, %s)"] * len(added))
    params = [v for key, figures in added.items() for v in (*key, *figures)]
    sql = (
        f"INSERT INTO {table} (provider_id, hour, le_ms, calls, errors, unknown) "  # noqa: S608
        f"VALUES {values} ON CONFLICT (provider_id, hour, le_ms) DO UPDATE SET "
        f"calls = {table}.calls + excluded.calls, errors = {table}.errors + excluded.errors, "
        f"unknown = {table}.unknown + excluded.unknown"
    )  # the table name is the model's, the values parameters
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def health_by_provider(now: datetime, window: str) -> dict[int, Health]:
    if window == "day":
        return _from_hours(hour_of(now) - timedelta(hours=23))
    since = now - WINDOWS[window]
    if connection.vendor == "postgresql":
        return _postgres(since)
    return _python(since)


def _from_hours(first_hour: datetime) -> dict[int, Health]:
    """The hours from `first_hour` on, from their figures: ≤ 24 × len(BUCKETS) rows a provider."""
    rows = (
        ProviderCallHour.objects.filter(hour__gte=first_hour)
        .values_list("provider_id", "le_ms")
        .annotate(n=Sum("calls"), e=Sum("errors"), u=Sum("unknown"))
        .order_by("provider_id", "le_ms")
    )
    grouped: dict[int, list[tuple[int, int, int, int]]] = defaultdict(list)
    for pid, le_ms, n, e, u in rows:
        grouped[pid].append((le_ms, n, e, u))
    result = {}
    for pid, buckets in grouped.items():
        calls = sum(n for _, n, _, _ in buckets)
        result[pid] = Health(
            calls=calls,
            errors=sum(e for _, _, e, _ in buckets),
            unknown=sum(u for _, _, _, u in buckets),
            p50_ms=_bucket_percentile(buckets, calls, 0.5),
            p95_ms=_bucket_percentile(buckets, calls, 0.95),
            approximate=True,
        )
    return result


def _bucket_percentile(buckets: list[tuple[int, int, int, int]], calls: int, fraction: float):
    """The upper bound of the bucket holding the discrete percentile (as percentile_disc)."""
    if not calls:
        return None
    position, seen = max(math.ceil(fraction * calls), 1), 0
    for le_ms, n, _, _ in buckets:
        seen += n
        if seen >= position:
            return le_ms
    return buckets[-1][0]


_SQL = f"""
SELECT provider_id, count(*),
       count(*) FILTER (WHERE outcome <> 'ok'),
       count(*) FILTER (WHERE outcome = 'unknown'),
       percentile_disc(0.5) WITHIN GROUP (ORDER BY ms),
       percentile_disc(0.95) WITHIN GROUP (ORDER BY ms)
FROM {ProviderCall._meta.db_table}
WHERE at >= %s AND provider_id IS NOT NULL
GROUP BY provider_id
"""  # noqa: S608 (the table name is the model's)


def _postgres(since: datetime) -> dict[int, Health]:
    with connection.cursor() as cursor:
        cursor.execute(_SQL, [since])
        return {row[0]: Health(*row[1:]) for row in cursor.fetchall()}


def _python(since: datetime) -> dict[int, Health]:
    grouped: dict[int, list[tuple[int, str]]] = {}
    rows = ProviderCall.objects.filter(at__gte=since, provider__isnull=False)
    for pid, ms, outcome in rows.values_list("provider_id", "ms", "outcome"):
        grouped.setdefault(pid, []).append((ms, outcome))
    result = {}
    for pid, calls in grouped.items():
        times = sorted(ms for ms, _ in calls)
        result[pid] = Health(
            calls=len(calls),
            errors=sum(1 for _, o in calls if o != "ok"),
            unknown=sum(1 for _, o in calls if o == "unknown"),
            p50_ms=_percentile(times, 0.5),
            p95_ms=_percentile(times, 0.95),
        )
    return result


def _percentile(sorted_values: list[int], fraction: float) -> int:
    """The discrete percentile, as PostgreSQL's percentile_disc: the first value whose
    position reaches the fraction."""
    index = max(math.ceil(fraction * len(sorted_values)) - 1, 0)
    return sorted_values[index]


def prune(now: datetime) -> int:
    deleted, _ = ProviderCall.objects.filter(at__lt=now - KEEP).delete()
    ProviderCallHour.objects.filter(hour__lt=hour_of(now - KEEP)).delete()
    return deleted
