"""Polling upstream statuses: progress for active orders, settlement for finished ones
(docs/design.md, "Periodic jobs").

Per provider, the active orders least recently checked go upstream in bulk `status` calls of
at most 100 ids, never inside a transaction. The answers are written in two ways:

- progress (upstream status, start count, remains, cost, drip-feed detail, last check, and a
  flag for anything odd): every thousand orders, one short transaction that locks the rows
  still IN_PROGRESS and writes them with one `UPDATE … FROM (VALUES …)`, so a settlement made
  meanwhile is never overwritten and no query is made per row;
- a final status (Completed, Partial, Canceled and its spellings): `settlement.settle`, whose
  compare-and-set and unique refund row make a second poller's settlement a no-op.

Whatever the poller cannot trust moves no money: it is written to `Order.flag` for staff.
Two runs at once are safe; they only repeat each other's HTTP calls.
"""

import json
import logging
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from catalog.failures import describe, provider_failed
from catalog.models import Provider
from catalog.upstream import LARGEST, MAX_BULK, ItemError, UpstreamClient, UpstreamError, clean
from catalog.upstream import OrderStatus as Answer
from panel.db import bulk_update_values
from panel.money import MONEY_PLACES

from .models import Order, OrderStatus
from .settlement import settle, undelivered_refund

log = logging.getLogger(__name__)

# Orders checked more recently are not due: a run overlapping the previous one (the beat starts
# one every 60 s) skips what that one has just done.
RECHECK_AFTER = timedelta(seconds=30)
MAX_FAILED_CALLS = 3  # in a row, before a provider is left alone until the next run
# Answers are written every WRITE_EVERY orders (ten calls of 100): one short transaction and
# one bulk statement each, instead of a round trip per row or a commit per call.
WRITE_EVERY = 1000

# Upstream status words, lower-cased with spaces collapsed (docs/api.md, "Statuses").
COMPLETED = frozenset({"completed"})
PARTIAL = frozenset({"partial"})
CANCELED = frozenset({"canceled", "cancelled", "refunded", "fail", "failed", "error"})
RUNNING = frozenset({"pending", "in progress", "inprogress", "processing", "active", "paused"})

DETAIL_KEYS = ("runs", "orders", "posts")  # drip-feed runs, child orders, subscription posts
MAX_DETAIL_ITEMS = 10_000
MAX_COST = Decimal(10) ** 13  # the money columns hold 20 digits, 7 of them decimals


@dataclass
class PollResult:
    checked: int = 0  # orders whose answer was recorded (progress written or settled)
    calls: int = 0  # `status` calls made, failed ones included
    settled: Counter = field(default_factory=Counter)  # OrderStatus value -> orders settled
    flagged: int = 0  # orders given a flag for staff
    errors: int = 0  # failed calls: nothing recorded for their orders
    upstream_seconds: float = 0.0  # waiting on the upstream (HTTP and decoding the answer)
    own_seconds: float = 0.0  # everything else: queries, writes, settlements
    settling_seconds: float = 0.0  # the settlements' part of own_seconds


@dataclass(frozen=True)
class Reading:
    """What the upstream said about one order, and what the poller makes of it."""

    answer: Answer | None  # None: nothing usable (a per-id error, or missing from the answer)
    final: str | None = None  # the OrderStatus to settle to
    flag: str = ""


def poll_orders(
    *,
    provider_id: int | None = None,
    batch: int = MAX_BULK,
    limit: int = 10_000,
    now: datetime | None = None,
) -> PollResult:
    """Check up to `limit` due active orders of each provider that has some (or only of
    `provider_id`), least recently checked first, `batch` (≤ 100) ids per upstream
    call, and record the answers. Safe to run twice at the same time."""
    if connection.in_atomic_block:
        raise transaction.TransactionManagementError("never call an upstream inside a transaction")
    started = time.perf_counter()
    now = now or timezone.now()
    batch = min(max(batch, 1), MAX_BULK)
    result = PollResult()
    # Every provider with active orders, enabled or not: switching a provider off stops new
    # orders going there, but the ones it already has must still settle (and be refunded).
    providers = (
        Provider.objects.filter(orders__status=OrderStatus.IN_PROGRESS).distinct().order_by("pk")
    )
    if provider_id is not None:
        providers = providers.filter(pk=provider_id)
    for provider in providers:
        # Whatever one provider's answers do (or our code makes of them), the others are
        # still polled: the failure is recorded on the provider, for staff.
        try:
            due = due_orders(provider, limit=limit, now=now)
            if due:
                _poll_provider(provider, due, batch=batch, now=now, result=result)
        except Exception as exc:
            result.errors += 1
            provider_failed(provider.pk, "Polling", exc)
    result.own_seconds = time.perf_counter() - started - result.upstream_seconds
    log.info(
        "polled %d orders in %d calls: settled %s, %d flagged, %d failed calls; "
        "%.2fs upstream, %.2fs own",
        result.checked, result.calls, dict(result.settled), result.flagged, result.errors,
        result.upstream_seconds, result.own_seconds,
    )  # fmt: skip
    return result


def due_orders(provider: Provider, *, limit: int, now: datetime) -> list[tuple[int, str]]:
    """(pk, upstream id) of the provider's active orders due for a check: never checked
    first, then the longest unchecked, so a backlog larger than `limit` is refreshed fairly."""
    return list(
        Order.objects.filter(
            Q(last_checked_at__isnull=True) | Q(last_checked_at__lte=now - RECHECK_AFTER),
            provider=provider,
            status=OrderStatus.IN_PROGRESS,
            upstream_order_id__isnull=False,
        )
        .order_by(F("last_checked_at").asc(nulls_first=True), "pk")
        .values_list("pk", "upstream_order_id")[:limit]
    )


def _poll_provider(
    provider: Provider, due: list[tuple[int, str]], *, batch: int, now: datetime, result: PollResult
) -> None:
    readings: dict[int, Reading] = {}
    for chunk, answers in _answers(provider, due, batch=batch, result=result):
        readings.update((pk, _safe_read(answers.get(upstream_id))) for pk, upstream_id in chunk)
        if len(readings) >= WRITE_EVERY:
            _record(readings, now=now, result=result)
            readings = {}
    if readings:
        _record(readings, now=now, result=result)


def _answers(
    provider: Provider, due: list[tuple[int, str]], *, batch: int, result: PollResult
) -> Iterator[tuple[list[tuple[int, str]], dict[str, Answer | ItemError]]]:
    """Each chunk of `due` with the upstream's answers; a chunk whose call failed is skipped
    (its orders keep their last check, so the next run asks again)."""
    client = provider.client()
    failed = 0
    try:
        for start in range(0, len(due), batch):
            chunk = due[start : start + batch]
            answers = _ask(client, provider, chunk, result)
            if answers is not None:
                failed = 0
                yield chunk, answers
                continue
            failed += 1
            if failed >= MAX_FAILED_CALLS:
                log.warning("provider %s: %d failed calls in a row, next run", provider, failed)
                return
    finally:
        client.close()


def _ask(
    client: UpstreamClient, provider: Provider, chunk: list[tuple[int, str]], result: PollResult
) -> dict[str, Answer | ItemError] | None:
    """The upstream's answers keyed by upstream id, or None if the call failed (logged)."""
    ids = [upstream_id for _, upstream_id in chunk if _pollable(upstream_id)]
    unpollable = {
        upstream_id: ItemError("upstream order id cannot be sent in a status call")
        for _, upstream_id in chunk
        if not _pollable(upstream_id)
    }
    if not ids:
        return unpollable
    started = time.perf_counter()
    result.calls += 1
    try:
        return {**client.statuses(ids), **unpollable}
    except UpstreamError as exc:  # recorded on the provider for staff; the next call is tried
        result.errors += 1
        provider_failed(provider.pk, f"Status of {len(ids)} orders", exc)
        return None
    finally:
        result.upstream_seconds += time.perf_counter() - started


def _pollable(upstream_id: str) -> bool:
    return bool(upstream_id.strip()) and "," not in upstream_id


def _safe_read(answer: Answer | ItemError | None) -> Reading:
    try:
        return _read(answer)
    except Exception as exc:  # one answer we cannot make sense of: that order's flag only
        log.exception("reading a status answer failed")
        return Reading(None, flag=f"status answer not understood: {describe(exc)}")


def _read(answer: Answer | ItemError | None) -> Reading:
    """Classify one order's answer: a final status to settle, or progress (maybe flagged)."""
    if answer is None:
        return Reading(None, flag="missing from the upstream's status answer")
    if isinstance(answer, ItemError):
        return Reading(None, flag=f"upstream status error: {answer.error}")
    word = " ".join(answer.status.replace("_", " ").split()).lower()
    if word in COMPLETED:
        return Reading(answer, final=OrderStatus.COMPLETED)
    if word in CANCELED:
        return Reading(answer, final=OrderStatus.CANCELED)
    if word in PARTIAL:
        if answer.remains is None:
            raw = _raw_text(answer.raw.get("remains"))
            return Reading(answer, flag=f"Partial with remains {raw!r}: not settled")
        return Reading(answer, final=OrderStatus.PARTIAL)
    if word in RUNNING:
        return Reading(answer)
    if word == "expired":  # a subscription's end: what its undelivered posts are worth is manual
        return Reading(answer, flag="subscription expired upstream: settle by hand")
    return Reading(answer, flag=f"unknown upstream status {answer.status!r}: not settled")


def _record(readings: dict[int, Reading], *, now: datetime, result: PollResult) -> None:
    progress = {pk: r for pk, r in readings.items() if r.final is None}
    finals = {pk: r for pk, r in readings.items() if r.final is not None}
    if progress:
        _write_progress(progress, now=now, result=result)
    if finals:
        started = time.perf_counter()
        _settle_finished(finals, now=now, result=result)
        result.settling_seconds += time.perf_counter() - started


def _write_progress(readings: dict[int, Reading], *, now: datetime, result: PollResult) -> None:
    """Written in bulk; if the bulk write fails (one row the database refuses), each order is
    written alone, and the one that fails is flagged with why instead."""
    try:
        _write_progress_bulk(readings, now=now, result=result)
    except Exception:
        log.warning("bulk progress write of %d orders failed: one by one", len(readings))
        for pk, reading in readings.items():
            try:
                _write_progress_bulk({pk: reading}, now=now, result=result)
            except Exception as exc:
                _order_failed(pk, "Polling", exc, now=now)
                result.flagged += 1


def _order_failed(pk: int, job: str, exc: BaseException, *, now: datetime) -> None:
    """Flag an order whose answer could not be recorded (with the time), and check it again
    only after the others: a poison answer must not stop the run at the same order each time."""
    note = f"{job} failed {now:%Y-%m-%d %H:%M} UTC: {describe(exc)}"
    log.error("order %s: %s", pk, note, exc_info=exc)
    try:
        Order.objects.filter(pk=pk).update(flag=note[:500], last_checked_at=now)
    except Exception:
        log.exception("could not flag order %s", pk)


def _write_progress_bulk(
    readings: dict[int, Reading], *, now: datetime, result: PollResult
) -> None:
    """One short transaction: lock the rows still IN_PROGRESS (skipping those another poller
    holds: it is writing the same answers), then one bulk UPDATE per set of fields answered
    (almost always one), so a concurrent settlement's final values are never overwritten and
    a field the answer lacks keeps its stored value."""
    with transaction.atomic():
        active = _lock_active(list(readings))
        shapes: dict[tuple[str, ...], list[tuple]] = defaultdict(list)
        for pk in active:
            values = _progress_values(readings[pk], now)
            shapes[tuple(values)].append((pk, *values.values()))
        for fields, rows in shapes.items():
            bulk_update_values(Order, fields, rows)
    result.checked += len(active)
    result.flagged += sum(1 for pk in active if readings[pk].flag)


def _lock_active(pks: list[int]) -> list[int]:
    """Those of `pks` still IN_PROGRESS, locked until the transaction ends; rows another
    transaction holds are skipped, not waited for."""
    if connection.vendor == "postgresql":  # one array parameter, not one placeholder per id
        with connection.cursor() as cursor:
            cursor.execute(_LOCK_ACTIVE, [pks, OrderStatus.IN_PROGRESS])
            return [pk for (pk,) in cursor.fetchall()]
    active = Order.objects.select_for_update(skip_locked=True).filter(
        pk__in=pks, status=OrderStatus.IN_PROGRESS
    )
    return list(active.order_by("pk").values_list("pk", flat=True))


_LOCK_ACTIVE = f"""SELECT id FROM {Order._meta.db_table} WHERE id = ANY(%s) AND status = %s
    ORDER BY id FOR UPDATE SKIP LOCKED"""  # noqa: S608 (the table name is the model's)


def _progress_values(reading: Reading, now: datetime) -> dict[str, Any]:
    values = _answer_fields(reading.answer)
    if "upstream_detail" in values:
        values["upstream_detail"] = json.dumps(values["upstream_detail"])
    if reading.flag:
        values["flag"] = reading.flag[:500]
    values["last_checked_at"] = now
    return values


def _settle_finished(readings: dict[int, Reading], *, now: datetime, result: PollResult) -> None:
    """One small transaction per order (settlements are rare next to progress writes)."""
    orders = Order.objects.select_related("service").filter(
        pk__in=list(readings), status=OrderStatus.IN_PROGRESS
    )
    for order in orders.order_by("pk"):
        try:
            _settle_one(order, readings[order.pk], now=now, result=result)
        except Exception as exc:  # this order is flagged; the others still settle
            _order_failed(order.pk, "Settling", exc, now=now)
            result.flagged += 1


def _settle_one(order: Order, reading: Reading, *, now: datetime, result: PollResult) -> None:
    refund, flag = _refund(order, reading)
    fields = {**_answer_fields(reading.answer), "last_checked_at": now}
    if flag:
        fields["flag"] = flag[:500]
    memo = f"Order #{order.pk}: upstream says {reading.answer.status!r}"
    if reading.final == OrderStatus.PARTIAL:
        memo += f", {reading.answer.remains} of {order.units} not delivered"
    if settle(order, status=reading.final, refund=refund, memo=memo, **fields):
        result.checked += 1
        result.settled[reading.final] += 1
        result.flagged += bool(flag)


def _refund(order: Order, reading: Reading) -> tuple[Decimal, str]:
    """What goes back to the customer, and a flag if the upstream's numbers were odd."""
    if reading.final == OrderStatus.COMPLETED:
        return Decimal(0), ""
    if reading.final == OrderStatus.CANCELED:
        return order.charge, ""
    remains = reading.answer.remains
    flag = ""
    if not 0 <= remains <= order.units:
        flag = f"remains out of range: {_raw_text(reading.answer.raw.get('remains'))}"
    return undelivered_refund(order, remains), flag


# --- reading the answer's fields ---------------------------------------------------------------


def _answer_fields(answer: Answer | None) -> dict[str, Any]:
    """The order's fields as the answer gives them. A number the answer lacks or garbles is
    left out, so the last good one stays; `remains_raw` always shows what was said."""
    if answer is None:
        return {}
    fields: dict[str, Any] = {
        "upstream_status": answer.status[:64],
        "remains_raw": _raw_text(answer.raw.get("remains"))[:64],
    }
    if answer.start_count is not None:
        fields["start_count"] = answer.start_count
    if answer.remains is not None:
        fields["remains"] = answer.remains
    if answer.charge is not None and answer.charge.copy_abs() < MAX_COST:
        fields["cost"] = answer.charge.quantize(MONEY_PLACES)  # our cost: never shown to customers
    if detail := _detail(answer.raw):
        fields["upstream_detail"] = detail
    return fields


def _detail(raw: dict) -> dict[str, Any]:
    """Drip-feed runs, child order ids, subscription posts, as JSON-safe values."""
    detail = {}
    for key in DETAIL_KEYS:
        value = raw.get(key)
        if isinstance(value, list):
            detail[key] = [_plain(item) for item in value[:MAX_DETAIL_ITEMS]]
        elif value is not None:
            detail[key] = _plain(value)
    return detail


def _plain(value: Any) -> Any:
    """A scalar as JSON can hold it (answers decode numbers with a point as Decimal); anything
    else as short text."""
    if isinstance(value, Decimal):  # int() of 1E+999999999 would eat the CPU
        small = value.copy_abs() < LARGEST and value == value.to_integral_value()
        return int(value) if small else str(value)
    if isinstance(value, str):
        return clean(value)[:100]
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= LARGEST:
        return str(value)[:100]
    if value is None or isinstance(value, int | bool):
        return value
    return json.dumps(value, default=str)[:100]


def _raw_text(value: Any) -> str:
    """A field as the upstream wrote it, for display: "157", "-5", "n/a", "" when absent."""
    if value is None:
        return ""
    if isinstance(value, str):
        return clean(value)
    if isinstance(value, Decimal | int) and not isinstance(value, bool):
        return str(value)
    return clean(json.dumps(value, default=str)[:200])
