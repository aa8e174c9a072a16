"""Small helpers for the accounts tests: money in, and the balance == ledger invariant."""

from decimal import Decimal

from django.db import transaction
from django.db.models import Sum
from django.db.models.functions import Coalesce

from accounts import ledger
from accounts.models import LedgerKind, User
from orders.models import Order
from orders.placing import place_order

PASSWORD = "a-long-test-password-42"


def make_user(username: str, **fields) -> User:
    return User.objects.create_user(
        username, email=f"{username}@example.com", password=PASSWORD, **fields
    )


def fund(user: User, amount: str, memo: str = "test funds") -> None:
    with transaction.atomic():
        ledger.credit(
            user_id=user.pk, amount=Decimal(amount), kind=LedgerKind.ADJUSTMENT, memo=memo
        )


def place(user: User, service, quantity: int = 100) -> Order:
    return place_order(
        user=user,
        service_id=service.pk,
        fields={"link": "https://instagram.com/some.profile", "quantity": str(quantity)},
    )


def assert_balances_match_ledger() -> None:
    """The money invariant (docs/design.md): for every user, balance == sum(ledger amounts)."""
    rows = User.objects.annotate(total=Coalesce(Sum("ledger__amount"), Decimal(0))).values_list(
        "username", "balance", "total"
    )
    mismatched = [(name, balance, total) for name, balance, total in rows if balance != total]
    assert not mismatched, f"balance != sum(ledger) for {mismatched}"
