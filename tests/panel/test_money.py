from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from panel.money import round_rate_up, selling_rate

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
