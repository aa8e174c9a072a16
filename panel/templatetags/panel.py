"""Template filters for money: Decimal in, text out, never through float (panel/money.py)."""

from decimal import Decimal

from django import template

from panel.money import format_money

register = template.Library()


@register.filter
def money(value: Decimal | None, places: int = 2) -> str:
    """A balance or charge with at least `places` decimals: 12.5 → 12.50, 0.0123400 → 0.01234."""
    return format_money(value, places)
