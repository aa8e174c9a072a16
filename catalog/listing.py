"""The services price list, built for speed: one query, grouped and rendered in Python.

A {% regroup %} template over 5,000 rows costs about 170 ms here and a template loop over
pre-grouped rows still about 120 ms, so the rows are rendered by a small function with
html.escape instead; the page template wraps the result.
"""

from html import escape
from itertools import groupby

from django.conf import settings
from django.db.models import Q
from django.urls import reverse

from panel.money import format_rate

from .models import Service

_FIELDS = (
    "category_id", "category__name", "id", "name", "rate", "min", "max", "refill", "cancel",
    "dripfeed", "description",
)  # fmt: skip


def service_listing(*, query: str = "") -> list[tuple[int, str, list[tuple]]]:
    """[(category id, category name, [service rows])] of everything on sale, in page order."""
    services = Service.objects.filter(enabled=True, available=True, category__enabled=True)
    if query:
        match = Q(name__icontains=query) | Q(category__name__icontains=query)
        if query.isascii() and query.isdigit():
            match |= Q(id=int(query))
        services = services.filter(match)
    rows = services.order_by("category__position", "category__name", "position", "id").values_list(
        *_FIELDS
    )
    return [
        (category_id, name, [row[2:] for row in group])
        for (category_id, name), group in groupby(rows, key=lambda row: (row[0], row[1]))
    ]


def render_service_rows(groups: list[tuple[int, str, list[tuple]]]) -> str:
    currency = escape(settings.PANEL_CURRENCY)
    order_url = reverse("order_new")
    parts = []
    for category_id, category, rows in groups:
        parts.append(
            f'<tbody class="category" id="c{category_id}" data-category="{escape(category)}">'
            f'<tr class="category-head"><th colspan="5">{escape(category)}</th></tr>'
        )
        for service_id, name, rate, low, high, refill, cancel, dripfeed, description in rows:
            parts.append(
                f'<tr class="service" data-id="{service_id}">'
                f'<td class="id">{service_id}</td>'
                f'<td class="name"><a href="{order_url}?service={service_id}">{escape(name)}</a>'
                f"{_marks(refill, cancel, dripfeed)}"
                f"{_description(description)}</td>"
                f'<td class="rate">{format_rate(rate)} {currency}</td>'
                f'<td class="num">{low:,}</td><td class="num">{high:,}</td></tr>'
            )
        parts.append("</tbody>")
    return "".join(parts)


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
