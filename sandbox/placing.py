"""Validating an ``add`` request against its service's type, and pricing it.

Every API v2 service type takes a different set of fields (docs/api.md, "Service types").
The table below says, per type, which fields are required and where the quantity comes from;
one generic validator applies it, and two types with extra rules get a small function each.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from decimal import ROUND_UP, Decimal

from sandbox.catalog import Service

MAX_RUNS = 1000
MAX_INTERVAL_MINUTES = 7 * 24 * 60
MAX_POSTS = 500
CENT = Decimal("0.00001")
LINK_RE = re.compile(r"^(https?://)?[^\s/]+\.[^\s/.]+(/\S*)?$", re.IGNORECASE)


class ApiError(Exception):
    """A definitive API v2 error: answered as ``{"error": message}``."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class TypeSpec:
    texts: tuple[str, ...] = ()  # required one-line fields
    lines: tuple[str, ...] = ()  # required fields holding one item per line
    quantity: str | None = "quantity"  # "quantity", a lines field counted, or None (one package)
    flat: bool = False  # the rate is the price of the whole order
    link: bool = True


TYPE_SPECS: dict[str, TypeSpec] = {
    "Default": TypeSpec(),
    "Package": TypeSpec(quantity=None, flat=True),
    "Custom Comments": TypeSpec(lines=("comments",), quantity="comments"),
    "Custom Comments Package": TypeSpec(lines=("comments",), quantity="comments", flat=True),
    "Mentions": TypeSpec(lines=("usernames",)),
    "Mentions with Hashtags": TypeSpec(lines=("usernames", "hashtags")),
    "Mentions Custom List": TypeSpec(lines=("usernames",), quantity="usernames"),
    "Mentions Hashtag": TypeSpec(texts=("hashtag",)),
    "Mentions User Followers": TypeSpec(texts=("username",)),
    "Mentions Media Likers": TypeSpec(texts=("media",)),
    "Comment Likes": TypeSpec(texts=("username",)),
    "Comment Replies": TypeSpec(texts=("username",), lines=("comments",), quantity="comments"),
    "Poll": TypeSpec(texts=("answer_number",)),
    "Invites from Groups": TypeSpec(lines=("groups",)),
    "Subscriptions": TypeSpec(texts=("username",), link=False),
    "Web Traffic": TypeSpec(),
}
SERVICE_TYPES = tuple(TYPE_SPECS)


@dataclass(frozen=True)
class Child:
    """A delivery the order is split into (a drip-feed run, a subscription's post)."""

    offset: float  # simulated seconds after the order was created
    quantity: int
    charge: Decimal
    outcome: str = "Completed"


@dataclass(frozen=True)
class Placement:
    service: Service
    link: str
    quantity: int  # per run for drip-feed
    charge: Decimal
    runs: int = 1
    interval: int = 0
    expires: float | None = None  # simulated time a subscription expires
    children: tuple[Child, ...] = field(default=())
    outcome: str | None = None  # how a drip-feed ends, drawn when it is placed
    stops_after: float | None = None  # a drip-feed drawn Canceled stops this long after placing


def place(service: Service, fields: dict[str, str], now: float, rng: random.Random) -> Placement:
    """Check ``fields`` for ``service``'s type; raise ApiError with the provider's text."""
    spec = TYPE_SPECS[service.type]
    link = _link(fields) if spec.link else fields.get("username", "").strip()
    for name in spec.texts:
        _text(fields, name)
    for name in spec.lines:
        _lines(fields, name)
    if service.type == "Subscriptions":
        return _subscription(service, fields, now, rng)
    if service.type == "Poll":
        _positive_int(fields.get("answer_number"), "Incorrect answer_number")
    if service.type == "Web Traffic":
        _traffic(fields)
    quantity = _quantity(spec, fields)
    if not spec.flat:
        _check_bounds(service, quantity)
    runs, interval = _dripfeed(service, fields)
    charge = money(service.rate) if spec.flat else money(service.rate * quantity / 1000)
    placement = Placement(service, link, quantity, charge * runs, runs, interval)
    return _with_runs(placement, rng) if runs > 1 else placement


def _with_runs(placement: Placement, rng: random.Random) -> Placement:
    """A drip-feed's runs, and how the feed ends: all Completed, the last run Partial, or
    (rarely) Canceled early so that later runs never start."""
    roll = rng.random()
    outcome = "Canceled" if roll < 0.05 else "Partial" if roll < 0.15 else "Completed"
    per_run = placement.charge / placement.runs
    last = placement.runs - 1
    children = tuple(
        Child(
            offset=i * placement.interval * 60.0,
            quantity=placement.quantity,
            charge=per_run,
            outcome="Partial" if outcome == "Partial" and i == last else "Completed",
        )
        for i in range(placement.runs)
    )
    stops_after = rng.uniform(40.0, 180.0) if outcome == "Canceled" else None
    return replace(placement, children=children, outcome=outcome, stops_after=stops_after)


def money(amount: Decimal) -> Decimal:
    """Providers never undercharge: round up to the 5 decimals they report."""
    return amount.quantize(CENT, rounding=ROUND_UP)


def _link(fields: dict[str, str]) -> str:
    link = fields.get("link", "").strip()
    if len(link) > 2000 or not LINK_RE.match(link):
        raise ApiError("Incorrect link")
    return link


def _text(fields: dict[str, str], name: str) -> str:
    value = fields.get(name, "").strip()
    if not value:
        raise ApiError(f"Incorrect {name}")
    return value


def _lines(fields: dict[str, str], name: str) -> list[str]:
    lines = [line.strip() for line in fields.get(name, "").splitlines() if line.strip()]
    if not lines:
        raise ApiError(f"Incorrect {name}")
    return lines


def _int(raw: str | None) -> int | None:
    """A plain decimal integer, as form fields carry it; anything else is None."""
    text = (raw or "").strip()
    return int(text) if text.isdigit() and text.isascii() else None


def _positive_int(raw: str | None, error: str, *, upto: int | None = None) -> int:
    value = _int(raw)
    if value is None or value < 1 or (upto is not None and value > upto):
        raise ApiError(error)
    return value


def _quantity(spec: TypeSpec, fields: dict[str, str]) -> int:
    if spec.quantity is None:
        return 1
    if spec.quantity != "quantity":
        return len(_lines(fields, spec.quantity))
    quantity = _int(fields.get("quantity"))
    if quantity is None:
        raise ApiError("Incorrect quantity")
    return quantity


def _check_bounds(service: Service, quantity: int) -> None:
    if quantity < service.min:
        raise ApiError(f"Quantity less than minimal {service.min}")
    if quantity > service.max:
        raise ApiError(f"Quantity more than maximum {service.max}")


def _dripfeed(service: Service, fields: dict[str, str]) -> tuple[int, int]:
    """(runs, interval minutes); (1, 0) when the request is not drip-fed."""
    raw_runs = fields.get("runs", "").strip()
    if not raw_runs:
        return 1, 0
    if not service.dripfeed:
        raise ApiError("Drip-feed is disabled for this service")
    runs = _positive_int(raw_runs, "Incorrect runs", upto=MAX_RUNS)
    if runs == 1:
        return 1, 0
    interval = _positive_int(
        fields.get("interval"), "Incorrect interval", upto=MAX_INTERVAL_MINUTES
    )
    return runs, interval


def _traffic(fields: dict[str, str]) -> None:
    """Web Traffic: a Google keyword or a referrer must come with the traffic type needing it."""
    kind = fields.get("type_of_traffic", "").strip()
    if kind == "1" and not fields.get("google_keyword", "").strip():
        raise ApiError("Incorrect google_keyword")
    if kind == "2" and not LINK_RE.match(fields.get("referring_url", "").strip()):
        raise ApiError("Incorrect referring_url")
    device = fields.get("device", "").strip()
    if device and device not in {"1", "2", "3", "4", "5"}:
        raise ApiError("Incorrect device")


def _subscription(
    service: Service, fields: dict[str, str], now: float, rng: random.Random
) -> Placement:
    """Subscriptions pay for ``max`` on every post they will cover (old and new)."""
    low = _int(fields.get("min"))
    high = _int(fields.get("max"))
    if low is None or high is None or low > high:
        raise ApiError("Incorrect quantity")
    _check_bounds(service, low)
    _check_bounds(service, high)
    posts = _positive_int(fields.get("posts"), "Incorrect posts", upto=MAX_POSTS)
    old_posts = _optional_count(fields, "old_posts")
    if old_posts > MAX_POSTS:
        raise ApiError("Incorrect old_posts")
    delay = _optional_count(fields, "delay") * 60.0
    expires = _expiry(fields.get("expiry", ""), now)
    children = _posts(service, rng, low, high, old_posts, posts, delay)
    return Placement(
        service=service,
        link=fields["username"].strip(),
        quantity=high,
        charge=money(service.rate * high * (posts + old_posts) / 1000),
        runs=posts + old_posts,
        expires=expires,
        children=children,
    )


def _optional_count(fields: dict[str, str], name: str) -> int:
    raw = fields.get(name, "").strip()
    if not raw:
        return 0
    value = _int(raw)
    if value is None:
        raise ApiError(f"Incorrect {name}")
    return value


def _expiry(raw: str, now: float) -> float | None:
    """``d/m/Y``; the subscription runs until the end of that (UTC) day."""
    if not raw.strip():
        return None
    try:
        day = datetime.strptime(raw.strip(), "%d/%m/%Y").replace(tzinfo=UTC)
    except ValueError:
        raise ApiError("Incorrect expiry") from None
    expires = (day + timedelta(days=1)).timestamp()
    if expires <= now:
        raise ApiError("Incorrect expiry")
    return expires


def _posts(
    service: Service,
    rng: random.Random,
    low: int,
    high: int,
    old_posts: int,
    posts: int,
    delay: float,
) -> tuple[Child, ...]:
    """Old posts are served right away; a new post shows up every 10-60 simulated minutes."""
    offsets = [delay + 5.0 * i for i in range(old_posts)]
    at = delay
    for _ in range(posts):
        at += rng.uniform(600, 3600)
        offsets.append(at)
    children = []
    for offset in offsets:
        quantity = rng.randint(low, high)
        children.append(Child(offset, quantity, money(service.rate * quantity / 1000)))
    return tuple(children)
