"""Placing orders: the one function every entry point uses (order page, mass order, /api/v2).

Validation happens before any write; then one transaction debits the balance, creates the
order as PENDING and writes the charge row; the forwarding task is enqueued after commit.
"""

import json
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import NamedTuple

from django.db import connection, transaction
from django.utils import timezone

from accounts import ledger
from accounts.models import User
from catalog.models import Service
from panel.db import prepared_cursor
from panel.money import format_plain
from payments.reversals import ordering_paused

from .models import Order, OrderStatus
from .types import spec_for
from .validation import DIGITS, OrderError, OrderTerms, validate

log = logging.getLogger(__name__)


def sellable_services():
    return Service.objects.filter(enabled=True, available=True, category__enabled=True, rate__gt=0)


def get_service(service_id: object, *, only: tuple[str, ...] | None = None) -> Service:
    """The service on sale with this id (from a form or the API: any text), or OrderError."""
    text = str(service_id or "").strip()
    if not DIGITS.fullmatch(text):
        raise OrderError("Incorrect service ID", field="service")
    services = sellable_services().filter(pk=int(text))
    service = (services.only(*only) if only else services).first()
    if service is None:
        raise OrderError(
            "Incorrect service ID", field="service", detail="This service is not available."
        )
    return service


def place_order(
    *,
    user: User,
    service_id: object,
    fields: Mapping[str, str],
    client_reference: str | None = None,
) -> Order:
    """Validate, then debit + order + charge row atomically; forward after commit.

    Raises OrderError (nothing charged) or ledger.InsufficientFunds (nothing charged).
    """
    service = recent_service(service_id)
    terms = validate(service, fields)
    order = _charge(user, service, terms, client_reference)
    if order is None:
        # The guard refused: the price or availability changed since it was cached, or the
        # balance is short. Look again with fresh data and tell which.
        _recent.pop(service.pk, None)
        service = get_service(service_id)
        terms = validate(service, fields)
        order = _charge(user, service, terms, client_reference)
        if order is None:
            if ordering_paused(user.pk):
                raise OrderError(PAUSED)
            raise _shortfall(user.pk, terms.charge)
    return order


# Services recently looked up by this process. A stale entry cannot sell at a wrong price or
# sell a withdrawn service: the charging statement re-checks both (_GUARD) atomically.
class _Recent(NamedTuple):
    until: float  # time.monotonic()
    service: Service


_recent: dict[int, _Recent] = {}
RECENT_SECONDS = 2.0
_TERMS_FIELDS = ("id", "name", "rate", "min", "max", "step", "type", "dripfeed")


def recent_service(service_id: object) -> Service:
    """The service on sale with this id, with only the fields that price an order (kept for a
    moment per process), or OrderError. For placing, which re-checks price and availability."""
    text = str(service_id or "").strip()
    if DIGITS.fullmatch(text):
        hit = _recent.get(int(text))
        if hit and hit.until > time.monotonic():
            return hit.service
    service = get_service(text, only=_TERMS_FIELDS)
    _recent[service.pk] = _Recent(time.monotonic() + RECENT_SECONDS, service)
    return service


def forget_recent_services() -> None:
    """Drop the per-process service cache (tests, where ids repeat across rolled-back data)."""
    _recent.clear()


def _shortfall(user_id: int, amount: Decimal) -> ledger.InsufficientFunds:
    balance = User.objects.filter(pk=user_id).values_list("balance", flat=True).get()
    return ledger.InsufficientFunds(balance=balance, amount=amount)


# The order can be charged only while its service is on sale at the rate it was priced with.
_GUARD = """EXISTS (SELECT 1 FROM catalog_service s JOIN catalog_category c ON c.id = s.category_id
    WHERE s.id = %(service)s AND s.enabled AND s.available AND c.enabled AND s.rate = %(rate)s)
    AND NOT EXISTS (SELECT 1 FROM payments_reversal r WHERE r.user_id = %(user)s AND r.owed > 0)"""
# ...and only while the customer owes nothing from a refunded or disputed payment (payments/).
PAUSED = "Ordering is paused: a payment of yours was refunded or disputed. Please contact us."

# Every column of orders_order the placement writes, and what: the order's terms as parameters,
# every other column its model default (written here, not read from the model, so the
# statement stays one fixed text that PostgreSQL prepares). A column left out is NULL:
# tests/orders/test_placing.py fails when Order gains one that may not be.
ORDER_COLUMNS = {
    "user_id": "%(user)s",
    "service_id": "%(service)s",
    "link": "%(link)s",
    "quantity": "%(quantity)s",
    "runs": "%(runs)s",
    "interval": "%(interval)s",
    "extra": "%(extra)s",
    "rate": "%(rate)s",
    "charge": "%(charge)s",
    "status": f"'{OrderStatus.PENDING}'",  # orders/states.py: an order is created PENDING
    "upstream_status": "''",
    "remains_raw": "''",
    "error": "''",
    "attempts": "0",
    "client_reference": "%(reference)s",
    "refunded": "0",
    "upstream_detail": "'{}'",
    "flag": "''",
    "tried_offers": "'[]'",
    "created_at": "%(now)s",
    "updated_at": "%(now)s",
}
_COLUMNS = ", ".join(ORDER_COLUMNS)
_VALUES = ", ".join(ORDER_COLUMNS.values())
_VALUES_POSTGRES = _VALUES.replace("%(extra)s", "%(extra)s::jsonb")  # bound on the server

# PostgreSQL: debit, order and charge row in ONE statement — one round trip, atomic by itself.
_CHARGE_POSTGRES = f"""
WITH debit AS ({ledger.debit_sql(_GUARD)}),
placed AS (
    INSERT INTO orders_order ({_COLUMNS}) SELECT {_VALUES_POSTGRES} FROM debit RETURNING id
), entry AS (
    INSERT INTO accounts_ledgerentry ({ledger.CHARGE_ROW_COLUMNS})
    SELECT {ledger.charge_row_values(balance="debit.balance", order="placed.id")} FROM debit, placed
)
SELECT placed.id FROM placed
"""  # noqa: S608 (no user input in the text: every value is a parameter)

# SQLite (the embedded demo) has no data-modifying CTEs: the same three writes, one by one.
INSERT_ORDER = f"INSERT INTO orders_order ({_COLUMNS}) VALUES ({_VALUES}) RETURNING id"  # noqa: S608
INSERT_CHARGE_ROW = (
    f"INSERT INTO accounts_ledgerentry ({ledger.CHARGE_ROW_COLUMNS}) "  # noqa: S608
    f"VALUES ({ledger.charge_row_values(balance='%(balance)s', order='%(order)s')})"
)
_CHARGE_STEPS = (ledger.debit_sql(_GUARD), INSERT_ORDER, INSERT_CHARGE_ROW)


def _charge(
    user: User, service: Service, terms: OrderTerms, client_reference: str | None
) -> Order | None:
    """Debit, insert the order and its charge row, and enqueue forwarding after commit; all or
    nothing (inside the caller's transaction, if any). None when the guard refused."""
    now = timezone.now()
    params = {
        "user": user.pk, "service": service.pk, "rate": service.rate, "charge": terms.charge,
        "link": terms.link, "quantity": terms.quantity, "runs": terms.runs,
        "interval": terms.interval, "extra": json.dumps(terms.extra),
        "reference": client_reference, "now": now,
    }  # fmt: skip
    with prepared_cursor() as cursor:
        if connection.vendor == "postgresql":
            # One statement is atomic by itself: no BEGIN/COMMIT round trips, and the
            # customer's row is locked only for the statement.
            cursor.execute(_CHARGE_POSTGRES, params)
            row = cursor.fetchone()
        else:
            with transaction.atomic():
                row = _charge_one_by_one(cursor, params)
    if row is None:
        return None
    (order_id,) = row
    order = Order(
        id=order_id, user=user, service=service, link=terms.link, quantity=terms.quantity,
        runs=terms.runs, interval=terms.interval, extra=terms.extra, rate=service.rate,
        charge=terms.charge, client_reference=client_reference, created_at=now, updated_at=now,
    )  # fmt: skip
    order._state.adding, order._state.db = False, connection.alias
    transaction.on_commit(lambda: enqueue_forwarding(order.pk))
    return order


def _charge_one_by_one(cursor, params: dict) -> tuple | None:
    debit, insert_order, insert_charge_row = _CHARGE_STEPS
    cursor.execute(debit, params)
    debited = cursor.fetchone()
    if debited is None:
        return None
    (balance,) = debited
    cursor.execute(insert_order, params)
    placed = cursor.fetchone()
    (order_id,) = placed
    cursor.execute(insert_charge_row, {**params, "balance": balance, "order": order_id})
    return placed


# While the broker is failing, this process stops trying for a while: a hung broker would
# otherwise hold every placement (and a mass order once per line) for seconds.
BROKER_PAUSE_SECONDS = 30.0
_broker_down_until = 0.0


def enqueue_forwarding(order_id: int) -> None:
    """Hand the order to a worker. A broker outage must not fail the placement: the sweeper
    re-enqueues PENDING orders whose task never arrived."""
    global _broker_down_until
    from .tasks import forward_order

    if time.monotonic() < _broker_down_until:
        log.warning("broker down: order %s left to the sweeper", order_id)
        return
    try:
        forward_order.delay(order_id)
    except Exception:  # any broker failure; the order is safe in the database
        _broker_down_until = time.monotonic() + BROKER_PAUSE_SECONDS
        log.exception("could not enqueue order %s; the sweeper will pick it up", order_id)


# --- mass orders ---------------------------------------------------------------------------


@dataclass(frozen=True)
class LineError:
    line: int
    text: str
    reason: str


@dataclass(frozen=True)
class MassOrderResult:
    orders: list[Order]
    errors: list[LineError]
    total: Decimal


def place_mass_order(*, user: User, text: str, max_lines: int = 1000) -> MassOrderResult:
    """One order per `service_id|link|quantity` line. Bad lines are reported with their line
    number; the valid ones are placed together only if the balance covers all of them."""
    lines = [(n, line.strip()) for n, line in enumerate(text.splitlines(), 1) if line.strip()]
    if not lines:
        raise OrderError("Incorrect request", detail="Enter at least one order line.")
    if len(lines) > max_lines:
        raise OrderError("Incorrect request", detail=f"At most {max_lines} lines at once.")
    services = _services_for(lines)
    valid, errors = [], []
    for number, line in lines:
        try:
            valid.append((_parse_line(line, services), number))
        except OrderError as exc:
            errors.append(LineError(number, line, exc.detail))
    total = sum((terms.charge for (_, terms), _ in valid), Decimal(0))
    if not valid:
        return MassOrderResult([], errors, total)
    try:
        with transaction.atomic():
            # All or nothing: a shortfall on any line places none of them.
            orders = [_charge(user, service, terms, None) for (service, terms), _ in valid]
            if None in orders:
                raise _RollBack
    except _RollBack:
        if ordering_paused(user.pk):
            raise OrderError(PAUSED) from None
        raise _shortfall(user.pk, total) from None  # the balance as it is after the rollback
    return MassOrderResult(orders, errors, total)


class _RollBack(Exception):
    pass


def _services_for(lines: list[tuple[int, str]]) -> dict[str, Service]:
    ids = {line.split("|", 1)[0].strip() for _, line in lines}
    numeric = [int(i) for i in ids if DIGITS.fullmatch(i)]
    return {str(s.pk): s for s in sellable_services().filter(pk__in=numeric)}


def _parse_line(line: str, services: dict[str, Service]) -> tuple[Service, OrderTerms]:
    parts = [part.strip() for part in line.split("|")]
    if len(parts) != 3:
        raise OrderError("Incorrect request", detail="Expected service_id|link|quantity.")
    service_id, link, quantity = parts
    service = services.get(service_id) if DIGITS.fullmatch(service_id) else None
    if service is None:
        raise OrderError("Incorrect service ID", detail=f"Service {service_id!r} is not available.")
    spec = spec_for(service.type)
    if spec.fields or spec.quantity != "quantity" or not spec.link:
        raise OrderError(
            "Incorrect request",
            detail=f"Service {service.pk} ({service.type}) needs more fields: use the order page.",
        )
    return service, validate(service, {"link": link, "quantity": quantity})


def shortfall_message(exc: ledger.InsufficientFunds, currency: str) -> str:
    return (
        f"Not enough funds on balance: this costs {format_plain(exc.amount)} {currency}, "
        f"you have {format_plain(exc.balance)} {currency}; "
        f"add {format_plain(exc.shortfall)} {currency}."
    )
