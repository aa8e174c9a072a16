"""Template filters for money and quantities on customer pages: Decimal in, text out, never
through float (panel/money.py). One way to write each, on every page:

- `amount`: money for customers (2 to 4 decimals, `amount:2` for 2), with the exact amount in
  a title when it was rounded;
- `qty`: a quantity (50,000);
- `order_qty`: an order's quantity, drip-feed runs included (2,000 = 500 × 4 runs).
"""

from decimal import Decimal

from django import template
from django.utils.html import format_html

from panel.money import CUSTOMER_MOST_PLACES, format_amount, format_count, format_money

register = template.Library()


@register.filter
def money(value: Decimal | None, places: int = 2) -> str:
    """A balance or charge with at least `places` decimals: 12.5 → 12.50, 0.0123400 → 0.01234.
    Exact: where a charge is agreed (the order form, the confirm step), and on staff pages."""
    return format_money(value, places)


@register.filter
def amount(value: Decimal | None, most: int = CUSTOMER_MOST_PLACES) -> str:
    """Money for customers, at a sensible precision; the exact amount in its title if rounded."""
    if value is None:
        return ""
    shown = format_amount(value, most=most)
    exact = format_money(value)
    if shown == exact:
        return format_html('<span class="money">{}</span>', shown)
    return format_html('<span class="money" title="{}">{}</span>', f"Exactly {exact}", shown)


@register.filter
def qty(value: int | None) -> str:
    return format_count(value)


@register.filter
def order_qty(order) -> str:
    """The quantity an order buys: 500, or 2,000 (500 × 4 runs) for drip-feed."""
    if order.runs:
        return (
            f"{format_count(order.quantity * order.runs)} "
            f"({format_count(order.quantity)} × {format_count(order.runs)} runs)"
        )
    return format_count(order.quantity)
