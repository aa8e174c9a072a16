"""How orders, drip-feeds, subscriptions and refills progress over simulated time.

Nothing runs in the background: every answer is computed when asked, from the order's
creation time, a plan drawn from (sandbox seed, order id) and the simulated clock. So a
million orders cost nothing until polled, and ``advance`` finishes them instantly.

A plain order is Pending for about a minute, then In progress (a few show Processing first)
with ``remains`` falling linearly, and reaches its outcome 5-30 minutes after creation:
about 85% Completed, 10% Partial, 5% Canceled.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sandbox.replies import CURRENCY
from sandbox.store import Order, Refill

FINISHED = frozenset({"Completed", "Partial", "Canceled", "Expired"})


@dataclass(frozen=True, slots=True)
class Plan:
    starts: float  # simulated seconds after creation when delivery starts
    ends: float  # when the order reaches its outcome
    outcome: str
    partial_share: float  # part of the quantity a Partial order delivers
    start_count: int
    processing: float  # seconds of "Processing" shown after the start (0 for most orders)
    numbers: bool  # answer start_count/remains as JSON numbers, as some providers do


@lru_cache(maxsize=262_144)
def plan(seed: int, order_id: int) -> Plan:
    rng = random.Random(seed * 1_000_003 + order_id)
    starts = rng.uniform(40.0, 80.0)
    roll = rng.random()
    outcome = "Canceled" if roll < 0.05 else "Partial" if roll < 0.15 else "Completed"
    ends = rng.uniform(300.0, 1800.0)
    cancel_after = rng.uniform(0.0, 120.0)
    return Plan(
        starts=starts,
        ends=starts + cancel_after if outcome == "Canceled" else ends,
        outcome=outcome,
        partial_share=rng.uniform(0.2, 0.9),
        start_count=int(10 ** rng.uniform(1.0, 5.0)),
        processing=rng.uniform(10.0, 60.0) if rng.random() < 0.2 else 0.0,
        numbers=rng.random() < 0.25,
    )


@dataclass(frozen=True, slots=True)
class State:
    status: str
    delivered: int
    total: int
    start_count: int
    started: tuple[int, ...] = ()  # child orders already created (drip-feed runs, posts)

    @property
    def remains(self) -> int:
        return self.total - self.delivered

    @property
    def finished(self) -> bool:
        return self.status in FINISHED


def order_state(order: Order, children: list[Order], now: float, seed: int) -> State:
    """The true state, before any override from /control/orders/<id>."""
    if order.type == "Subscriptions" and order.parent_id is None:
        return _subscription(order, children, now, seed)
    if order.runs > 1:
        return _dripfeed(order, children, now, seed)
    return _single(order, now, seed)


def status_answer(order: Order, children: list[Order], now: float, seed: int) -> dict[str, Any]:
    """The ``status`` answer for one order, overrides applied last (they may be garbage)."""
    override = order.override or {}
    if "error" in override:
        return {"error": override["error"]}
    state = order_state(order, children, now, seed)
    answer = _answer(order, state, plan(seed, order.id).numbers)
    answer.update(override)
    return answer


def _answer(order: Order, state: State, numbers: bool) -> dict[str, Any]:
    def number(value: int) -> int | str:
        return value if numbers else str(value)

    if order.type == "Subscriptions" and order.parent_id is None:
        return {
            "charge": order.charge,
            "status": state.status,
            "posts": str(len(state.started)),
            "orders": list(state.started),
            "currency": CURRENCY,
        }
    answer: dict[str, Any] = {
        "charge": order.charge,
        "start_count": number(state.start_count),
        "status": state.status,
        "remains": number(state.remains),
        "currency": CURRENCY,
    }
    if order.runs > 1:
        answer["runs"] = str(len(state.started))
        answer["orders"] = list(state.started)
    return answer


def started(order: Order, now: float) -> bool:
    """A drip-feed run or a subscription post exists once its time has come, unless its
    parent stopped (canceled, expired) before that."""
    if order.parent_id is None:
        return True
    return order.created <= min(now, order.canceled_at or now, order.expires or now)


def _single(order: Order, now: float, seed: int) -> State:
    """One delivery; ``canceled_at`` freezes it, ``outcome`` (set on runs) forces its end."""
    p = plan(seed, order.id)
    stop = order.canceled_at
    elapsed = (now if stop is None else min(now, stop)) - order.created
    quantity = order.quantity
    outcome = order.outcome or p.outcome
    if elapsed < p.starts:
        status, delivered = "Pending", 0
    elif elapsed < p.ends:
        progress = (elapsed - p.starts) / (p.ends - p.starts)
        delivered = int(_share(p, outcome, quantity) * progress)
        status = "Processing" if elapsed - p.starts < p.processing else "In progress"
    else:
        status, delivered = outcome, _share(p, outcome, quantity)
        if status == "Partial" and not 0 < delivered < quantity:
            status = "Completed"  # a single unit cannot be partly delivered
    if stop is not None and now >= stop and status not in FINISHED:
        status = "Partial" if delivered else "Canceled"
    start_count = p.start_count if elapsed >= p.starts else 0
    return State(status, delivered, quantity, start_count)


def _share(p: Plan, outcome: str, quantity: int) -> int:
    """How many units the order has delivered once it reaches ``outcome``."""
    if outcome == "Completed":
        return quantity
    if outcome == "Partial":
        return min(max(round(quantity * p.partial_share), 1), quantity - 1)
    return 0


def _dripfeed(order: Order, children: list[Order], now: float, seed: int) -> State:
    """The sum of its runs; a stop (cancel) ends it Partial or Canceled."""
    runs = [child for child in children if started(child, now)]
    states = [_single(child, now, seed) for child in runs]
    delivered = sum(state.delivered for state in states)
    total = order.quantity * order.runs
    if order.canceled_at is not None and now >= order.canceled_at:
        status = "Partial" if delivered else "Canceled"
    elif len(runs) == len(children) and all(state.finished for state in states):
        status = "Completed" if delivered == total else "Partial" if delivered else "Canceled"
    elif all(state.status == "Pending" for state in states):
        status = "Pending"
    else:
        status = "In progress"
    start_count = states[0].start_count if states else 0
    return State(status, delivered, total, start_count, tuple(run.id for run in runs))


def _subscription(order: Order, children: list[Order], now: float, seed: int) -> State:
    """Active while posts keep coming; Completed after the last one, Expired at ``expiry``."""
    posts = [child for child in children if started(child, now)]
    states = [_single(child, now, seed) for child in posts]
    if order.canceled_at is not None and now >= order.canceled_at:
        status = "Canceled"
    elif len(posts) == len(children) and all(state.finished for state in states):
        status = "Completed"
    elif order.expires is not None and now >= order.expires:
        status = "Expired"
    else:
        status = "Active"
    delivered = sum(state.delivered for state in states)
    total = sum(child.quantity for child in children)
    return State(status, delivered, total, 0, tuple(post.id for post in posts))


@lru_cache(maxsize=65_536)
def refill_plan(seed: int, refill_id: int) -> tuple[float, float, str]:
    """(starts, ends, outcome): Pending ~1 min, In progress, then Completed or Rejected."""
    rng = random.Random(seed * 2_000_003 + refill_id)
    starts = rng.uniform(30.0, 90.0)
    ends = starts + rng.uniform(60.0, 900.0)
    return starts, ends, "Rejected" if rng.random() < 0.15 else "Completed"


def refill_status(refill: Refill, now: float, seed: int) -> str:
    starts, ends, outcome = refill_plan(seed, refill.id)
    elapsed = now - refill.created
    if elapsed < starts:
        return "Pending"
    return "In progress" if elapsed < ends else outcome
