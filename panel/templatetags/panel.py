"""Template filters for money: Decimal in, text out, never through float."""

from decimal import Decimal

from django import template

register = template.Library()


@register.filter
def money(value: Decimal | None, places: int = 2) -> str:
    """A balance or charge with at least `places` decimals and no trailing noise: 12.5 → 12.50,
    0.0123400 → 0.01234. Never rounds money away."""
    if value is None:
        return ""
    text = f"{Decimal(value).normalize():f}"
    whole, _, fraction = text.partition(".")
    fraction = fraction.ljust(int(places), "0")
    return (
        f"{int(whole):,}.{fraction}"
        if not whole.startswith("-")
        else f"-{int(whole[1:]):,}.{fraction}"
    )
