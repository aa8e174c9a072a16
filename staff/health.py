"""Provider health from the recorded upstream calls: calls, error rate, p50/p95 latency and
unknown outcomes over the last hour and day (one grouped query per window)."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import connection

from catalog.upstream.calllog import Call

from .models import ProviderCall

WINDOWS = {"hour": timedelta(hours=1), "day": timedelta(days=1)}
KEEP = timedelta(days=7)


@dataclass(frozen=True)
class Health:
    calls: int = 0
    errors: int = 0  # anything but an answer: refused, not sent, unknown
    unknown: int = 0  # outcome unknown: the upstream may or may not have done it
    p50_ms: int | None = None
    p95_ms: int | None = None

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
    ProviderCall.objects.bulk_create(rows, batch_size=1000)


def health_by_provider(now: datetime, window: str) -> dict[int, Health]:
    since = now - WINDOWS[window]
    if connection.vendor == "postgresql":
        return _postgres(since)
    return _python(since)


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
    import math

    index = max(math.ceil(fraction * len(sorted_values)) - 1, 0)
    return sorted_values[index]


def prune(now: datetime) -> int:
    deleted, _ = ProviderCall.objects.filter(at__lt=now - KEEP).delete()
    return deleted
