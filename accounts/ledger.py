"""The only way a balance changes: a conditional UPDATE plus an append-only ledger row (and the
same two in SQL, for placing an order in one statement: debit_sql, charge_row_values).

Every function here must run inside the caller's transaction, so the balance and its ledger
row commit together or not at all. A debit is one `UPDATE … WHERE balance >= amount`: never
read-modify-write, so concurrent debits cannot overdraw.
"""

from decimal import Decimal

from django.db import connection, transaction

from panel.money import MONEY_PLACES

from .models import LedgerEntry, LedgerKind, User


class InsufficientFunds(Exception):
    """The balance does not cover the amount; `shortfall` is exactly what is missing."""

    def __init__(self, *, balance: Decimal, amount: Decimal):
        self.balance, self.amount, self.shortfall = balance, amount, amount - balance
        super().__init__("Not enough funds on balance")


class OwnMoney(PermissionError):
    """Staff acting on their own money: nobody adjusts their own balance, superusers included."""


_TABLE = User._meta.db_table


def debit(
    *,
    user_id: int,
    amount: Decimal,
    kind: str = LedgerKind.CHARGE,
    order_id: int | None = None,
    payment_id: int | None = None,
    memo: str = "",
    by: User | None = None,
) -> LedgerEntry:
    """Take `amount` (> 0) from the balance, or raise InsufficientFunds and change nothing."""
    _check(amount)
    balance = _apply(debit_sql(), {"charge": amount, "user": user_id})
    if balance is None:
        current = User.objects.filter(pk=user_id).values_list("balance", flat=True).first()
        if current is None:
            raise User.DoesNotExist(user_id)
        raise InsufficientFunds(balance=current, amount=amount)
    return _record(
        user_id, -amount, balance, kind=kind, order_id=order_id, payment_id=payment_id,
        memo=memo, by=by,
    )  # fmt: skip


def debit_available(
    *, user_id: int, amount: Decimal, kind: str, payment_id: int, memo: str = "",
    by: User | None = None,
) -> LedgerEntry | None:  # fmt: skip
    """Take `amount`, or as much of it as the balance holds (never below zero): a gateway's
    refund or dispute. None when the balance is zero. The row lock makes the read and the
    debit one step."""
    _check(amount)
    balance = User.objects.select_for_update().values_list("balance", flat=True).get(pk=user_id)
    take = min(balance, amount)
    if take <= 0:
        return None
    return debit(user_id=user_id, amount=take, kind=kind, payment_id=payment_id, memo=memo, by=by)


def credit(
    *,
    user_id: int,
    amount: Decimal,
    kind: str,
    order_id: int | None = None,
    payment_id: int | None = None,
    memo: str = "",
    by: User | None = None,
) -> LedgerEntry:
    """Add `amount` (> 0) to the balance."""
    _check(amount)
    balance = _apply(
        f"UPDATE {_TABLE} SET balance = balance + %s WHERE id = %s RETURNING balance",  # noqa: S608
        [amount, user_id],
    )
    if balance is None:
        raise User.DoesNotExist(user_id)
    return _record(
        user_id, amount, balance, kind=kind, order_id=order_id, payment_id=payment_id,
        memo=memo, by=by,
    )  # fmt: skip


def adjust(*, user_id: int, amount: Decimal, reason: str, by: User) -> LedgerEntry:
    """A staff credit (amount > 0) or debit (amount < 0), with the reason and who made it."""
    if not reason.strip():
        raise ValueError("an adjustment needs a reason")
    if by is not None and by.pk == user_id:
        raise OwnMoney("Nobody adjusts their own balance: ask another member of Finance.")
    if amount > 0:
        return credit(
            user_id=user_id, amount=amount, kind=LedgerKind.ADJUSTMENT, memo=reason, by=by
        )
    return debit(user_id=user_id, amount=-amount, kind=LedgerKind.ADJUSTMENT, memo=reason, by=by)


# --- the SQL of a charge, for placing an order in one statement ---------------------------------
#
# Placing an order debits the balance, inserts the order and writes its charge row in one SQL
# statement of its own (orders/placing.py), for speed. Its debit and its ledger row are these:
# the same conditional UPDATE as debit() and the same row, with the parameters %(user)s,
# %(charge)s and %(now)s. So a balance changes only through this module, in code as in words.

CHARGE_ROW_COLUMNS = "user_id, kind, amount, balance_after, order_id, memo, created_at"


def debit_sql(condition: str = "") -> str:
    """`UPDATE … SET balance = balance - %(charge)s WHERE id = %(user)s AND balance >=
    %(charge)s [AND condition] RETURNING balance`: no row back means not enough funds."""
    extra = f" AND {condition}" if condition else ""
    return (
        f"UPDATE {_TABLE} SET balance = balance - %(charge)s "  # noqa: S608 (names, parameters)
        f"WHERE id = %(user)s AND balance >= %(charge)s{extra} RETURNING balance"
    )


def charge_row_values(*, balance: str, order: str) -> str:
    """The values of an order's charge row (CHARGE_ROW_COLUMNS), given the SQL of the balance
    after the debit and of the order's id."""
    return f"%(user)s, '{LedgerKind.CHARGE}', -%(charge)s, {balance}, {order}, '', %(now)s"


# --- helpers ----------------------------------------------------------------------------------


def _check(amount: Decimal) -> None:
    if not isinstance(amount, Decimal) or not amount.is_finite() or amount <= 0:
        raise ValueError(f"amount must be a positive Decimal, not {amount!r}")
    if not connection.in_atomic_block:
        raise transaction.TransactionManagementError("balance changes need a transaction")


def _apply(sql: str, params: list | dict) -> Decimal | None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        return None
    # SQLite hands back a float; PostgreSQL a Decimal. Both become the exact 7-place value.
    return Decimal(str(row[0])).quantize(MONEY_PLACES)


def _record(user_id: int, amount: Decimal, balance: Decimal, **fields) -> LedgerEntry:
    by = fields.pop("by")
    return LedgerEntry.objects.create(
        user_id=user_id,
        amount=amount,
        balance_after=balance,
        created_by=by,
        **fields,
    )
