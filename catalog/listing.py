"""The public services page, built for speed on a phone: categories first, rows on demand.

With 5,000 services the whole list is about 2.3 MB of HTML, so the page lists the categories
(name, count, lowest rate) collapsed, and each category's rows come from their own small
fragment when opened; search runs on the server over every service. Rows are rendered by a small
function with html.escape: a {% regroup %} template over 5,000 rows costs about 170 ms here.
"""

from dataclasses import dataclass
from decimal import Decimal
from html import escape

from django.conf import settings
from django.db.models import Count, Min, Q, QuerySet
from django.urls import reverse

from panel.money import format_rate

from .averages import NOT_ENOUGH_DATA, average_text
from .models import Category, Service

_FIELDS = (
    "id", "name", "rate", "min", "max", "refill", "cancel", "dripfeed", "description",
    "average_seconds",
)  # fmt: skip
SEARCH_LIMIT = 100  # rows per page of search results
MAX_WORDS = 8


@dataclass(frozen=True)
class CategorySummary:
    id: int
    name: str
    count: int
    from_rate: Decimal


def on_sale() -> QuerySet[Service]:
    return Service.objects.filter(enabled=True, available=True, category__enabled=True, rate__gt=0)


def category_summaries() -> list[CategorySummary]:
    """Every category with a service on sale, in page order, with its count and lowest rate:
    one query."""
    rows = (
        Category.objects.filter(enabled=True)
        .annotate(
            on_sale=Count("services", filter=_sale_filter()),
            from_rate=Min("services__rate", filter=_sale_filter()),
        )
        .filter(on_sale__gt=0)
        .order_by("position", "name")
        .values_list("id", "name", "on_sale", "from_rate")
    )
    return [CategorySummary(*row) for row in rows]


def _sale_filter() -> Q:
    return Q(services__enabled=True, services__available=True, services__rate__gt=0)


def category_rows(category_id: int) -> list[tuple]:
    return list(
        on_sale().filter(category_id=category_id).order_by("position", "id").values_list(*_FIELDS)
    )


def search_words(query: str) -> list[str]:
    return query.lower().replace("#", " ").split()[:MAX_WORDS]


def search(query: str, *, page: int = 1) -> tuple[list[tuple[str, list[tuple]]], int]:
    """Services matching every word (in the name or the category) or the id, grouped by
    category in page order, SEARCH_LIMIT at a time; and how many match in all."""
    words = search_words(query)
    if not words:
        return [], 0
    match = Q()
    for word in words:
        match &= Q(name__icontains=word) | Q(category__name__icontains=word)
    if len(words) == 1 and words[0].isascii() and words[0].isdigit() and len(words[0]) < 19:
        match |= Q(id=int(words[0]))
    found = on_sale().filter(match)
    total = found.count()
    start = (max(page, 1) - 1) * SEARCH_LIMIT
    rows = found.order_by("category__position", "category__name", "position", "id").values_list(
        "category__name", *_FIELDS
    )[start : start + SEARCH_LIMIT]
    groups: list[tuple[str, list[tuple]]] = []
    for category, *row in rows:
        if not groups or groups[-1][0] != category:
            groups.append((category, []))
        groups[-1][1].append(tuple(row))
    return groups, total


def render_rows(rows: list[tuple], *, currency: str | None = None) -> str:
    """The <tr> of each service row (see _FIELDS)."""
    currency = escape(currency or settings.PANEL_CURRENCY)
    order_url = reverse("order_new")
    parts = []
    for service_id, name, rate, low, high, refill, cancel, dripfeed, description, average in rows:
        parts.append(
            f'<tr class="service" data-id="{service_id}">'
            f'<td class="id">{service_id}</td>'
            f'<td class="name"><a href="{order_url}?service={service_id}">{escape(name)}</a>'
            f"{_marks(refill, cancel, dripfeed)}"
            f"{_description(description)}</td>"
            f'<td class="rate">{format_rate(rate)} {currency}</td>'
            f'<td class="num"><span class="label">Min </span>{low:,}</td>'
            f'<td class="num"><span class="label">Max </span>{high:,}</td>'
            f"{_average(average)}</tr>"
        )
    return "".join(parts)


def _average(seconds: int | None) -> str:
    text = average_text(seconds)
    if not text:
        return f'<td class="average none"><span class="label">Average time </span>{NOT_ENOUGH_DATA}</td>'
    return f'<td class="average"><span class="label">Average time </span>{text}</td>'


def _marks(refill: bool, cancel: bool, dripfeed: bool) -> str:
    marks = (
        ('<span class="mark refill" title="Refill available">Refill</span>' if refill else "")
        + ('<span class="mark cancel" title="Can be canceled">Cancel</span>' if cancel else "")
        + (
            '<span class="mark drip" title="Drip-feed available">Drip-feed</span>'
            if dripfeed
            else ""
        )
    )
    return f'<span class="marks">{marks}</span>' if marks else ""


def _description(description: str) -> str:
    if not description:
        return ""
    return f"<details><summary>Details</summary><p>{escape(description)}</p></details>"
