"""Money helpers: the one place where a selling rate is rounded.

Rates are per 1000 units and carry at most 4 decimal places; money columns carry 7, so
rate × quantity / 1000 is always exact.
"""

from decimal import ROUND_CEILING, Decimal

RATE_PLACES = Decimal("0.0001")
MONEY_PLACES = Decimal("0.0000001")
HUNDRED = Decimal(100)


def round_rate_up(value: Decimal) -> Decimal:
    """Round a computed rate up to 4 decimal places, so the panel never sells below its price."""
    return value.quantize(RATE_PLACES, rounding=ROUND_CEILING)


def selling_rate(*, cost: Decimal, exchange_rate: Decimal, markup_percent: Decimal) -> Decimal:
    """cost (provider currency, per 1000) × exchange rate × (1 + markup), rounded up once."""
    return round_rate_up(cost * exchange_rate * (1 + markup_percent / HUNDRED))


def order_charge(*, rate: Decimal, quantity: int, runs: int = 1) -> Decimal:
    """rate (per 1000, 4 places) × quantity × runs / 1000: exact in the 7 places money keeps."""
    if quantity < 0 or runs < 1:
        raise ValueError("quantity must be ≥ 0 and runs ≥ 1")
    return (rate * quantity * runs / 1000).quantize(MONEY_PLACES)
