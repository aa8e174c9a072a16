"""Customers for tests and benchmarks: created, funded through the ledger, and the money
invariant (every balance is the sum of its ledger) checked."""

from decimal import Decimal

from django.db import transaction
from django.db.models import DecimalField, F, Sum, Value
from django.db.models.functions import Coalesce

from accounts import ledger
from accounts.models import LedgerKind, User

PASSWORD = "a-long-test-password-42"


def make_user(username: str, *, password: str | None = PASSWORD, **fields) -> User:
    """A user with `username`@example.com; no password (None) skips the slow hashing."""
    return User.objects.create_user(
        username, email=f"{username}@example.com", password=password, **fields
    )


def fund(user: User, amount: str | Decimal, memo: str = "test funds") -> None:
    """Add `amount` to the balance, with its ledger row (a staff adjustment by nobody)."""
    with transaction.atomic():
        ledger.credit(
            user_id=user.pk, amount=Decimal(amount), kind=LedgerKind.ADJUSTMENT, memo=memo
        )


def make_customer(username: str, funds: str | Decimal = "100", **fields) -> User:
    """A customer holding `funds` in the panel currency."""
    user = make_user(username, **fields)
    if Decimal(funds):
        fund(user, funds)
    return user


def balance(user: User) -> Decimal:
    """The balance as stored now (not as `user` was loaded)."""
    return User.objects.values_list("balance", flat=True).get(pk=user.pk)


def unbalanced_users() -> list[tuple[int, Decimal, Decimal]]:
    """Users whose balance is not the sum of their ledger: (id, balance, ledger sum)."""
    zero = Value(Decimal(0), output_field=DecimalField(max_digits=20, decimal_places=7))
    return list(
        User.objects.annotate(total=Coalesce(Sum("ledger__amount"), zero))
        .exclude(balance=F("total"))
        .values_list("id", "balance", "total")
    )


def assert_ledger_balanced() -> None:
    """The money invariant (docs/design.md): for every user, balance == sum(ledger amounts)."""
    assert unbalanced_users() == [], "balance != sum(ledger)"
