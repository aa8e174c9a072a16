"""The control endpoints under ``/control/``: JSON in, JSON out, no key.

They let tests, benchmarks and demos see what the provider recorded (``orders``), switch
faults, move the simulated clock, make one order report anything, and bend the catalog.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import parse_qs

from sandbox.app import BALANCE_PLACES, Sandbox
from sandbox.catalog import BREAK_MODES, Service
from sandbox.faults import Faults
from sandbox.placing import money
from sandbox.replies import Reply, json_reply
from sandbox.store import Order
from sandbox.timeline import order_state, status_answer

OVERRIDE_FIELDS = ("status", "remains", "start_count", "charge", "error")
OUTCOMES = (None, "Completed", "Partial", "Canceled")
MAX_SEEDED = 1_000_000


class ControlError(Exception):
    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


def handle(sandbox: Sandbox, method: str, path: str, query: str, body: bytes) -> Reply:
    """Route ``/control/<name>[/<id>]``; bad input answers 400 with ``{"error": ...}``."""
    parts = [part for part in path.split("/") if part][1:]
    name = parts[0] if parts else ""
    arg = parts[1] if len(parts) > 1 else None
    route = ROUTES.get((method, name, arg is not None))
    if route is None:
        return json_reply({"error": f"no route {method} {path}"}, 404)
    try:
        payload = json.loads(body) if body.strip() else None
        return json_reply(route(sandbox, Request(payload, parse_qs(query), arg)))
    except json.JSONDecodeError:
        return json_reply({"error": "body must be JSON"}, 400)
    except ControlError as error:
        return json_reply({"error": error.message}, error.status)
    except (ValueError, TypeError, InvalidOperation) as error:
        return json_reply({"error": str(error) or type(error).__name__}, 400)


class Request:
    def __init__(self, payload: Any, query: dict[str, list[str]], arg: str | None) -> None:
        self.payload = payload
        self.query = query
        self.arg = arg

    def object(self) -> dict[str, Any]:
        if self.payload is None:
            return {}
        if not isinstance(self.payload, dict):
            raise ControlError("body must be a JSON object")
        return self.payload


def health(sandbox: Sandbox, request: Request) -> Any:
    return {"ok": True}


def list_orders(sandbox: Sandbox, request: Request) -> Any:
    after = int(request.query.get("after", ["0"])[0])
    return [_accepted(row) for row in sandbox.store.accepted(after)]


def show_order(sandbox: Sandbox, request: Request) -> Any:
    order = _order(sandbox, request.arg)
    children = sandbox.store.children([order.id]).get(order.id, [])
    now = sandbox.now()
    state = order_state(order, children, now, sandbox.seed)
    return {
        "id": order.id,
        "parent_id": order.parent_id,
        "origin": order.origin,
        "service": order.service,
        "type": order.type,
        "link": order.link,
        "quantity": order.quantity,
        "runs": order.runs,
        "charge": order.charge,
        "true_status": state.status,
        "true_remains": state.remains,
        "status_answer": status_answer(order, children, now, sandbox.seed),
        "override": order.override,
    }


def override_order(sandbox: Sandbox, request: Request) -> Any:
    """Make ``status`` report raw values for one order; ``null`` clears (all or one field).

    ``outcome`` is different: it changes how the order really ends (refill and cancel
    follow it), so a test can have a Completed order without depending on the plan.
    """
    order = _order(sandbox, request.arg)
    if request.payload is None:
        sandbox.store.set_override(order.id, None)
        return {"id": order.id, "override": None, "outcome": order.outcome}
    changes = dict(request.object())
    forced = "outcome" in changes
    outcome = changes.pop("outcome", order.outcome)
    if outcome not in OUTCOMES:
        raise ControlError(f"outcome must be one of {list(OUTCOMES)[1:]} or null")
    unknown = sorted(set(changes) - set(OVERRIDE_FIELDS))
    if unknown:
        raise ControlError(f"unknown field(s) {unknown}; known: {list(OVERRIDE_FIELDS)}")
    override = {**(order.override or {}), **changes}
    override = {name: value for name, value in override.items() if value is not None}
    sandbox.store.set_override(order.id, override or None)
    if forced:
        _force_outcome(sandbox, order, outcome)
    return {"id": order.id, "override": override or None, "outcome": outcome}


def _force_outcome(sandbox: Sandbox, order: Order, outcome: str | None) -> None:
    """A plain order ends as told; a drip-feed's runs are rewritten to end that way."""
    if order.runs <= 1 or order.type == "Subscriptions":
        sandbox.store.set_outcome(order.id, outcome)
        return
    stop = sandbox.now() if outcome == "Canceled" else None
    sandbox.store.set_feed_outcome(order.id, outcome, stop)


def get_faults(sandbox: Sandbox, request: Request) -> Any:
    return sandbox.faults.faults.to_dict()


def set_faults(sandbox: Sandbox, request: Request) -> Any:
    """Replace the whole fault set (an empty object clears every fault)."""
    sandbox.faults.replace(Faults.from_dict(request.object()))
    return sandbox.faults.faults.to_dict()


def get_clock(sandbox: Sandbox, request: Request) -> Any:
    return {"now": sandbox.now(), "speed": sandbox.clock.speed}


def set_clock(sandbox: Sandbox, request: Request) -> Any:
    data = request.object()
    if "speed" in data:
        sandbox.clock.set_speed(float(data["speed"]))
    if "advance" in data:
        sandbox.clock.advance(float(data["advance"]))
    sandbox.save_clock()
    return get_clock(sandbox, request)


def seed_orders(sandbox: Sandbox, request: Request) -> Any:
    """Bulk orders for benchmarks: not charged, not listed in /control/orders."""
    data = request.object()
    count = int(data.get("count", 1))
    if not 1 <= count <= MAX_SEEDED:
        raise ControlError(f"count must be between 1 and {MAX_SEEDED}")
    service = _seed_service(sandbox, data.get("service"))
    quantity = int(data.get("quantity", 1000))
    if quantity < 1:
        raise ControlError("quantity must be >= 1")
    now = sandbox.now()
    template = {
        "parent_id": None,
        "origin": "seed",
        "service": service.id,
        "type": service.type,
        "link": str(data.get("link", "https://instagram.com/sandbox.bench")),
        "quantity": quantity,
        "runs": 1,
        "interval_minutes": 0,
        "charge": str(money(service.rate * quantity / 1000)),
        "refill": service.refill,
        "cancel": service.cancel,
        "fields": "{}",
        "created": now,
        "created_wall": time.time(),
        "expires": None,
        "canceled_at": None,
        "outcome": None,
    }
    first, last = sandbox.store.seed(template, count)
    return {"first": first, "last": last}


def get_catalog(sandbox: Sandbox, request: Request) -> Any:
    return {**sandbox.catalog.config(), "count": len(sandbox.catalog.services())}


def set_catalog(sandbox: Sandbox, request: Request) -> Any:
    """Regenerate, remove, reprice or break the catalog (in that order, any combination)."""
    data = request.object()
    if "services" in data or "seed" in data:
        catalog = sandbox.catalog
        sandbox.replace_catalog(
            int(data.get("services", catalog.count)), int(data.get("seed", catalog.seed))
        )
    if "remove" in data:
        sandbox.catalog.remove([int(i) for i in data["remove"]])
    if "rates" in data:
        sandbox.catalog.reprice(data["rates"])
    if "break" in data:
        if data["break"] not in (None, *BREAK_MODES):
            raise ControlError(f"break must be one of {list(BREAK_MODES)} or null")
        sandbox.catalog.set_break(data["break"])
    sandbox.save_catalog()
    return get_catalog(sandbox, request)


def get_balance(sandbox: Sandbox, request: Request) -> Any:
    return {"balance": str(sandbox.store.balance())}


def set_balance(sandbox: Sandbox, request: Request) -> Any:
    amount = Decimal(str(request.object()["balance"])).quantize(BALANCE_PLACES)
    if amount < 0:
        raise ControlError("balance must be >= 0")
    sandbox.store.set_balance(amount)
    return get_balance(sandbox, request)


def reset(sandbox: Sandbox, request: Request) -> Any:
    """Clear orders, refills, faults, overrides, catalog breakage and the clock offset.

    The balance and the catalog's contents (removals, rates) stay as they are.
    """
    sandbox.store.clear()
    sandbox.faults.replace(Faults())
    sandbox.catalog.set_break(None)
    sandbox.save_catalog()
    sandbox.clock.reset()
    sandbox.save_clock()
    return {"ok": True}


ROUTES: dict[tuple[str, str, bool], Callable[[Sandbox, Request], Any]] = {
    ("GET", "health", False): health,
    ("GET", "orders", False): list_orders,
    ("GET", "orders", True): show_order,
    ("POST", "orders", True): override_order,
    ("GET", "faults", False): get_faults,
    ("POST", "faults", False): set_faults,
    ("GET", "clock", False): get_clock,
    ("POST", "clock", False): set_clock,
    ("POST", "seed_orders", False): seed_orders,
    ("GET", "catalog", False): get_catalog,
    ("POST", "catalog", False): set_catalog,
    ("GET", "balance", False): get_balance,
    ("POST", "balance", False): set_balance,
    ("POST", "reset", False): reset,
}


def _order(sandbox: Sandbox, raw_id: str | None) -> Order:
    order_id = int(raw_id) if raw_id and raw_id.isdigit() else None
    order = sandbox.store.orders([order_id]).get(order_id or 0) if order_id else None
    if order is None:
        raise ControlError(f"no order {raw_id}", 404)
    return order


def _seed_service(sandbox: Sandbox, raw_id: Any) -> Service:
    if raw_id is None:
        plain = [s for s in sandbox.catalog.services() if s.type == "Default"]
        if not plain:
            raise ControlError("the catalog has no Default service")
        return plain[0]
    service = sandbox.catalog.get(int(raw_id))
    if service is None:
        raise ControlError(f"no service {raw_id}", 404)
    return service


def _accepted(row: dict[str, Any]) -> dict[str, Any]:
    created = datetime.fromtimestamp(row.pop("created_wall"), UTC)
    return {**row, "created": created.isoformat(timespec="milliseconds")}
