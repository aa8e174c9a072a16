"""API v2 answers: their decoding and the check of their shape, one parser per action.

Numbers are Decimal from the text (never float); a flag is true/false, 1/0 or "1"/"0"; an answer
of the wrong shape raises BadShape, which the client turns into an UNKNOWN failure.
"""

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, NoReturn

MAX_BULK = 100  # providers accept at most 100 ids per bulk call
# A number as providers write it in a string: no NaN, no "Infinity", no "1_000", no "١".
NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
LARGEST = 10**18  # larger magnitudes are garbage, and int("1e999999999") would eat the CPU
# No answer of API v2 nests deeper than a few levels (a bulk status with drip-feed runs: 4).
# Deeper is hostile: json's C decoder raises RecursionError at about 1,000 levels, and even
# answers below that can exhaust the stack of whatever walks them later (json.dumps, repr).
MAX_DEPTH = 32
# NUL (PostgreSQL refuses it in text), the other C0/C1 controls except tab and newline, and
# lone surrogates (they cannot be encoded as UTF-8): never stored, never shown.
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")


@dataclass(frozen=True)
class ItemError:
    """A per-id error inside a bulk answer, e.g. {"error": "Incorrect order ID"}."""

    error: str


@dataclass(frozen=True)
class ServiceInfo:
    upstream_id: str
    name: str
    type: str
    category: str
    rate: Decimal
    min: int
    max: int
    refill: bool
    cancel: bool
    dripfeed: bool
    description: str


@dataclass(frozen=True)
class OrderStatus:
    status: str
    charge: Decimal | None
    start_count: int | None
    remains: int | None  # raw: may be negative or larger than the quantity
    currency: str
    raw: dict


@dataclass(frozen=True)
class Balance:
    amount: Decimal
    currency: str


# --- decoding the body ---------------------------------------------------------------------


def _reject_constant(name: str) -> NoReturn:
    raise ValueError(f"{name} is not a number")


class TooDeep(ValueError):
    """JSON nested deeper than MAX_DEPTH: never an honest API v2 answer."""


def decode(body: bytes) -> Any:
    # Decimal straight from the text: 0.1 stays 0.1. bytes let json detect a UTF-8 BOM.
    try:
        answer = json.loads(body, parse_float=Decimal, parse_constant=_reject_constant)
    except RecursionError:
        raise TooDeep(f"nested deeper than {MAX_DEPTH} levels") from None
    _check_depth(answer)
    return answer


def _check_depth(answer: Any) -> None:
    """Refuse an answer nested deeper than MAX_DEPTH, without recursion (and so without
    running out of stack on the very answers it refuses)."""
    level = [answer]
    for _ in range(MAX_DEPTH + 1):
        level = [
            child
            for node in level
            if isinstance(node, dict | list)
            for child in (node.values() if isinstance(node, dict) else node)
            if isinstance(child, dict | list)
        ]
        if not level:
            return
    raise TooDeep(f"nested deeper than {MAX_DEPTH} levels")


def clean(text: str) -> str:
    """Upstream text without NUL, control characters and lone surrogates, stripped."""
    return CONTROL.sub("", text).strip()


def describe_body(body: bytes) -> str:
    start = body.lstrip()[:200]
    if start.startswith(b"<"):
        return "HTML page"
    if start[:1] in (b"{", b"["):
        return "truncated or invalid JSON"
    return f"text {start[:60].decode('utf-8', 'replace')!r}"


def error_text(answer: Any) -> str | None:
    """The top-level `{"error": ...}` message, or None when the answer is not an error."""
    if not isinstance(answer, dict) or not answer.get("error"):
        return None
    error = answer["error"]
    return clean(error) if isinstance(error, str) else clean(json.dumps(error, default=str)[:500])


# --- checking the shape of answers -----------------------------------------------------------


class BadShape(ValueError):
    """An answer that is JSON but not what the action returns; becomes UpstreamError(UNKNOWN)."""

    def at(self, where: str) -> "BadShape":
        return BadShape(f"{where}: {self}")


def _kind(value: Any) -> str:
    kinds = {dict: "an object", list: "a list", str: "a string", bool: "a boolean"}
    if value is None:
        return "null"
    return kinds.get(type(value), "a number")


def _show(value: Any) -> str:
    if isinstance(value, str):
        text = repr(clean(value))
    elif isinstance(value, Decimal):
        text = str(value)
    else:
        text = json.dumps(value, default=str)
    return text if len(text) <= 60 else text[:57] + "..."


def _decimal(value: Any, what: str) -> Decimal:
    if value is None:
        raise BadShape(f"{what} is missing")
    if isinstance(value, str) and NUMBER.fullmatch(value.strip()):
        number = Decimal(value.strip())
    elif isinstance(value, int | Decimal) and not isinstance(value, bool):
        number = Decimal(value)
    elif isinstance(value, float):  # only from a test's stand-in for call(): its shortest text
        number = Decimal(repr(value))
    else:
        raise BadShape(f"{what} {_show(value)} is not a number")
    if not number.is_finite() or number.copy_abs() >= LARGEST:  # copy_abs cannot overflow
        raise BadShape(f"{what} {_show(value)} is out of range")
    return number


def _integer(value: Any, what: str) -> int:
    number = _decimal(value, what)
    if number != number.to_integral_value():
        raise BadShape(f"{what} {_show(value)} is not an integer")
    return int(number)


def _flag(value: Any, what: str) -> bool:
    """true/false, 1/0, "1"/"0", "true"/"false"; missing or null means false."""
    if isinstance(value, str):
        value = value.strip().lower()
    if value in (None, False, 0, "0", "false", ""):
        return False
    if value in (True, 1, "1", "true"):
        return True
    raise BadShape(f"{what} {_show(value)} is not a boolean")


def ident(value: Any, what: str = "id") -> str:
    if isinstance(value, str) and clean(value):
        return clean(value)
    if value is None or value == "":
        raise BadShape(f"{what} is missing")
    if isinstance(value, int | Decimal) and not isinstance(value, bool):
        return str(_integer(value, what))
    raise BadShape(f"{what} {_show(value)} is not an id")


def _text(value: Any, what: str) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return clean(value)
    if isinstance(value, int | Decimal) and not isinstance(value, bool):
        return str(value)
    raise BadShape(f"{what} is {_kind(value)}, not text")


def _optional(parse: Callable, value: Any) -> Any:
    try:
        return parse(value, "")
    except BadShape:
        return None


def _expect(answer: Any, kind: type[list] | type[dict]) -> None:
    if not isinstance(answer, kind):
        expected = "a list" if kind is list else "an object"
        raise BadShape(f"expected {expected}, got {_kind(answer)}")


class Services(list):
    """The services of a catalogue answer; `skipped` says which items were left out and why
    (one malformed item must not keep the other 19,999 from being synced), `skipped_ids` the
    ids of those that had a readable one."""

    def __init__(self, services=(), skipped=(), skipped_ids=()):
        super().__init__(services)
        self.skipped: list[str] = list(skipped)
        self.skipped_ids: set[str] = set(skipped_ids)


def services_of(answer: Any) -> Services:
    _expect(answer, list)
    services = Services()
    seen: set[str] = set()
    for index, item in enumerate(answer):
        try:
            service = _service(item)
            if service.upstream_id in seen:
                raise BadShape(f"duplicate service id {service.upstream_id!r}")
        except BadShape as exc:
            services.skipped.append(str(exc.at(f"item {index}")))
            if (upstream_id := _optional(ident, _get(item, "service"))) is not None:
                services.skipped_ids.add(upstream_id)
            continue
        seen.add(service.upstream_id)
        services.append(service)
    if answer and not services:  # nothing usable at all: a broken answer, not an empty catalog
        raise BadShape(f"every item is malformed ({services.skipped[0]}, …)")
    return services


def _get(item: Any, key: str) -> Any:
    return item.get(key) if isinstance(item, dict) else None


def _service(item: Any) -> ServiceInfo:
    _expect(item, dict)
    service = ServiceInfo(
        upstream_id=ident(item.get("service"), "service id"),
        name=_text(item.get("name"), "name"),
        type=_text(item.get("type"), "type") or "Default",
        category=_text(item.get("category"), "category"),
        rate=_decimal(item.get("rate"), "rate"),
        min=_integer(item.get("min"), "min"),
        max=_integer(item.get("max"), "max"),
        refill=_flag(item.get("refill"), "refill"),
        cancel=_flag(item.get("cancel"), "cancel"),
        dripfeed=_flag(item.get("dripfeed"), "dripfeed"),
        description=_text(item.get("desc") or item.get("description"), "desc"),
    )
    if service.rate <= 0:
        raise BadShape(f"rate {service.rate} is not positive")
    if service.min < 0:
        raise BadShape(f"negative min {service.min}")
    if service.max < service.min:
        raise BadShape(f"max {service.max} is below min {service.min}")
    return service


def order_id_of(answer: Any) -> str:
    _expect(answer, dict)
    return ident(answer.get("order"), "order id")


def order_status_of(answer: Any) -> OrderStatus:
    _expect(answer, dict)
    status = answer.get("status")
    if not isinstance(status, str) or not clean(status):
        raise BadShape("status is missing" if status is None else f"status {_show(status)}")
    currency = answer.get("currency")
    return OrderStatus(
        status=clean(status),
        charge=_optional(_decimal, answer.get("charge")),
        start_count=_optional(_integer, answer.get("start_count")),
        remains=_optional(_integer, answer.get("remains")),
        currency=clean(currency) if isinstance(currency, str) else "",
        raw=answer,
    )


def statuses_of(answer: Any, ids: list[str]) -> dict[str, OrderStatus | ItemError]:
    _expect(answer, dict)
    if len(ids) == 1 and ids[0] not in answer and "status" in answer:
        answer = {ids[0]: answer}  # a provider that answers one id in the single-order form
    result: dict[str, OrderStatus | ItemError] = {}
    for key, item in answer.items():
        try:
            result[str(key)] = _item_error(item) or order_status_of(item)
        except BadShape as exc:
            # One garbled entry must not hide the other 99 answers, run after run: it becomes
            # that id's error (flagged for staff by the poller), the rest is still used.
            result[str(key)] = ItemError(f"malformed status answer: {exc}")
    return result


def _item_error(value: Any) -> ItemError | None:
    error = error_text(value)
    return None if error is None else ItemError(error)


def single_value(answer: Any, key: str, parse: Callable) -> Any:
    _expect(answer, dict)
    return _item_error(answer.get(key)) or parse(answer.get(key), key)


def bulk_list(
    answer: Any, ids: list[str], id_key: str, value_key: str, parse: Callable
) -> dict[str, Any]:
    if isinstance(answer, dict) and len(ids) == 1 and value_key in answer:
        answer = [{id_key: ids[0], **answer}]  # one id answered in the single form
    _expect(answer, list)
    result = {}
    for index, item in enumerate(answer):
        try:
            _expect(item, dict)
            value = item.get(value_key)
            # Most providers nest the error under the value key, a few put it beside the id.
            error = _item_error(value) or (_item_error(item) if value is None else None)
            result[ident(item.get(id_key), id_key)] = error or parse(value, value_key)
        except BadShape as exc:
            raise exc.at(f"item {index}") from None
    return result


def status_text(value: Any, what: str) -> str:
    if not isinstance(value, str) or not clean(value):
        raise BadShape(f"{what} is missing" if value is None else f"{what} {_show(value)}")
    return clean(value)


def cancel_accepted(value: Any, what: str) -> ItemError | None:
    # `"cancel": 1` means accepted; a plain 0/false is a refusal without a reason.
    return None if _flag(value, what) else ItemError("Cancel not accepted")


def balance_of(answer: Any) -> Balance:
    _expect(answer, dict)
    currency = answer.get("currency")
    return Balance(
        amount=_decimal(answer.get("balance"), "balance"),
        currency=clean(currency) if isinstance(currency, str) else "",
    )


def bulk_ids(ids: Sequence[str]) -> list[str]:
    if isinstance(ids, str):
        raise ValueError("pass a sequence of ids, not one string")
    result = [str(i).strip() for i in ids]
    if len(result) > MAX_BULK:
        raise ValueError(f"at most {MAX_BULK} ids per call, got {len(result)}")
    if any(not i or "," in i for i in result):
        raise ValueError("ids must be non-empty and contain no comma")
    return result
