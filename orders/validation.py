"""Checking an order's fields against its service: type, limits, step, drip-feed. The one judge
of an order's terms and its charge, for the order page, the mass order and /api/v2 `add`
alike (orders/placing.py places what it accepts).
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from urllib.parse import urlsplit

from catalog.models import Service
from panel.money import order_charge

from .types import Field, TypeSpec, spec_for

MAX_QUANTITY = 2**31 - 1
MAX_LINK = 2000
MAX_RUNS = 1000
MAX_INTERVAL = 7 * 24 * 60  # minutes
MAX_TEXT = 5000  # a comments or usernames field
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


def validate(service: Service, fields: Mapping[str, str]) -> OrderTerms:
    """Check `fields` against the service's type, limits and step; price the order."""
    if not service.rate > 0:  # off sale (catalog/pricing.py), even if a stale row says not
        raise OrderError(
            "Incorrect service ID", field="service", detail="This service is not available."
        )
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
        quantity = parse_quantity(service, fields.get("quantity"))
        what = "The quantity"
    else:
        quantity = len(extra[spec.quantity].splitlines())
        what = f"The number of lines ({quantity:,})"
    _check_bounds(service, quantity, what=what)
    if service.step and quantity % service.step:
        raise OrderError(
            "Incorrect quantity",
            field="quantity",
            detail=f"{what} must be a multiple of {service.step:,}.",
        )
    return quantity


def parse_quantity(service: Service, raw: object) -> int:
    """The quantity field: plain digits. The customer's text names the service's own limits
    for each way it can be wrong; the API's text stays the protocol's "Incorrect quantity"."""
    text = str(raw if raw is not None else "").strip()
    limits = f"from {max(1, service.min):,} to {service.max:,}"
    if DIGITS.fullmatch(text) and int(text) <= MAX_QUANTITY:
        return int(text)
    if not text:
        detail = f"Enter the quantity: a whole number {limits}."
    elif text.isascii() and text.isdigit():  # digits, but more than any service sells
        detail = f"The quantity is above the maximum of {service.max:,}."
    elif re.fullmatch(r"-\s*[0-9.,]+", text):
        detail = f"The quantity cannot be negative: enter a whole number {limits}."
    elif re.fullmatch(r"[0-9]{1,3}([,_ ][0-9]{3})+", text):
        detail = f"Enter the quantity without separators (1000, not 1,000): {limits}."
    elif re.fullmatch(r"[0-9]*\.[0-9]+", text):
        detail = f"The quantity must be a whole number, without decimals: {limits}."
    else:
        detail = f"Enter the quantity in digits only (like 1000): {limits}."
    raise OrderError("Incorrect quantity", field="quantity", detail=detail)


def _check_bounds(
    service: Service, quantity: int, field: str = "quantity", what: str = "The quantity"
) -> None:
    low = max(1, service.min)  # an upstream minimum of 0 must not sell nothing for nothing
    if quantity < low:
        raise OrderError(
            f"Quantity less than minimal {low}",
            field=field,
            detail=f"{what} is below the minimum of {low:,}.",
        )
    if quantity > service.max:
        raise OrderError(
            f"Quantity more than maximum {service.max}",
            field=field,
            detail=f"{what} is above the maximum of {service.max:,}.",
        )


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
    _check_bounds(service, low, "min", what="Min")
    _check_bounds(service, high, "max", what="Max")
    if low > high:
        raise OrderError("Incorrect max", field="max", detail="Max must not be below min.")
    posts = int(extra["posts"]) + int(extra.get("old_posts") or 0)
    if not 1 <= posts <= MAX_RUNS:
        raise OrderError(
            "Incorrect posts", field="posts", detail=f"Between 1 and {MAX_RUNS} posts."
        )
    charge = order_charge(rate=service.rate, quantity=high, runs=posts)
    return OrderTerms("", high, None, None, extra, charge)
