"""Switchable faults: every way an upstream fails that docs/design.md must survive.

A request draws at most one *outcome* fault, in this order, from one roll of the fault RNG:
``drop`` (hang up before processing), ``error`` (a definitive error, nothing created),
``html`` / ``status_500`` / ``empty`` / ``garbage`` / ``nested`` (a broken answer; by default *after*
processing, so an ``add`` did create its order), ``reset_after`` (process, then hang up) and
``blackhole`` (process, then hold the connection silent). ``latency_ms`` and ``drip_seconds``
apply on top to every answer that is sent.
"""

from __future__ import annotations

import json
import random
import threading
from dataclasses import asdict, dataclass, fields
from typing import Any

from sandbox.replies import BAD_GATEWAY_HTML, Reply, error_reply, json_reply

API_ACTIONS = ("services", "add", "status", "refill", "refill_status", "cancel", "balance")
OUTCOMES = (
    "drop", "error", "html", "status_500", "empty", "garbage", "nested", "reset_after",
    "blackhole",
)  # fmt: skip
BROKEN = frozenset({"html", "status_500", "empty", "garbage", "nested"})
# JSON nested 100,000 deep: json's decoder gives up with a RecursionError, not a ValueError.
NESTED = b"[" * 100_000 + b"]" * 100_000
NOT_ENOUGH_FUNDS = "Not enough funds on balance"
# Plausible definitive refusals: the request was understood and nothing was created.
ERRORS = {
    "add": (
        "Active order with this link exists",
        "Service is temporarily disabled",
        "Incorrect link",
    ),
    "status": ("Incorrect order ID",),
    "refill": ("Order not eligible for refill",),
    "refill_status": ("Incorrect refill ID",),
    "cancel": ("Incorrect order ID",),
}
PHP_WARNING = (
    b"<br />\n<b>Warning</b>:  mysqli_connect(): (HY000/2002): Connection refused in "
    b"<b>/var/www/html/api/v2.php</b> on line <b>12</b><br />\n"
)


@dataclass(frozen=True)
class Faults:
    error_rate: float = 0.0
    html_rate: float = 0.0
    status_500_rate: float = 0.0
    empty_rate: float = 0.0
    garbage_rate: float = 0.0
    nested_rate: float = 0.0
    drop_rate: float = 0.0
    reset_after_rate: float = 0.0
    blackhole_rate: float = 0.0
    blackhole_seconds: float = 30.0
    latency_ms: float = 0.0
    drip_seconds: float = 0.0
    funds: bool = False  # answer every add with "Not enough funds on balance"
    long_ids: bool = False  # `add` and `refill` answer their id with 100 more digits
    unique_links: bool = False  # refuse a second active order on the same service and link
    processed: bool = True  # html/500/empty/garbage happen after the request was processed
    error_message: str | None = None  # fixed text for error_rate instead of a plausible one
    actions: tuple[str, ...] = API_ACTIONS
    seed: int | None = None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Faults:
        """Validate a JSON fault set; unknown keys and out-of-range rates are errors."""
        known = {f.name: f for f in fields(cls)}
        unknown = sorted(set(data) - set(known))
        if unknown:
            raise ValueError(f"unknown fault(s) {unknown}; known: {sorted(known)}")
        values = {name: _coerce(name, value) for name, value in data.items()}
        return cls(**values)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["actions"] = list(self.actions)
        return data


def _coerce(name: str, value: Any) -> Any:
    if name == "actions":
        actions = value.split(",") if isinstance(value, str) else list(value)
        actions = [str(action).strip() for action in actions if str(action).strip()]
        bad = sorted(set(actions) - set(API_ACTIONS))
        if bad:
            raise ValueError(f"unknown action(s) {bad}")
        return tuple(actions)
    if name in ("funds", "unique_links", "processed", "long_ids"):
        return _bool(value)
    if name in ("error_message",):
        return None if value is None else str(value)
    if name == "seed":
        return None if value is None else int(value)
    number = float(value)
    if name.endswith("_rate") and not 0.0 <= number <= 1.0:
        raise ValueError(f"{name} must be between 0 and 1")
    if number < 0:
        raise ValueError(f"{name} must be >= 0")
    return number


def _bool(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on")
    return bool(value)


def parse_cli(pairs: list[str]) -> dict[str, Any]:
    """``--fault error_rate=0.1 --fault actions=add,status`` → a dict for Faults.from_dict."""
    data: dict[str, Any] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep:
            raise ValueError(f"--fault expects NAME=VALUE, got {pair!r}")
        data[name.strip()] = value.strip()
    return data


@dataclass(frozen=True)
class Draw:
    """What happens to one request."""

    kind: str | None = None  # one of OUTCOMES, "funds", or None
    latency: float = 0.0  # seconds
    drip: float = 0.0  # seconds
    hold: float = 0.0  # seconds a blackhole keeps the connection
    processed: bool = True
    message: str = ""
    variant: float = 0.0  # picks among the forms of a broken answer
    long_id: bool = False  # the answer's order or refill id made too long to store

    def before(self) -> Reply | None:
        """The answer when the request must not be processed at all (None: process it)."""
        if self.kind == "error":
            return error_reply(self.message)
        if self.kind == "funds":
            return error_reply(NOT_ENOUGH_FUNDS)
        if self.kind in BROKEN and not self.processed:
            return self.after(json_reply({}))
        return None

    def after(self, reply: Reply) -> Reply:
        """The real answer, broken as drawn."""
        if self.long_id:
            reply = _long_id(reply)
        if self.kind == "html":
            return Reply(BAD_GATEWAY_HTML, 502, "text/html")
        if self.kind == "status_500":
            if self.variant < 0.5:
                return json_reply({"error": "Internal Server Error"}, 500)
            return Reply(b"Internal Server Error", 500, "text/plain")
        if self.kind == "empty":
            return Reply(b"", 200)
        if self.kind == "garbage":
            return _garbage(reply, self.variant)
        if self.kind == "nested":
            return Reply(NESTED, 200)
        return reply


def _long_id(reply: Reply) -> Reply:
    """{"order": 10001} → {"order": "10001000…0"} (101 more characters than any column holds)."""
    try:
        answer = json.loads(reply.body)
    except ValueError:
        return reply
    if isinstance(answer, dict):
        for key in ("order", "refill"):
            if key in answer and not isinstance(answer[key], dict):
                answer[key] = f"{answer[key]}{'0' * 100}"
    return json_reply(answer, reply.status)


def _garbage(reply: Reply, variant: float) -> Reply:
    """Truncated JSON, or a PHP warning printed before the JSON (both seen in the wild)."""
    if variant < 0.5:
        return Reply(reply.body[: max(1, len(reply.body) // 2)], 200)
    return Reply(PHP_WARNING + reply.body, 200, "text/html; charset=UTF-8")


class FaultState:
    """The current fault set and its own RNG (seedable, separate from the catalog's)."""

    def __init__(self, faults: Faults | None = None) -> None:
        self._lock = threading.Lock()
        self.replace(faults or Faults())

    def replace(self, faults: Faults) -> None:
        with self._lock:
            self.faults = faults
            self._rng = random.Random(faults.seed)

    def draw(self, action: str) -> Draw:
        with self._lock:
            faults = self.faults
            if action not in faults.actions:
                return Draw()
            roll, variant = self._rng.random(), self._rng.random()
            message = faults.error_message or self._rng.choice(
                ERRORS.get(action, ("Incorrect request",))
            )
        return Draw(
            kind=_pick(faults, roll, action),
            latency=faults.latency_ms / 1000.0,
            drip=faults.drip_seconds,
            hold=faults.blackhole_seconds,
            processed=faults.processed,
            message=message,
            variant=variant,
            long_id=faults.long_ids and action in ("add", "refill"),
        )


def _pick(faults: Faults, roll: float, action: str) -> str | None:
    threshold = 0.0
    for kind in OUTCOMES:
        threshold += getattr(faults, f"{kind}_rate")
        if roll < threshold:
            return kind
    return "funds" if faults.funds and action == "add" else None
