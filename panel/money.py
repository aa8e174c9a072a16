"""Money: the one rounding helper for selling rates, and money written as text (for people and for
the API), so that every page and answer writes an amount the same way.

Rates are per 1000 units and carry at most 4 decimal places; money columns carry 7, so
rate × quantity / 1000 is always exact.
"""

from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal

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


# --- money as text: for people, and for the API -----------------------------------------------


def format_money(value: Decimal | None, places: int = 2) -> str:
    """A balance or charge for people: at least `places` decimals, thousands separated, no
    trailing noise (12.5 → 12.50, 1234.5 → 1,234.50, 0.0123400 → 0.01234). Never rounds."""
    if value is None:
        return ""
    whole, _, fraction = format_plain(Decimal(value)).partition(".")
    fraction = fraction.ljust(int(places), "0")
    sign, digits = ("-", whole[1:]) if whole.startswith("-") else ("", whole)
    return f"{sign}{int(digits):,}.{fraction}"


CUSTOMER_MOST_PLACES = 4


def format_amount(value: Decimal | None, places: int = 2, most: int = CUSTOMER_MOST_PLACES) -> str:
    """Money for customers: `places` to `most` decimals, thousands separated, rounded half up
    beyond `most` (12.5 → 12.50, 1.2345 → 1.2345, 12.345678 → 12.3457; with most=2, 12.35).
    Pages that round show the exact amount beside it (the `amount` filter's title). Where a
    charge is agreed (the order form's live charge, the confirm step) money is exact:
    `format_money`."""
    if value is None:
        return ""
    most = max(int(most), int(places))
    rounded = Decimal(value).quantize(Decimal(1).scaleb(-most), rounding=ROUND_HALF_UP)
    return format_money(rounded, places)


def format_count(value: int | None) -> str:
    """A quantity for customers: 50000 → 50,000."""
    return "" if value is None else f"{int(value):,}"


def format_rate(rate: Decimal) -> str:
    """A selling rate for people: 2 to 4 decimals (1.5 → 1.50, 0.0125 → 0.0125). The order
    page's script writes it the same way (static/js/order.js)."""
    text = f"{rate:.4f}"
    return text[:-2] + text[-2:].rstrip("0") if text.endswith("0") else text


def format_plain(value: Decimal) -> str:
    """Digits only, no exponent, no trailing zeros: 12.345, 10, 0.5."""
    return f"{value.normalize():f}"


def api_money(value: Decimal) -> str:
    """Money as API v2 providers write it: plain digits, no exponent, trailing zeros dropped
    beyond two decimals (0.27819, 1.20, 100.00). PostgreSQL writes the API's status answers
    the same way (orders/migrations/0003_order_api_status.py); a test holds the two together."""
    whole, _, fraction = f"{value:f}".partition(".")
    return f"{whole}.{fraction.rstrip('0').ljust(2, '0')}"
