from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from panel.money import format_amount, round_rate_up, selling_rate
from panel.templatetags.panel import amount

costs = st.decimals(min_value=0, max_value=10_000, places=7, allow_nan=False)
rates = st.decimals(min_value=Decimal("0.0001"), max_value=1000, places=10, allow_nan=False)
markups = st.decimals(min_value=-100, max_value=1000, places=4, allow_nan=False)


def test_round_rate_up_rounds_up_to_four_places():
    assert round_rate_up(Decimal("1.00001")) == Decimal("1.0001")
    assert round_rate_up(Decimal("1.0000")) == Decimal("1.0000")
    assert round_rate_up(Decimal("0.00000001")) == Decimal("0.0001")


def test_selling_rate_applies_exchange_rate_and_markup():
    rate = selling_rate(
        cost=Decimal("0.90"), exchange_rate=Decimal("1.1"), markup_percent=Decimal(25)
    )
    assert rate == Decimal("1.2375")


@given(cost=costs, exchange_rate=rates, markup=markups)
def test_selling_rate_is_never_below_the_exact_price_and_has_four_places(
    cost, exchange_rate, markup
):
    exact = cost * exchange_rate * (1 + markup / 100)
    rate = selling_rate(cost=cost, exchange_rate=exchange_rate, markup_percent=markup)
    assert isinstance(rate, Decimal)
    assert rate >= exact
    assert rate - exact < Decimal("0.0001")
    assert rate.as_tuple().exponent >= -4


@pytest.mark.parametrize(
    ("value", "most", "shown"),
    [
        ("12.5", 4, "12.50"),
        ("1.2345", 4, "1.2345"),
        ("12.345678", 4, "12.3457"),
        ("12.345678", 2, "12.35"),
        ("0E-7", 2, "0.00"),
        ("1234567.891", 2, "1,234,567.89"),
        ("0.0012345", 4, "0.0012"),
        ("-0.00005", 4, "-0.0001"),
    ],
)
def test_money_for_customers_has_two_to_four_decimals(value, most, shown):
    assert format_amount(Decimal(value), most=most) == shown


def test_the_amount_filter_keeps_the_exact_money_in_its_title():
    assert amount(Decimal("12.345678"), 2) == (
        '<span class="money" title="Exactly 12.345678">12.35</span>'
    )
    assert amount(Decimal("12.5")) == '<span class="money">12.50</span>'
