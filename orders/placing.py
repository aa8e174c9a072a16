"""Placing orders: the one function every entry point uses (order page, mass order, /api/v2).

Validation happens before any write; then one transaction debits the balance, creates the
order as PENDING and writes the charge row; the forwarding task is enqueued after commit.
"""

import json
import logging
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from urllib.parse import urlsplit

from django.db import connection, transaction
from django.utils import timezone

from accounts import ledger
from accounts.models import User
from catalog.models import Service
from panel.db import prepared_cursor
from panel.money import order_charge
from payments.reversals import ordering_paused

from .models import Order
from .types import Field, TypeSpec, spec_for

log = logging.getLogger(__name__)

MAX_QUANTITY = 2**31 - 1
MAX_LINK = 2000
MAX_RUNS = 1000
MAX_INTERVAL = 7 * 24 * 60  # minutes
MAX_TEXT = 5000  # a comments or usernames field
MAX_LINES = 10_000
DIGITS = re.compile(r"[0-9]{1,10}")  # ASCII only: no "1_000", "١٠٠", "1e3", "-5"
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\s]")


class OrderError(Exception):
    """A request the panel refuses; `message` is the API v2 text, `detail` a customer's one."""

    def __init__(self, message: str, *, field: str | None = None, detail: str | None = None):
        super().__init__(message)
        self.message, self.field, self.detail = message, field, detail or message


@dataclass(frozen=True)
class OrderTerms:
    """A validated order: what will be sent upstream and what it costs."""

    link: str
    quantity: int
    runs: int | None
    interval: int | None
    extra: dict[str, str]
    charge: Decimal


def sellable_services():
    return Service.objects.filter(enabled=True, available=True, category__enabled=True)


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


def validate(service: Service, fields: Mapping[str, str]) -> OrderTerms:
    """Check `fields` against the service's type, limits and step; price the order."""
    spec = spec_for(service.type)
    link = _link(fields) if spec.link else ""
    extra = {f.name: value for f in spec.fields if (value := _field(f, fields))}
    quantity = _quantity(service, spec, fields, extra)
    runs, interval = _dripfeed(service, spec, fields)
    if service.type == "Subscriptions":
        return _subscription(service, extra)
    # A package's rate is its price: as if 1000 units at the per-1000 rate.
    units = 1000 if spec.flat else quantity
    charge = order_charge(rate=service.rate, quantity=units, runs=runs or 1)
    return OrderTerms(link, quantity, runs, interval, extra, charge)


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
_recent: dict[int, tuple[float, Service]] = {}
RECENT_SECONDS = 2.0
_TERMS_FIELDS = ("id", "name", "rate", "min", "max", "step", "type", "dripfeed")


def recent_service(service_id: object) -> Service:
    """The service on sale with this id, with only the fields that price an order (kept for a
    moment per process), or OrderError. For placing, which re-checks price and availability."""
    text = str(service_id or "").strip()
    if DIGITS.fullmatch(text):
        hit = _recent.get(int(text))
        if hit and hit[0] > time.monotonic():
            return hit[1]
    service = get_service(text, only=_TERMS_FIELDS)
    _recent[service.pk] = (time.monotonic() + RECENT_SECONDS, service)
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

# PostgreSQL: debit, order and charge row in ONE statement — one round trip, atomic by itself.
_CHARGE_POSTGRES = f"""
WITH debit AS (
    UPDATE accounts_user SET balance = balance - %(charge)s
    WHERE id = %(user)s AND balance >= %(charge)s AND {_GUARD}
    RETURNING balance
), placed AS (
    INSERT INTO orders_order (user_id, service_id, link, quantity, runs, interval, extra, rate,
        charge, status, upstream_status, remains_raw, error, attempts, client_reference,
        refunded, upstream_detail, flag, tried_offers, created_at, updated_at)
    SELECT %(user)s, %(service)s, %(link)s, %(quantity)s, %(runs)s, %(interval)s,
        %(extra)s::jsonb, %(rate)s, %(charge)s, 'pending', '', '', '', 0, %(reference)s,
        0, '{{}}', '', '[]', %(now)s, %(now)s
    FROM debit RETURNING id
), entry AS (
    INSERT INTO accounts_ledgerentry (user_id, kind, amount, balance_after, order_id, memo,
        created_at)
    SELECT %(user)s, 'charge', -%(charge)s, debit.balance, placed.id, '', %(now)s
    FROM debit, placed
)
SELECT placed.id FROM placed
"""  # noqa: S608 (no user input in the text: every value is a parameter)

# SQLite (the embedded demo) has no data-modifying CTEs: the same three writes, one by one.
_CHARGE_SQLITE = [
    f"""UPDATE accounts_user SET balance = balance - %(charge)s
        WHERE id = %(user)s AND balance >= %(charge)s AND {_GUARD} RETURNING balance""",  # noqa: S608
    """INSERT INTO orders_order (user_id, service_id, link, quantity, runs, interval, extra,
        rate, charge, status, upstream_status, remains_raw, error, attempts, client_reference,
        refunded, upstream_detail, flag, tried_offers, created_at, updated_at)
        VALUES (%(user)s, %(service)s, %(link)s, %(quantity)s, %(runs)s, %(interval)s,
        %(extra)s, %(rate)s, %(charge)s, 'pending', '', '', '', 0, %(reference)s, 0, '{}', '',
        '[]', %(now)s, %(now)s) RETURNING id""",
    """INSERT INTO accounts_ledgerentry (user_id, kind, amount, balance_after, order_id, memo,
        created_at) VALUES (%(user)s, 'charge', -%(charge)s, %(balance)s, %(order)s, '',
        %(now)s)""",
]


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
    order = Order(
        id=row[0], user=user, service=service, link=terms.link, quantity=terms.quantity,
        runs=terms.runs, interval=terms.interval, extra=terms.extra, rate=service.rate,
        charge=terms.charge, client_reference=client_reference, created_at=now, updated_at=now,
    )  # fmt: skip
    order._state.adding, order._state.db = False, connection.alias
    transaction.on_commit(lambda: enqueue_forwarding(order.pk))
    return order


def _charge_one_by_one(cursor, params: dict) -> tuple | None:
    debit, insert_order, insert_entry = _CHARGE_SQLITE
    cursor.execute(debit, params)
    row = cursor.fetchone()
    if row is None:
        return None
    cursor.execute(insert_order, params)
    order_row = cursor.fetchone()
    cursor.execute(insert_entry, {**params, "balance": row[0], "order": order_row[0]})
    return order_row


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


# --- field checks --------------------------------------------------------------------------


def field_errors(service: Service, fields: Mapping[str, str]) -> list[OrderError]:
    """Every field's problem, not only the first (validate stops there): for a form to show
    them all at once. Fields whose check needs another field's value (a line count, the
    subscription bounds) are checked once that field is good."""
    spec = spec_for(service.type)
    errors: list[OrderError] = []

    def check(call):
        try:
            return call()
        except OrderError as exc:
            errors.append(exc)
            return None

    if spec.link:
        check(lambda: _link(fields))
    extra = {}
    for f in spec.fields:
        if value := check(lambda f=f: _field(f, fields)):
            extra[f.name] = value
    if spec.quantity == "quantity" or spec.quantity in extra:
        check(lambda: _quantity(service, spec, fields, extra))
    check(lambda: _dripfeed(service, spec, fields))
    if service.type == "Subscriptions" and not errors:
        check(lambda: _subscription(service, extra))
    return errors


def parse_count(raw: object, *, field: str, label: str, upto: int = MAX_QUANTITY) -> int:
    """A plain whole number in ASCII digits, at most `upto`."""
    text = str(raw if raw is not None else "").strip()
    if not DIGITS.fullmatch(text) or int(text) > upto:
        raise OrderError(
            f"Incorrect {field}",
            field=field,
            detail=f"{label} must be a whole number up to {upto:,}.",
        )
    return int(text)


def validate_link(link: str) -> str:
    """The link rules of placement, for anyone else who accepts a link (staff edits)."""
    return _link({"link": link})


def _link(fields: Mapping[str, str]) -> str:
    link = str(fields.get("link") or "").strip()
    detail = None
    if not link:
        detail = "Enter the link."
    elif len(link) > MAX_LINK:
        detail = f"The link is longer than {MAX_LINK:,} characters."
    elif CONTROL.search(link):
        detail = "The link must not contain spaces or control characters."
    else:
        parts = urlsplit(link)
        if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
            detail = "The link must start with http:// or https://."
    if detail:
        raise OrderError("Incorrect link", field="link", detail=detail)
    return link


def _field(spec: Field, fields: Mapping[str, str]) -> str:
    raw = str(fields.get(spec.name) or "")
    if "\x00" in raw or len(raw) > MAX_TEXT:
        raise OrderError(
            f"Incorrect {spec.name}",
            field=spec.name,
            detail=f"{spec.label} is too long or invalid.",
        )
    if spec.kind == "lines":
        items = [line.strip() for line in raw.splitlines() if line.strip()]
        value = "\n".join(items)
    else:
        value = raw.strip()
    if not value:
        if spec.required:
            raise OrderError(
                f"Incorrect {spec.name}", field=spec.name, detail=f"Enter {spec.label.lower()}."
            )
        return ""
    if spec.kind == "count":
        return str(parse_count(value, field=spec.name, label=spec.label))
    if spec.kind == "date":
        return _date(value, spec)
    if spec.choices and value not in {code for code, _ in spec.choices}:
        raise OrderError(
            f"Incorrect {spec.name}",
            field=spec.name,
            detail=f"Choose a valid {spec.label.lower()}.",
        )
    return value


def _date(value: str, spec: Field) -> str:
    try:
        day = datetime.strptime(value, "%d/%m/%Y").date()  # noqa: DTZ007 (a calendar day)
    except ValueError:
        raise OrderError(
            f"Incorrect {spec.name}", field=spec.name, detail="Use day/month/year."
        ) from None
    return day.strftime("%d/%m/%Y")


def _quantity(service: Service, spec: TypeSpec, fields: Mapping[str, str], extra: dict) -> int:
    if spec.quantity is None:
        return 1
    if spec.quantity == "quantity":
        quantity = parse_count(fields.get("quantity"), field="quantity", label="Quantity")
    else:
        quantity = len(extra[spec.quantity].splitlines())
    _check_bounds(service, quantity)
    if service.step and quantity % service.step:
        raise OrderError(
            "Incorrect quantity",
            field="quantity",
            detail=f"Quantity must be a multiple of {service.step}.",
        )
    return quantity


def _check_bounds(service: Service, quantity: int, field: str = "quantity") -> None:
    if quantity < service.min:
        raise OrderError(f"Quantity less than minimal {service.min}", field=field)
    if quantity > service.max:
        raise OrderError(f"Quantity more than maximum {service.max}", field=field)


def _dripfeed(
    service: Service, spec: TypeSpec, fields: Mapping[str, str]
) -> tuple[int | None, int | None]:
    raw_runs = str(fields.get("runs") or "").strip()
    if not raw_runs:
        return None, None
    if not (spec.dripfeed and service.dripfeed):
        raise OrderError("Incorrect runs", field="runs", detail="This service cannot be drip-fed.")
    runs = parse_count(raw_runs, field="runs", label="Runs", upto=MAX_RUNS)
    if runs < 2:
        raise OrderError("Incorrect runs", field="runs", detail="Drip-feed needs at least 2 runs.")
    interval = parse_count(
        fields.get("interval"), field="interval", label="Interval", upto=MAX_INTERVAL
    )
    if interval < 1:
        raise OrderError(
            "Incorrect interval", field="interval", detail="The interval is at least 1 minute."
        )
    return runs, interval


def _subscription(service: Service, extra: dict[str, str]) -> OrderTerms:
    """Subscriptions pay for `max` on every post they cover (new and old)."""
    low, high = int(extra["min"]), int(extra["max"])
    _check_bounds(service, low, "min")
    _check_bounds(service, high, "max")
    if low > high:
        raise OrderError("Incorrect max", field="max", detail="Max must not be below min.")
    posts = int(extra["posts"]) + int(extra.get("old_posts") or 0)
    if not 1 <= posts <= MAX_RUNS:
        raise OrderError(
            "Incorrect posts", field="posts", detail=f"Between 1 and {MAX_RUNS} posts."
        )
    charge = order_charge(rate=service.rate, quantity=high, runs=posts)
    return OrderTerms("", high, None, None, extra, charge)


def shortfall_message(exc: ledger.InsufficientFunds, currency: str) -> str:
    return (
        f"Not enough funds on balance: this costs {exc.amount.normalize():f} {currency}, "
        f"you have {exc.balance.normalize():f} {currency}; add {exc.shortfall.normalize():f} {currency}."
    )
