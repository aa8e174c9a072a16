"""What a payment costs the customer and what it credits: exact, fixed when it starts.

amount   what the customer adds, in the gateway's currency (at most its minor unit)
fee      amount × fee%, rounded UP to the currency's minor unit (the gateway charges whole cents)
total    amount + fee: what the customer pays, and what the gateway must report back
base     amount × exchange rate, rounded DOWN to the ledger's 7 places
bonus    base × bonus%, rounded DOWN to 7 places, when base ≥ the gateway's "bonus from"
credit   base + bonus: the one deposit the ledger receives
"""

from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from panel.money import HUNDRED, MONEY_PLACES

# ISO 4217 currencies without a minor unit (the gateways take them in whole units).
ZERO_DECIMAL = frozenset(
    [
        "BIF",
        "CLP",
        "DJF",
        "GNF",
        "ISK",
        "JPY",
        "KMF",
        "KRW",
        "PYG",
        "RWF",
        "UGX",
        "VND",
        "VUV",
        "XAF",
        "XOF",
        "XPF",
    ]
)


def minor_unit(currency: str) -> Decimal:
    return Decimal(1) if currency in ZERO_DECIMAL else Decimal("0.01")


def to_minor(amount: Decimal, currency: str) -> int:
    """The integer a gateway's API takes (paise, cents); `amount` must fit the unit exactly."""
    units = amount / minor_unit(currency)
    if units != units.to_integral_value():
        raise ValueError(f"{amount} {currency} is not a whole number of minor units")
    return int(units)


def from_minor(units: int, currency: str) -> Decimal:
    return Decimal(units) * minor_unit(currency)


@dataclass(frozen=True)
class Quote:
    currency: str
    amount: Decimal
    fee: Decimal
    total: Decimal
    exchange_rate: Decimal
    bonus: Decimal
    credit: Decimal


def quote(
    *,
    amount: Decimal,
    currency: str,
    exchange_rate: Decimal,
    fee_percent: Decimal = Decimal(0),
    bonus_percent: Decimal = Decimal(0),
    bonus_from: Decimal = Decimal(0),
) -> Quote:
    if amount <= 0 or exchange_rate <= 0:
        raise ValueError("amount and exchange rate must be positive")
    unit = minor_unit(currency)
    if amount != amount.quantize(unit):
        raise ValueError(f"{currency} amounts have at most {unit} precision")
    fee = (amount * fee_percent / HUNDRED).quantize(unit, rounding=ROUND_CEILING)
    base = (amount * exchange_rate).quantize(MONEY_PLACES, rounding=ROUND_FLOOR)
    bonus = Decimal(0).quantize(MONEY_PLACES)
    if bonus_percent > 0 and base >= bonus_from:
        bonus = (base * bonus_percent / HUNDRED).quantize(MONEY_PLACES, rounding=ROUND_FLOOR)
    return Quote(
        currency=currency,
        amount=amount,
        fee=fee,
        total=amount + fee,
        exchange_rate=exchange_rate,
        bonus=bonus,
        credit=base + bonus,
    )


def share(*, credit: Decimal, part: Decimal, whole: Decimal) -> Decimal:
    """The part of a credit that `part` of the `whole` paid stands for (a partial refund),
    rounded UP to 7 places: a refund of everything takes back the whole credit, never more."""
    if whole <= 0:
        raise ValueError("whole must be positive")
    return min(credit, (credit * part / whole).quantize(MONEY_PLACES, rounding=ROUND_CEILING))
