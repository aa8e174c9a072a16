"""Filters of the public pages."""

from decimal import Decimal

from django import template

from catalog.listing import format_rate

register = template.Library()


@register.filter
def rate(value: Decimal | None) -> str:
    """A rate per 1000 with 2 to 4 decimals, as the services page writes it."""
    return "" if value is None else format_rate(Decimal(value))
