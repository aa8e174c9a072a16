"""The customer's orders list and its CSV export: one set of filters (status tab, search by id
or link, service, dates in the customer's time zone) for both, so the export holds exactly the
rows the list pages through.

Costs, for a customer with 100,000 orders (docs/benchmarks.md): the tab counts are one
GROUP BY over the (user, status, id) index; a page is an index scan of (user, id) with the
count already known from the tabs; the CSV streams from a server-side cursor in chunks, so its
memory stays flat whatever the number of rows.
"""

import csv
import logging
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from typing import NamedTuple
from urllib.parse import urlencode

from django.core.cache import cache
from django.db.models import Count, QuerySet
from django.http import QueryDict
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from catalog.models import Service
from panel.money import format_money

from .models import SHOWN, Order, shown_in

log = logging.getLogger(__name__)


class Tab(NamedTuple):
    slug: str
    label: str
    statuses: tuple[str, ...]  # none: every order


# The orders list's tabs; which statuses each shows is orders.models.SHOWN's `tab`.
TABS = (
    Tab("", "All", ()),
    *(
        Tab(slug, label, shown_in(slug))
        for slug, label in [
            ("pending", "Pending"),
            ("in_progress", "In progress"),
            ("completed", "Completed"),
            ("partial", "Partial"),
            ("canceled", "Canceled"),
            ("failed", "Failed"),
        ]
    ),
)
RECENT_SERVICES_FROM = 1000
LIVE_COUNTS_UP_TO = 10_000  # orders; above, the tab counts are cached for a while
COUNTS_CACHE_SECONDS = 60  # the service filter offers the services of the latest orders


@dataclass(frozen=True)
class Filters:
    tab: Tab
    query: str = ""
    service: int | None = None
    since: date | None = None
    until: date | None = None

    @classmethod
    def parse(cls, params: QueryDict) -> "Filters":
        status = params.get("status", "")
        since, until = _date(params.get("from")), _date(params.get("to"))
        if since and until and since > until:
            since, until = until, since
        return cls(
            tab=next((tab for tab in TABS if tab.slug == status), TABS[0]),
            query=_text(params.get("q", "")).lstrip("#"),
            service=_int(params.get("service")),
            since=since,
            until=until,
        )

    @property
    def narrowed(self) -> bool:
        """Anything but the status tab narrows the list."""
        return bool(self.query or self.service or self.since or self.until)

    def params(self, **changes) -> str:
        """These filters as a query string (for the CSV link), with `changes`."""
        values = {
            "status": self.tab.slug,
            "q": self.query,
            "service": self.service or "",
            "from": self.since.isoformat() if self.since else "",
            "to": self.until.isoformat() if self.until else "",
        } | changes
        return urlencode({key: value for key, value in values.items() if value})


def customer_orders(user: User, filters: Filters, *, tab: bool = True) -> QuerySet:
    """The customer's orders these filters select, newest first (all tabs if not `tab`)."""
    found = Order.objects.filter(user=user)
    if tab and filters.tab.statuses:
        found = found.filter(status__in=filters.tab.statuses)
    query = filters.query
    if query.isascii() and query.isdigit():
        found = found.filter(pk=int(query)) if len(query) <= 18 else found.none()
    elif query:
        found = found.filter(link__icontains=query)
    if filters.service:
        found = found.filter(service_id=filters.service)
    if filters.since:
        found = found.filter(created_at__gte=_start_of(filters.since))
    if filters.until:
        found = found.filter(created_at__lt=_start_of(filters.until + timedelta(days=1)))
    return found.order_by("-id")


def tab_counts(user: User, filters: Filters) -> dict[str, int]:
    """How many orders each tab holds under the other filters: one GROUP BY status.

    Counting costs a pass over the customer's orders: live for everyone, but a customer with
    more than LIVE_COUNTS_UP_TO orders gets the unfiltered counts from the cache, refreshed
    every COUNTS_CACHE_SECONDS (docs/benchmarks.md)."""
    key = f"orders:tab-counts:{user.pk}"
    if not filters.narrowed:
        try:
            stored = cache.get(key)
        except Exception:  # a cache that is down costs speed, not the page
            log.warning("tab counts: cache unavailable", exc_info=True)
            stored = None
        if stored is not None:
            return stored
    counts = _count_tabs(user, filters)
    if not filters.narrowed and counts[""] > LIVE_COUNTS_UP_TO:
        try:
            cache.set(key, counts, COUNTS_CACHE_SECONDS)
        except Exception:
            log.warning("tab counts: cache unavailable", exc_info=True)
    return counts


def _count_tabs(user: User, filters: Filters) -> dict[str, int]:
    by_status = dict(
        customer_orders(user, filters, tab=False)
        .order_by()
        .values_list("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )
    return {
        tab.slug: sum(
            n for status, n in by_status.items() if not tab.statuses or status in tab.statuses
        )
        for tab in TABS
    }


class TwoStepPage:
    """A list's rows for Paginator, read in two steps: the page's ids from the index alone
    (a deep page skips index entries, not rows), then those rows by primary key."""

    def __init__(self, found: QuerySet, count: int):
        self.found, self.total, self.ordered = found, count, True

    def count(self) -> int:
        return self.total

    def __len__(self) -> int:
        return self.total

    def __getitem__(self, window: slice) -> list:
        ids = list(self.found.values_list("pk", flat=True)[window])
        rows = {row.pk: row for row in self.found.model.objects.filter(pk__in=ids)
                .select_related("service")}  # fmt: skip
        return [rows[pk] for pk in ids if pk in rows]


def recent_services(user: User, selected: int | None) -> list[tuple[int, str]]:
    """The services of the customer's latest orders (and the chosen one), by name."""
    latest = Order.objects.filter(user=user).order_by("-id")[:RECENT_SERVICES_FROM]
    ids = set(latest.values_list("service_id", flat=True))
    if selected:
        ids.add(selected)
    return list(Service.objects.filter(pk__in=ids).order_by("name", "id").values_list("id", "name"))


def again_url(order: Order) -> str:
    """The new-order form filled like this order: service, link and quantity."""
    params = {"service": order.service_id, "link": order.link, "quantity": order.quantity}
    return reverse("order_new") + "?" + urlencode({k: v for k, v in params.items() if v != ""})


# --- CSV ------------------------------------------------------------------------------------

CSV_COLUMNS = (
    "ID", "Date", "Service", "Link", "Quantity", "Runs", "Charge", "Refunded", "Paid",
    "Start count", "Remains", "Status",
)  # fmt: skip
_CSV_FIELDS = (
    "id", "created_at", "service__name", "link", "quantity", "runs", "charge", "refunded",
    "start_count", "remains", "status",
)  # fmt: skip
CSV_CHUNK = 2000


class _Echo:
    """A file whose write returns the line: csv.writer then yields each row's text."""

    def write(self, value: str) -> str:
        return value


def csv_lines(rows: QuerySet, currency: str, zone: tzinfo):
    """The CSV's lines: a header, then one per order, read from the database in chunks.
    A generator runs after the request's middleware is done: the time zone comes along."""
    writer = csv.writer(_Echo())
    yield "\ufeff" + writer.writerow(
        [*CSV_COLUMNS[:6], *(f"{c} ({currency})" for c in CSV_COLUMNS[6:9]), *CSV_COLUMNS[9:]]
    )
    for (
        pk,
        created,
        service,
        link,
        quantity,
        runs,
        charge,
        refunded,
        start,
        remains,
        status,
    ) in rows.values_list(*_CSV_FIELDS).iterator(chunk_size=CSV_CHUNK):
        shown = SHOWN.get(status)
        yield writer.writerow(
            [
                pk,
                created.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
                _cell(service),
                _cell(link),
                quantity,
                runs or "",
                format_money(charge).replace(",", ""),
                format_money(refunded).replace(",", ""),
                format_money(charge - refunded).replace(",", ""),
                "" if start is None else start,
                "" if remains is None else remains,
                shown.label if shown else status,
            ]
        )


def _cell(text: str) -> str:
    """Text a spreadsheet would run as a formula (=, +, -, @ first) is kept as text."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


# --- parsing --------------------------------------------------------------------------------


def _start_of(day: date) -> datetime:
    """Midnight of `day` in the customer's time zone (the middleware activated it)."""
    return timezone.make_aware(datetime.combine(day, time.min))


def _date(raw: str | None) -> date | None:
    try:
        return date.fromisoformat((raw or "").strip()[:10]) if raw else None
    except ValueError:
        return None


def _int(raw: str | None) -> int | None:
    text = (raw or "").strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 18 else None


def _text(raw: str) -> str:
    """Printable text only (PostgreSQL refuses NUL bytes), at most 200 characters."""
    return "".join(ch for ch in raw[:200] if ch.isprintable()).strip()
