"""Fee and bonus arithmetic, exact to the ledger's 7 places (payments/quotes.py)."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from payments.quotes import quote, share, to_minor

D = Decimal


def test_a_fee_is_added_to_what_the_customer_pays_rounded_up_to_the_cent():
    q = quote(amount=D("33.33"), currency="USD", exchange_rate=D(1), fee_percent=D("2.5"))
    assert (q.fee, q.total, q.credit, q.bonus) == (D("0.84"), D("34.17"), D("33.33"), 0)


def test_a_bonus_applies_from_its_threshold_in_the_panel_currency():
    terms = {"exchange_rate": D(1), "bonus_percent": D(5), "bonus_from": D(100)}
    below = quote(amount=D("99.99"), currency="USD", **terms)
    at = quote(amount=D("100"), currency="USD", **terms)
    odd = quote(amount=D("123.45"), currency="USD", **terms)
    assert (below.bonus, below.credit) == (0, D("99.99"))
    assert (at.bonus, at.credit) == (D("5"), D("105"))
    assert (odd.bonus, odd.credit) == (D("6.1725"), D("129.6225"))


def test_the_exchange_rate_credits_exactly_and_rounds_down_past_seven_places():
    q = quote(
        amount=D("1234.56"), currency="INR", exchange_rate=D("0.0119876543"),
        bonus_percent=D("3.333"), bonus_from=D(10),
    )  # fmt: skip
    base = D("14.7994784")  # 1234.56 × 0.0119876543 = 14.799478492608, rounded down
    bonus = D("0.4932666")  # 14.7994784 × 3.333% = 0.493266615072, rounded down
    assert (q.credit - q.bonus, q.bonus, q.credit) == (base, bonus, base + bonus)
    assert q.total == D("1234.56") and q.exchange_rate == D("0.0119876543")


def test_zero_decimal_currencies_take_whole_amounts():
    q = quote(amount=D(5000), currency="JPY", exchange_rate=D("0.0067"), fee_percent=D(1))
    assert (q.fee, q.total, q.credit) == (D(50), D(5050), D("33.5"))
    assert to_minor(q.total, "JPY") == 5050
    with pytest.raises(ValueError):
        quote(amount=D("10.5"), currency="JPY", exchange_rate=D(1))


def test_a_cent_fraction_is_not_an_amount():
    with pytest.raises(ValueError):
        quote(amount=D("10.005"), currency="USD", exchange_rate=D(1))
    assert to_minor(D("10.05"), "USD") == 1005


def test_a_refund_takes_back_its_share_of_the_credit_never_more():
    assert share(credit=D("31.5"), part=D("10"), whole=D("30")) == D("10.5")
    assert share(credit=D("10"), part=D("1"), whole=D("3")) == D("3.3333334")  # rounded up
    assert share(credit=D("10"), part=D("3"), whole=D("3")) == D("10")
    assert share(credit=D("10"), part=D("4"), whole=D("3")) == D("10")


@given(
    amount=st.decimals(min_value=D("0.01"), max_value=D(100000), places=2),
    rate=st.decimals(min_value=D("0.0001"), max_value=D(1000), places=6),
    fee=st.decimals(min_value=0, max_value=50, places=3),
    bonus=st.decimals(min_value=0, max_value=100, places=3),
)
def test_every_quote_is_exact_in_seven_places_and_never_credits_more_than_its_terms(
    amount, rate, fee, bonus
):
    q = quote(
        amount=amount, currency="USD", exchange_rate=rate, fee_percent=fee, bonus_percent=bonus
    )
    for figure in (q.credit, q.bonus):
        assert figure == figure.quantize(D("0.0000001"))
    assert q.fee == q.fee.quantize(D("0.01")) and q.total == amount + q.fee
    assert 0 <= q.fee - amount * fee / 100 < D("0.01")
    assert 0 <= amount * rate - (q.credit - q.bonus) < D("0.0000001")
    assert 0 <= (q.credit - q.bonus) * bonus / 100 - q.bonus < D("0.0000001")
