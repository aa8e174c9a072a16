"""The API v2 actions, answered exactly as docs/api.md writes them."""

from __future__ import annotations

import hmac
import json
import random
import time
from collections.abc import Callable
from typing import Any

from sandbox.app import Sandbox
from sandbox.faults import NOT_ENOUGH_FUNDS
from sandbox.placing import ApiError, Placement, place
from sandbox.replies import CURRENCY, Reply, error_reply, json_reply
from sandbox.store import NotEnoughFunds, Order
from sandbox.timeline import order_state, refill_status, started, status_answer

MAX_BULK = 100
ACTIVE_REFILLS = ("Pending", "In progress")


def handle(sandbox: Sandbox, fields: dict[str, str]) -> Reply:
    """Check the key, dispatch the action; errors are ``{"error": ...}`` with HTTP 200."""
    key = fields.get("key", "")
    if not hmac.compare_digest(key.encode(), sandbox.key.encode()):
        return error_reply("Invalid API key")
    action = ACTIONS.get(fields.get("action", "").strip())
    if action is None:
        return error_reply("Incorrect request")
    try:
        return action(sandbox, fields)
    except ApiError as error:
        return error_reply(error.message)


def services(sandbox: Sandbox, fields: dict[str, str]) -> Reply:
    return sandbox.catalog.answer()


def add(sandbox: Sandbox, fields: dict[str, str]) -> Reply:
    service_id = _id(fields.get("service"))
    service = sandbox.catalog.get(service_id) if service_id is not None else None
    if service is None:
        raise ApiError("Incorrect service ID")
    now = sandbox.now()
    rng = random.Random(f"{sandbox.seed}:{now}:{sorted(fields.items())}")
    placement = place(service, fields, now, rng)
    if sandbox.faults.faults.unique_links and _active_link(sandbox, placement, now):
        raise ApiError("Active order with this link exists")
    received = {name: value for name, value in fields.items() if name != "key"}
    parent, children = _rows(placement, received, now)
    try:
        order_id = sandbox.store.place(parent, children, placement.charge)
    except NotEnoughFunds:
        raise ApiError(NOT_ENOUGH_FUNDS) from None
    return json_reply({"order": order_id})


def status(sandbox: Sandbox, fields: dict[str, str]) -> Reply:
    if "orders" in fields:
        raw_ids = _bulk_ids(fields["orders"])
        answers = _status_answers(sandbox, [_id(raw) for raw in raw_ids])
        return json_reply({raw: answers.get(_id(raw) or 0, _no_order()) for raw in raw_ids})
    order_id = _id(fields.get("order"))
    answer = _status_answers(sandbox, [order_id]).get(order_id or 0)
    if answer is None:
        raise ApiError("Incorrect order ID")
    return json_reply(answer)


def refill(sandbox: Sandbox, fields: dict[str, str]) -> Reply:
    if "orders" in fields:
        return _per_order(fields["orders"], "refill", lambda i: _create_refill(sandbox, i))
    return json_reply({"refill": str(_create_refill(sandbox, _id(fields.get("order"))))})


def refill_status_action(sandbox: Sandbox, fields: dict[str, str]) -> Reply:
    now = sandbox.now()
    if "refills" in fields:
        raw_ids = _bulk_ids(fields["refills"])
        found = sandbox.store.refills(i for i in map(_id, raw_ids) if i is not None)
        results = []
        for raw in raw_ids:
            refill_ = found.get(_id(raw) or 0)
            state: Any = refill_status(refill_, now, sandbox.seed) if refill_ else None
            results.append({"refill": _echo(raw), "status": state or {"error": "Refill not found"}})
        return json_reply(results)
    refill_id = _id(fields.get("refill"))
    refill_ = sandbox.store.refills([refill_id]).get(refill_id or 0) if refill_id else None
    if refill_ is None:
        raise ApiError("Incorrect refill ID")
    return json_reply({"status": refill_status(refill_, now, sandbox.seed)})


def cancel(sandbox: Sandbox, fields: dict[str, str]) -> Reply:
    """``orders`` answers a list; a single ``order`` (some providers) answers one object."""
    if "orders" not in fields:
        return json_reply({"cancel": _cancel(sandbox, _id(fields.get("order")))})
    return _per_order(fields["orders"], "cancel", lambda i: _cancel(sandbox, i))


def _per_order(raw_ids: str, key: str, call: Callable[[int | None], Any]) -> Reply:
    """A bulk answer: `{"order": id, key: result}` per id, an error in its place."""
    results = []
    for raw in _bulk_ids(raw_ids):
        try:
            result: Any = call(_id(raw))
        except ApiError as error:
            result = {"error": error.message}
        results.append({"order": _echo(raw), key: result})
    return json_reply(results)


def balance(sandbox: Sandbox, fields: dict[str, str]) -> Reply:
    return json_reply({"balance": str(sandbox.store.balance()), "currency": CURRENCY})


ACTIONS: dict[str, Callable[[Sandbox, dict[str, str]], Reply]] = {
    "services": services,
    "add": add,
    "status": status,
    "refill": refill,
    "refill_status": refill_status_action,
    "cancel": cancel,
    "balance": balance,
}


def _id(raw: str | None) -> int | None:
    text = (raw or "").strip()
    return int(text) if text.isdigit() and text.isascii() and len(text) < 19 else None


def _echo(raw: str) -> int | str:
    """Bulk answers repeat the id as a number when it is one, as sent otherwise."""
    order_id = _id(raw)
    return order_id if order_id is not None else raw


def _bulk_ids(raw: str) -> list[str]:
    ids = [part.strip() for part in raw.split(",") if part.strip()]
    if not ids or len(ids) > MAX_BULK:
        raise ApiError("Incorrect request")
    return ids


def _no_order() -> dict[str, str]:
    return {"error": "Incorrect order ID"}


def _load(
    sandbox: Sandbox, ids: list[int | None]
) -> tuple[dict[int, Order], dict[int, list[Order]]]:
    """The orders asked for (children only once they started) and their children."""
    now = sandbox.now()
    found = sandbox.store.orders(i for i in ids if i is not None)
    orders = {i: order for i, order in found.items() if started(order, now)}
    return orders, sandbox.store.children(orders)


def _status_answers(sandbox: Sandbox, ids: list[int | None]) -> dict[int, dict[str, Any]]:
    orders, children = _load(sandbox, ids)
    now = sandbox.now()
    return {
        order_id: status_answer(order, children.get(order_id, []), now, sandbox.seed)
        for order_id, order in orders.items()
    }


def _order_now(sandbox: Sandbox, order_id: int | None) -> tuple[Order, Any, float]:
    """The order with this id, its state now, and now; or ApiError."""
    orders, children = _load(sandbox, [order_id])
    order = orders.get(order_id or 0)
    if order is None:
        raise ApiError("Incorrect order ID")
    now = sandbox.now()
    return order, order_state(order, children.get(order.id, []), now, sandbox.seed), now


def _create_refill(sandbox: Sandbox, order_id: int | None) -> int:
    order, state, now = _order_now(sandbox, order_id)
    if not order.refill or order.type == "Subscriptions" or state.status != "Completed":
        raise ApiError("Order not eligible for refill")
    previous = sandbox.store.refills_of(order.id)
    if any(refill_status(r, now, sandbox.seed) in ACTIVE_REFILLS for r in previous):
        raise ApiError("Order not eligible for refill")
    return sandbox.store.add_refill(order.id, now)


def _cancel(sandbox: Sandbox, order_id: int | None) -> int:
    order, state, now = _order_now(sandbox, order_id)
    if not order.cancel or state.finished:
        raise ApiError("Order not eligible for cancel")
    sandbox.store.cancel(order.id, now)
    return 1


def _active_link(sandbox: Sandbox, placement: Placement, now: float) -> bool:
    same = sandbox.store.same_link(placement.service.id, placement.link)
    children = sandbox.store.children(order.id for order in same)
    return any(
        not order_state(order, children.get(order.id, []), now, sandbox.seed).finished
        for order in same
    )


def _rows(
    placement: Placement, received: dict[str, str], now: float
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The order row and its children's rows (drip-feed runs or subscription posts)."""
    service = placement.service
    wall = time.time()
    stops = now + placement.stops_after if placement.stops_after is not None else None
    parent = {
        "parent_id": None,
        "origin": "api",
        "service": service.id,
        "type": service.type,
        "link": placement.link,
        "quantity": placement.quantity,
        "runs": placement.runs,
        "interval_minutes": placement.interval,
        "charge": str(placement.charge),
        "refill": service.refill,
        "cancel": service.cancel,
        "fields": json.dumps(received),
        "created": now,
        "created_wall": wall,
        "expires": placement.expires,
        "canceled_at": stops,
        "outcome": placement.outcome,
    }
    child_type = "Default" if service.type == "Subscriptions" else service.type
    children = [
        {
            **parent,
            "origin": "child",
            "type": child_type,
            "quantity": child.quantity,
            "runs": 1,
            "interval_minutes": 0,
            "charge": str(child.charge),
            "fields": "{}",
            "created": now + child.offset,
            "outcome": child.outcome,
        }
        for child in placement.children
    ]
    return parent, children
