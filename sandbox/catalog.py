"""The sandbox's catalog: deterministic from a seed, realistic, in every wire variant.

Real providers disagree on how they write a service (numbers as strings or not, booleans as
``true``/``1``/``"1"``, missing ``desc``/``cancel``/``dripfeed``). Each generated service
carries a ``WireStyle`` so the ``services`` answer mixes all of them, and the panel's client
is exercised against every form on every sync.
"""

from __future__ import annotations

import json
import math
import random
import threading
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from sandbox.replies import CHALLENGE_HTML, Reply, json_reply

BREAK_MODES = (
    "html", "empty", "shape", "bad_rate", "negative_min",
    # Hostile, each on a few rows: text with NUL and control characters, an id too long for
    # any column, a rate of 0, a rate no money column holds, a nesting deeper than any answer.
    "control", "long_id", "zero_rate", "huge_rate", "nested",
)  # fmt: skip
FLAT_TYPES = frozenset({"Package", "Custom Comments Package"})
COUNTED_TYPES = frozenset({"Custom Comments", "Mentions Custom List", "Comment Replies"})
DRIPFEED_TYPES = frozenset({"Default", "Web Traffic"})
MENTIONS = (
    "Mentions",
    "Mentions with Hashtags",
    "Mentions Custom List",
    "Mentions Hashtag",
    "Mentions User Followers",
    "Mentions Media Likers",
)
COMMENTS = ("Custom Comments", "Custom Comments Package", "Comment Likes", "Comment Replies")

# (platform, kind, types offered; the first is the usual one). About 50 categories.
CATEGORIES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("Instagram", "Followers", ("Default", "Package")),
    ("Instagram", "Likes", ("Default", "Package")),
    ("Instagram", "Views", ("Default",)),
    ("Instagram", "Story Views", ("Default",)),
    ("Instagram", "Reels Views", ("Default",)),
    ("Instagram", "Comments", COMMENTS),
    ("Instagram", "Mentions", MENTIONS),
    ("Instagram", "Auto Likes", ("Subscriptions",)),
    ("Instagram", "Saves", ("Default",)),
    ("Instagram", "Live Views", ("Default",)),
    ("YouTube", "Views", ("Default",)),
    ("YouTube", "Subscribers", ("Default",)),
    ("YouTube", "Likes", ("Default",)),
    ("YouTube", "Comments", ("Custom Comments", "Comment Likes", "Comment Replies")),
    ("YouTube", "Watch Time", ("Default",)),
    ("YouTube", "Live Stream", ("Default",)),
    ("YouTube", "Shorts Views", ("Default",)),
    ("YouTube", "Auto Views", ("Subscriptions",)),
    ("TikTok", "Followers", ("Default", "Package")),
    ("TikTok", "Likes", ("Default",)),
    ("TikTok", "Views", ("Default",)),
    ("TikTok", "Comments", ("Custom Comments", "Custom Comments Package", "Comment Likes")),
    ("TikTok", "Shares", ("Default",)),
    ("TikTok", "Saves", ("Default",)),
    ("TikTok", "Live Views", ("Default",)),
    ("TikTok", "Auto Likes", ("Subscriptions",)),
    ("Telegram", "Members", ("Default", "Invites from Groups", "Package")),
    ("Telegram", "Post Views", ("Default",)),
    ("Telegram", "Reactions", ("Default",)),
    ("Telegram", "Poll Votes", ("Poll",)),
    ("Telegram", "Auto Views", ("Subscriptions",)),
    ("Facebook", "Page Likes", ("Default",)),
    ("Facebook", "Followers", ("Default",)),
    ("Facebook", "Post Likes", ("Default",)),
    ("Facebook", "Group Members", ("Default", "Invites from Groups")),
    ("Facebook", "Comments", ("Custom Comments", "Comment Replies")),
    ("Facebook", "Video Views", ("Default",)),
    ("Facebook", "Poll Votes", ("Poll",)),
    ("Twitter", "Followers", ("Default",)),
    ("Twitter", "Likes", ("Default",)),
    ("Twitter", "Retweets", ("Default",)),
    ("Twitter", "Views", ("Default",)),
    ("Twitter", "Poll Votes", ("Poll",)),
    ("Twitter", "Comments", ("Custom Comments", "Comment Replies")),
    ("Spotify", "Plays", ("Default",)),
    ("Spotify", "Followers", ("Default",)),
    ("Spotify", "Monthly Listeners", ("Default",)),
    ("Twitch", "Followers", ("Default",)),
    ("Twitch", "Live Viewers", ("Default",)),
    ("Discord", "Members", ("Default", "Invites from Groups")),
    ("LinkedIn", "Followers", ("Default",)),
    ("LinkedIn", "Connections", ("Default",)),
    ("Threads", "Followers", ("Default",)),
    ("Threads", "Likes", ("Default",)),
    ("Website", "Traffic", ("Web Traffic",)),
    ("Website", "Traffic from Google", ("Web Traffic",)),
)
PLATFORM_WEIGHT = {"Instagram": 5, "TikTok": 4, "YouTube": 4, "Telegram": 3, "Facebook": 2}
CHEAP_KINDS = ("Views", "Plays", "Traffic")
DEAR_KINDS = ("Comments", "Subscribers", "Members", "Mentions", "Watch", "Live", "Connections")
REFILL_KINDS = ("Followers", "Likes", "Subscribers", "Members", "Page Likes", "Connections")
QUALITIES = ("Real", "HQ", "Mixed Quality", "Premium", "Bots", "No Drop", "Low Drop", "Active")
COUNTRIES = ("", "", "", "USA", "Brazil", "India", "Arab", "Turkey", "Europe", "Worldwide")
SPEEDS = ("1K/Day", "5K/Day", "10K/Day", "50K/Day", "100K/Day", "Instant", "Fast")
TYPE_LABELS = {
    "Mentions": "Mentions",
    "Comment Likes": "Comment Likes",
    "Comment Replies": "Comment Replies",
    "Package": "{size} {kind} Package",
    "Custom Comments": "Custom Comments",
    "Custom Comments Package": "{size} Custom Comments Package",
    "Mentions with Hashtags": "Mentions + Hashtags",
    "Mentions Custom List": "Mentions [Custom List]",
    "Mentions Hashtag": "Mentions [Hashtag Users]",
    "Mentions User Followers": "Mentions [User Followers]",
    "Mentions Media Likers": "Mentions [Media Likers]",
    "Invites from Groups": "{kind} [Invites from Groups]",
    "Subscriptions": "{kind} [Subscription - per post]",
}


@dataclass(frozen=True)
class WireStyle:
    """How one service is written in the ``services`` answer."""

    id_as_text: bool
    rate_form: str  # "plain" "0.9", "padded" "0.90", "number" 0.9, "fixed" "0.90000"
    min_as_text: bool
    max_as_text: bool
    bools: str  # "json" true/false, "int" 1/0, "text" "1"/"0"
    omit_false: bool  # leave out cancel/dripfeed when false, as some providers do
    extra: bool  # an extra key clients must ignore


@dataclass(frozen=True)
class Service:
    id: int
    name: str
    type: str
    category: str
    rate: Decimal  # per 1000, or per package for flat types
    min: int
    max: int
    refill: bool
    cancel: bool
    dripfeed: bool
    desc: str | None
    style: WireStyle


def generate(count: int, seed: int) -> list[Service]:
    """``count`` services, identical for the same (count, seed); every type appears early."""
    rng = random.Random(seed)
    services = []
    service_id = 0
    for index in range(count):
        platform, kind, service_type = _pick_category(rng, index, count)
        service_id += 1 if rng.random() < 0.8 else rng.randint(2, 6)  # real ids have gaps
        services.append(_service(rng, service_id, platform, kind, service_type))
    return services


def _guaranteed() -> list[tuple[str, str, str]]:
    """Four rounds of every type, spread over the categories offering it."""
    types = sorted({t for _, _, offered in CATEGORIES for t in offered})
    picks = []
    for round_ in range(4):
        for service_type in types:
            offering = [(p, k) for p, k, offered in CATEGORIES if service_type in offered]
            picks.append((*offering[round_ % len(offering)], service_type))
    return picks


GUARANTEED = _guaranteed()
# Plain services dominate real catalogs; categories selling only special types are rarer.
CATEGORY_WEIGHTS = [
    PLATFORM_WEIGHT.get(platform, 1) * (1.0 if offered[0] in DRIPFEED_TYPES else 0.3)
    for platform, _, offered in CATEGORIES
]


def _pick_category(rng: random.Random, index: int, count: int) -> tuple[str, str, str]:
    """Every type is guaranteed: its picks are spread evenly through the catalog."""
    step = max(1, count // len(GUARANTEED))
    if index % step == 0 and index // step < len(GUARANTEED):
        return GUARANTEED[index // step]
    platform, kind, offered = rng.choices(CATEGORIES, CATEGORY_WEIGHTS)[0]
    weights = [3] + [1] * (len(offered) - 1) if offered[0] == "Default" else None
    return platform, kind, rng.choices(offered, weights)[0]


def _service(rng: random.Random, service_id: int, platform: str, kind: str, type_: str) -> Service:
    low, high = _bounds(rng, type_)
    refill = type_ not in FLAT_TYPES and rng.random() < (0.6 if kind in REFILL_KINDS else 0.1)
    service = Service(
        id=service_id,
        name="",
        type=type_,
        category=f"{platform} {kind}",
        rate=_rate(rng, kind, type_),
        min=low,
        max=high,
        refill=refill,
        cancel=rng.random() < 0.35,
        dripfeed=type_ in DRIPFEED_TYPES and rng.random() < 0.5,
        desc=None,
        style=_style(rng),
    )
    name = _name(rng, service, platform, kind)
    return replace(service, name=name, desc=_desc(rng, service, name))


def _bounds(rng: random.Random, type_: str) -> tuple[int, int]:
    if type_ in FLAT_TYPES:
        return 1, 1
    if type_ in COUNTED_TYPES:
        return rng.choice((1, 5, 10)), rng.choice((100, 250, 500, 1000, 2000))
    if type_ == "Subscriptions":
        return rng.choice((50, 100)), rng.choice((1000, 5000, 10000, 50000, 100000))
    low = rng.choice((10, 10, 20, 50, 50, 100, 100, 250, 500, 1000))
    high = rng.choice((1000, 5000, 10000, 20000, 50000, 100000, 500000, 1000000, 10000000))
    return low, max(high, low * 10)


def _rate(rng: random.Random, kind: str, type_: str) -> Decimal:
    """Log-uniform in a band that depends on what is sold, with 2 to 5 decimals."""
    if type_ in FLAT_TYPES:
        low, high = 0.5, 60.0
    elif any(word in kind for word in CHEAP_KINDS):
        low, high = 0.001, 2.0
    elif any(word in kind for word in DEAR_KINDS) or type_ != "Default":
        low, high = 0.5, 50.0
    else:
        low, high = 0.05, 10.0
    value = math.exp(rng.uniform(math.log(low), math.log(high)))
    places = rng.choice((2, 3, 4, 4, 5))
    while round(value, places) == 0:  # cheap services need more decimals to stay non-zero
        places += 1
    return Decimal(str(round(value, places)))


def _style(rng: random.Random) -> WireStyle:
    return WireStyle(
        id_as_text=rng.random() < 0.2,
        rate_form=rng.choices(("plain", "padded", "number", "fixed"), (30, 35, 25, 10))[0],
        min_as_text=rng.random() < 0.7,
        max_as_text=rng.random() < 0.7,
        bools=rng.choices(("json", "int", "text"), (60, 20, 20))[0],
        omit_false=rng.random() < 0.25,
        extra=rng.random() < 0.1,
    )


def _name(rng: random.Random, service: Service, platform: str, kind: str) -> str:
    size = rng.choice((100, 250, 500, 1000, 2500, 5000, 10))
    label = TYPE_LABELS.get(service.type, "{kind}").format(kind=kind, size=size)
    tags = [rng.choice(QUALITIES), rng.choice(COUNTRIES)]
    if service.type not in FLAT_TYPES:
        tags += [f"Max {_human(service.max)}", rng.choice(SPEEDS)]
    tags.append(rng.choice(("R30", "R60", "R365", "Lifetime")) if service.refill else "No Refill")
    tags = [tag for tag in tags if tag]
    if rng.random() < 0.5:
        name = " | ".join([f"{platform} {label}", *tags])
    else:
        name = f"{platform} {label} " + " ".join(f"[{tag}]" for tag in tags)
    return rng.choice(("", "", "", "\U0001f525 ", "\u26a1 ")) + name


def _desc(rng: random.Random, service: Service, name: str) -> str | None:
    roll = rng.random()
    if roll < 0.15:
        return None
    if roll < 0.2:
        return ""
    start = rng.choice(("0-1 hour", "0-6 hours", "Instant", "0-24 hours"))
    refill = "30 days" if service.refill else "No refill"
    return f"{name}\nStart: {start}\nMin {service.min} / Max {service.max}\nRefill: {refill}"


def _human(number: int) -> str:
    if number >= 1_000_000:
        return f"{number // 1_000_000}M"
    return f"{number // 1000}K" if number >= 1000 else str(number)


def to_wire(service: Service) -> dict[str, Any]:
    """The service as this provider writes it, following the service's WireStyle."""
    style = service.style
    data: dict[str, Any] = {
        "service": str(service.id) if style.id_as_text else service.id,
        "name": service.name,
        "type": service.type,
        "category": service.category,
        "rate": _wire_rate(service.rate, style.rate_form),
        "min": str(service.min) if style.min_as_text else service.min,
        "max": str(service.max) if style.max_as_text else service.max,
    }
    if service.desc is not None:
        data["desc"] = service.desc
    data["refill"] = _wire_bool(service.refill, style.bools)
    for flag in ("cancel", "dripfeed"):
        value = getattr(service, flag)
        if value or not style.omit_false:
            data[flag] = _wire_bool(value, style.bools)
    if style.extra:
        data["average_time"] = "3 hours 12 minutes"
    return data


def _wire_rate(rate: Decimal, form: str) -> Any:
    if form == "number":
        # A JSON number: json writes the shortest float repr, which is the same decimal text.
        return int(rate) if rate == rate.to_integral_value() else float(rate)
    if form == "fixed":
        return f"{rate:.5f}"
    if form == "padded" and int(rate.as_tuple().exponent) > -2:
        return f"{rate:.2f}"
    return format(rate.normalize(), "f")


def _wire_bool(value: bool, style: str) -> Any:
    if style == "int":
        return int(value)
    if style == "text":
        return "1" if value else "0"
    return value


class Catalog:
    """The live catalog: generated services plus the edits made through /control/catalog."""

    def __init__(
        self,
        count: int,
        seed: int,
        *,
        removed: list[int] | None = None,
        rates: dict[str, str] | None = None,
        broken: str | None = None,
    ) -> None:
        self.count = count
        self.seed = seed
        self.removed = set(removed or ())
        self.rates = dict(rates or {})
        self.broken = broken
        self._lock = threading.Lock()
        self._generated = generate(count, seed)
        self._apply_edits()

    def get(self, service_id: int) -> Service | None:
        return self._by_id.get(service_id)

    def services(self) -> list[Service]:
        return list(self._by_id.values())

    def config(self) -> dict[str, Any]:
        """What is persisted so a restart serves the same catalog."""
        return {
            "services": self.count,
            "seed": self.seed,
            "removed": sorted(self.removed),
            "rates": self.rates,
            "break": self.broken,
        }

    def remove(self, ids: list[int]) -> None:
        with self._lock:
            self.removed.update(ids)
            self._apply_edits()

    def reprice(self, rates: dict[str, str]) -> None:
        with self._lock:
            self.rates.update({str(key): str(Decimal(str(value))) for key, value in rates.items()})
            self._apply_edits()

    def set_break(self, mode: str | None) -> None:
        with self._lock:
            self.broken = mode

    def answer(self) -> Reply:
        """The ``services`` answer; the bytes are built once per catalog state and break mode."""
        mode = self.broken
        with self._lock:
            if mode not in self._answers:
                self._answers[mode] = _render(list(self._by_id.values()), mode)
            return self._answers[mode]

    def _apply_edits(self) -> None:
        by_id = {}
        for service in self._generated:
            if service.id in self.removed:
                continue
            rate = self.rates.get(str(service.id))
            by_id[service.id] = replace(service, rate=Decimal(rate)) if rate else service
        self._by_id = by_id
        self._answers: dict[str | None, Reply] = {}


def _render(services: list[Service], mode: str | None) -> Reply:
    if mode == "html":
        return Reply(CHALLENGE_HTML, 200, "text/html; charset=UTF-8")
    if mode == "empty":
        return Reply(b"", 200)
    wire = [to_wire(service) for service in services]
    for index in range(0, len(wire), 97):  # a few broken rows, not all: skip them, keep the rest
        if mode == "bad_rate":
            wire[index]["rate"] = "abc"
        elif mode == "negative_min":
            wire[index]["min"] = "-10"
        elif mode == "control":
            wire[index]["name"] = "Bad\u0000name\u001b[31m"
            wire[index]["category"] += "\u0000"
        elif mode == "long_id":
            wire[index]["service"] = f"{wire[index]['service']}{'9' * 100}"
        elif mode == "zero_rate":
            wire[index]["rate"] = "0"
        elif mode == "huge_rate":
            wire[index]["rate"] = "99999999999999999"
    if mode == "nested":  # json's decoder gives up on it with a RecursionError
        return Reply(b"[" * 100_000 + b"]" * 100_000)
    if mode == "shape":
        return json_reply({str(row["service"]): row for row in wire})
    return Reply(json.dumps(wire, separators=(",", ":")).encode())
