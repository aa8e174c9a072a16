"""The API v2 client: the one place where the panel talks HTTP to upstream providers.

API v2 has no idempotency key (docs/api-v2.md), so every failure is classified by what it tells
us about the upstream's state, not by how it looked on the wire (docs/design.md, "Forwarding an
order"):

- REJECTED: the upstream answered `{"error": ...}`; nothing was created, so refunding is safe.
- NOT_SENT: the request never left (refused, DNS, connect timeout), so sending again is safe.
- UNKNOWN: everything else. The order may exist upstream; resending could buy it twice.

When in doubt a failure is UNKNOWN: a wrong UNKNOWN costs a staff review, a wrong NOT_SENT
costs a second unpaid upstream order.
"""

import contextlib
import enum
import http.client
import json
import logging
import re
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, NoReturn
from urllib.parse import quote_plus, urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3 import HTTPConnectionPool, HTTPSConnectionPool, PoolManager
from urllib3 import exceptions as u3
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.util import Timeout

log = logging.getLogger(__name__)

MAX_BODY = 64 * 1024 * 1024  # a 20,000-service catalogue is about 10 MiB
MAX_BULK = 100  # providers accept at most 100 ids per bulk call
CHUNK = 256 * 1024
# Actions that change something upstream: each goes out on a fresh connection, because a stale
# pooled keep-alive socket that resets would turn a harmless failure into an UNKNOWN one.
WRITE_ACTIONS = frozenset({"add", "refill", "cancel"})
# A number as providers write it in a string: no NaN, no "Infinity", no "1_000", no "١".
NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
LARGEST = 10**18  # larger magnitudes are garbage, and int("1e999999999") would eat the CPU


class Outcome(enum.StrEnum):
    REJECTED = "rejected"  # definitive: the upstream answered {"error": ...}; nothing was created
    NOT_SENT = "not_sent"  # failed before the request left: safe to retry
    UNKNOWN = "unknown"  # may or may not have been processed: never resend a write


class UpstreamError(Exception):
    def __init__(self, message: str, *, outcome: Outcome, action: str | None = None):
        super().__init__(message)
        self.message = message
        self.outcome = Outcome(outcome)
        self.action = action

    def __str__(self) -> str:
        return self.message

    def __reduce__(self) -> tuple:
        # Keyword-only arguments defeat the default pickling (Celery results, multiprocessing).
        return _rebuild_error, (self.message, self.outcome.value, self.action)

    @property
    def permanent(self) -> bool:
        return self.outcome is Outcome.REJECTED

    @property
    def safe_to_retry(self) -> bool:
        return self.outcome is Outcome.NOT_SENT


def _rebuild_error(message: str, outcome: str, action: str | None) -> UpstreamError:
    return UpstreamError(message, outcome=Outcome(outcome), action=action)


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


class UpstreamClient:
    def __init__(
        self,
        api_url: str,
        api_key: str,
        *,
        connect_timeout: float = 5.0,
        read_timeout: float = 30.0,
        deadline: float = 60.0,
    ):
        self.api_url = api_url
        self._key = api_key
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.deadline = deadline
        self._host = _host_of(api_url)
        self._pool: requests.Session | None = None

    @classmethod
    def for_provider(cls, provider) -> "UpstreamClient":
        from django.conf import settings  # lazily: this module must import without Django set up

        return cls(
            provider.api_url,
            provider.api_key,
            connect_timeout=settings.UPSTREAM_CONNECT_TIMEOUT,
            read_timeout=settings.UPSTREAM_READ_TIMEOUT,
            deadline=settings.UPSTREAM_DEADLINE,
        )

    def __repr__(self) -> str:
        return f"<UpstreamClient {self._redact(self.api_url)}>"

    def close(self) -> None:
        if self._pool is not None:
            self._pool.close()
            self._pool = None

    # --- the actions -------------------------------------------------------------------------

    def services(self) -> list[ServiceInfo]:
        return self._parse("services", _services, self.call("services"))

    def add(self, *, service: str, **fields: str) -> str:
        """Place one order upstream. Never retried: an UNKNOWN failure may have created it."""
        return self._parse("add", _order_id, self.call("add", service=service, **fields))

    def status(self, order: str) -> OrderStatus:
        return self._parse("status", _order_status, self.call("status", order=order))

    def statuses(self, orders: Sequence[str]) -> dict[str, OrderStatus | ItemError]:
        ids = _bulk_ids(orders)
        if not ids:
            return {}
        answer = self.call("status", orders=",".join(ids))
        return self._parse("status", _statuses, answer, ids)

    def refill(self, order: str) -> str:
        answer = self.call("refill", order=order)
        return self._single("refill", answer, "refill", _ident)

    def refills(self, orders: Sequence[str]) -> dict[str, str | ItemError]:
        return self._bulk("refill", "orders", orders, "order", "refill", _ident)

    def refill_status(self, refill: str) -> str:
        answer = self.call("refill_status", refill=refill)
        return self._single("refill_status", answer, "status", _status_text)

    def refill_statuses(self, refills: Sequence[str]) -> dict[str, str | ItemError]:
        return self._bulk("refill_status", "refills", refills, "refill", "status", _status_text)

    def cancel(self, orders: Sequence[str]) -> dict[str, None | ItemError]:
        return self._bulk("cancel", "orders", orders, "order", "cancel", _cancel_accepted)

    def balance(self) -> Balance:
        return self._parse("balance", _balance, self.call("balance"))

    def _single(self, action: str, answer: Any, key: str, parse: Callable) -> Any:
        result = self._parse(action, _single_value, answer, key, parse)
        if isinstance(result, ItemError):
            self._fail(action, result.error, Outcome.REJECTED)
        return result

    def _bulk(
        self,
        action: str,
        ids_field: str,
        ids: Sequence[str],
        id_key: str,
        value_key: str,
        parse: Callable,
    ) -> dict[str, Any]:
        ids = _bulk_ids(ids)
        if not ids:
            return {}
        answer = self.call(action, **{ids_field: ",".join(ids)})
        return self._parse(action, _bulk_list, answer, ids, id_key, value_key, parse)

    def _parse(self, action: str, parse: Callable, answer: Any, *args: Any) -> Any:
        """Check the answer's shape: one place turns a bad shape into an UNKNOWN failure."""
        try:
            return parse(answer, *args)
        except BadShape as exc:
            log.info("upstream %s %s ill-shaped: %s", action, self._host, self._redact(str(exc)))
            self._fail(action, str(exc))

    # --- HTTP: everything goes through call() ------------------------------------------------

    def call(self, action: str, **fields: str) -> Any:
        """POST one action and return the decoded JSON answer (floats as Decimal).

        Raises UpstreamError for `{"error": ...}` (REJECTED), for a request that never left
        (NOT_SENT) and for anything else that went wrong (UNKNOWN). Never retries.
        """
        if "key" in fields:
            raise ValueError("the API key is not a field")
        data = {"key": self._key, "action": action}
        data.update((name, str(value)) for name, value in fields.items() if value is not None)
        started = time.monotonic()
        outcome = "ok"
        try:
            status, body = self._post(action, data, started)
            return self._decode(action, status, body)
        except UpstreamError as exc:
            outcome = exc.outcome.value
            raise
        finally:
            elapsed_ms = (time.monotonic() - started) * 1000
            level = logging.INFO if outcome != "ok" or action in WRITE_ACTIONS else logging.DEBUG
            log.log(level, "upstream %s %s %.0fms %s", action, self._host, elapsed_ms, outcome)

    def _post(self, action: str, data: dict, started: float) -> tuple[int, bytes]:
        session = _new_session() if action in WRITE_ACTIONS else self._pooled()
        watchdog = Watchdog(started + self.deadline)
        token = WATCHDOG.set(watchdog)
        try:
            response = self._send(action, session, data, watchdog)
            with response:
                return response.status_code, self._read_body(action, response, watchdog)
        finally:
            WATCHDOG.reset(token)
            watchdog.cancel()
            if session is not self._pool:
                session.close()

    def _send(
        self, action: str, session: requests.Session, data: dict, watchdog: "Watchdog"
    ) -> requests.Response:
        """Send the request and wait for the headers; the body is left unread."""
        headers = {"Accept": "application/json"}
        if action in WRITE_ACTIONS:
            headers["Connection"] = "close"
        # total= makes the wait for the headers give back what connecting took.
        timeout = Timeout(total=self.deadline, connect=self.connect_timeout, read=self.read_timeout)
        try:
            return session.post(
                self.api_url,
                data=data,
                headers=headers,
                timeout=timeout,
                stream=True,  # the body is read by _read_body, under the deadline
                allow_redirects=False,  # a redirected POST turns into a GET or resends the key
            )
        except Exception as exc:  # not only RequestException: an unforeseen error is UNKNOWN
            # The watchdog is armed only once the request was written: its firing means UNKNOWN.
            if watchdog.fired:
                outcome, what = Outcome.UNKNOWN, f"deadline of {self.deadline}s passed"
            else:
                outcome, what = _classify(exc)
            self._fail(action, f"{what} ({_root_cause(exc)})", outcome)

    def _pooled(self) -> requests.Session:
        if self._pool is None:
            self._pool = _new_session()
        return self._pool

    def _read_body(self, action: str, response: requests.Response, watchdog: "Watchdog") -> bytes:
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > MAX_BODY:
            self._fail(action, f"answer of {declared} bytes is too large")
        chunks: list[bytes] = []
        size = 0
        while chunk := self._read_chunk(action, response, watchdog):
            size += len(chunk)
            if size > MAX_BODY:
                self._fail(action, f"answer larger than {MAX_BODY} bytes")
            chunks.append(chunk)
        if watchdog.fired:  # a cut-off body without Content-Length looks like a complete one
            self._fail(action, f"deadline of {self.deadline}s passed")
        return b"".join(chunks)

    def _read_chunk(self, action: str, response: requests.Response, watchdog: "Watchdog") -> bytes:
        if watchdog.passed():
            self._fail(action, f"deadline of {self.deadline}s passed")
        try:
            # read1 returns what one recv() brought, so the clock is checked between pieces.
            return response.raw.read1(CHUNK, decode_content=True)
        except Exception as exc:  # the headers came, so the request was processed: UNKNOWN
            if watchdog.passed():
                what = f"deadline of {self.deadline}s passed"
            else:
                what = "could not read the answer"
            self._fail(action, f"{what} ({_root_cause(exc)})")

    def _decode(self, action: str, status: int, body: bytes) -> Any:
        if not body.strip():
            self._fail(action, f"empty answer (HTTP {status})")
        try:
            answer = _loads(body)
        except ValueError:
            self._fail(action, f"answer is not JSON ({_describe_body(body)}, HTTP {status})")
        error = _error_text(answer)
        if error is not None and isinstance(answer, dict) and "order" in answer:
            self._fail(action, "answer has both an error and an order id")
        # A 4xx with {"error": ...} is a refusal; a 5xx may have failed after doing the work.
        if error is not None and (200 <= status < 300 or 400 <= status < 500):
            self._fail(action, error, Outcome.REJECTED)
        if not 200 <= status < 300:
            detail = f": {error}" if error else ""
            self._fail(action, f"HTTP {status}{detail}")
        return answer

    def _fail(self, action: str, what: str, outcome: Outcome = Outcome.UNKNOWN) -> NoReturn:
        # A refusal is the upstream's own words; our diagnoses say which action they concern.
        message = what if outcome is Outcome.REJECTED else f"{action}: {what}"
        raise UpstreamError(self._redact(message), outcome=outcome, action=action) from None

    def _redact(self, text: str) -> str:
        """Upstreams echo requests back (debug pages, "Invalid API key xyz"): never show the key."""
        if len(self._key) < 4:  # too short to be a secret, and replacing it would garble text
            return text
        for form in {self._key, quote_plus(self._key)}:
            text = text.replace(form, "***")
        return text


# --- transport helpers ---------------------------------------------------------------------


class Watchdog:
    """Shuts the socket down when the call's deadline passes.

    A per-recv() read timeout never fires against a server that drips its headers a byte at a
    time, and requests gives no hook between header bytes; shutting the socket down from a
    timer thread is what interrupts that wait. It is armed only once the request was written
    (from getresponse), so its firing always means UNKNOWN.
    """

    def __init__(self, end: float):
        self.end = end
        self.fired = False
        self._lock = threading.Lock()
        self._timer: threading.Timer | None = None
        self._cancelled = False

    def passed(self) -> bool:
        return self.fired or time.monotonic() >= self.end

    def arm(self, sock: socket.socket | None) -> None:
        with self._lock:
            if sock is None or self._timer is not None or self._cancelled:
                return
            left = max(0.0, self.end - time.monotonic())
            self._timer = threading.Timer(left, self._fire, (sock,))
            self._timer.daemon = True
            self._timer.start()

    def _fire(self, sock: socket.socket) -> None:
        with self._lock:
            if self._cancelled:  # the call ended: the socket may be back in the pool
                return
            self.fired = True
            with contextlib.suppress(OSError, AttributeError):  # nobody to tell in this thread
                sock.shutdown(socket.SHUT_RDWR)

    def cancel(self) -> None:
        with self._lock:
            self._cancelled = True
            if self._timer is not None:
                self._timer.cancel()


WATCHDOG: ContextVar[Watchdog | None] = ContextVar("upstream_watchdog", default=None)


class WatchedHTTPConnection(HTTPConnection):
    def getresponse(self):  # type: ignore[override]
        if watchdog := WATCHDOG.get():
            watchdog.arm(self.sock)
        return super().getresponse()


class WatchedHTTPSConnection(HTTPSConnection):
    def getresponse(self):  # type: ignore[override]
        if watchdog := WATCHDOG.get():
            watchdog.arm(self.sock)
        return super().getresponse()


class WatchedHTTPPool(HTTPConnectionPool):
    ConnectionCls = WatchedHTTPConnection


class WatchedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = WatchedHTTPSConnection


class Adapter(HTTPAdapter):
    """No retries, ever (an add resent after a lost answer buys twice), and watched sockets."""

    def __init__(self):
        super().__init__(max_retries=0)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        _watch_pools(self.poolmanager)

    def proxy_manager_for(self, *args: Any, **kwargs: Any) -> PoolManager:
        manager = super().proxy_manager_for(*args, **kwargs)
        _watch_pools(manager)
        return manager


def _watch_pools(manager: PoolManager) -> None:
    # Only the stock pools: a SOCKS manager has its own, left as they are (deadline per recv).
    if manager.pool_classes_by_scheme == {"http": HTTPConnectionPool, "https": HTTPSConnectionPool}:
        manager.pool_classes_by_scheme = {"http": WatchedHTTPPool, "https": WatchedHTTPSPool}


def _new_session() -> requests.Session:
    session = requests.Session()
    session.mount("http://", Adapter())
    session.mount("https://", Adapter())
    return session


def _host_of(url: str) -> str:
    parts = urlsplit(url)
    host = parts.hostname or "?"
    return f"{host}:{parts.port}" if parts.port else host


# Seen anywhere in the exception chain, these mean the request (or part of it) was written.
AFTER_SEND = (
    requests.exceptions.ReadTimeout,
    requests.exceptions.ChunkedEncodingError,
    u3.ReadTimeoutError,
    u3.ProtocolError,
    http.client.HTTPException,  # RemoteDisconnected, BadStatusLine, IncompleteRead
    ConnectionResetError,
    BrokenPipeError,
)
INVALID_URL = (
    requests.exceptions.InvalidURL,
    requests.exceptions.MissingSchema,
    requests.exceptions.InvalidSchema,
    requests.exceptions.URLRequired,
)


def _classify(exc: BaseException) -> tuple[Outcome, str]:
    """Tell a failure before the request left from one after: only the first is safe to retry."""
    chain = list(_chain(exc))

    def seen(*types: type) -> bool:
        return any(isinstance(e, types) for e in chain)

    if seen(*AFTER_SEND):
        if seen(requests.exceptions.ReadTimeout, u3.ReadTimeoutError):
            return Outcome.UNKNOWN, "no answer within the read timeout"
        return Outcome.UNKNOWN, "connection lost after the request was sent"
    if seen(u3.NameResolutionError, socket.gaierror):
        return Outcome.NOT_SENT, "host name did not resolve"
    if seen(u3.NewConnectionError, ConnectionRefusedError):
        return Outcome.NOT_SENT, "could not connect"
    if seen(requests.exceptions.ConnectTimeout, u3.ConnectTimeoutError):
        return Outcome.NOT_SENT, "connect timeout"
    if seen(ssl.SSLCertVerificationError):  # the handshake comes before any byte of the request
        return Outcome.NOT_SENT, "TLS certificate rejected"
    if seen(*INVALID_URL):
        return Outcome.NOT_SENT, "invalid API URL"
    return Outcome.UNKNOWN, "transport error"


def _chain(exc: BaseException | None, depth: int = 0) -> Iterator[BaseException]:
    """Every exception behind this one: causes, contexts, urllib3's `reason` and wrapped args."""
    if exc is None or depth > 12:
        return
    yield exc
    linked = [exc.__cause__, exc.__context__, getattr(exc, "reason", None)]
    linked += [arg for arg in exc.args if isinstance(arg, BaseException)]
    for other in linked:
        if isinstance(other, BaseException) and other is not exc:
            yield from _chain(other, depth + 1)


def _root_cause(exc: BaseException) -> str:
    root = list(_chain(exc))[-1]
    return f"{type(root).__name__}: {str(root)[:200]}"


# --- decoding the body ---------------------------------------------------------------------


def _reject_constant(name: str) -> NoReturn:
    raise ValueError(f"{name} is not a number")


def _loads(body: bytes) -> Any:
    # Decimal straight from the text: 0.1 stays 0.1. bytes let json detect a UTF-8 BOM.
    return json.loads(body, parse_float=Decimal, parse_constant=_reject_constant)


def _describe_body(body: bytes) -> str:
    start = body.lstrip()[:200]
    if start.startswith(b"<"):
        return "HTML page"
    if start[:1] in (b"{", b"["):
        return "truncated or invalid JSON"
    return f"text {start[:60].decode('utf-8', 'replace')!r}"


def _error_text(answer: Any) -> str | None:
    """The top-level `{"error": ...}` message, or None when the answer is not an error."""
    if not isinstance(answer, dict) or not answer.get("error"):
        return None
    error = answer["error"]
    return error.strip() if isinstance(error, str) else json.dumps(error, default=str)


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
        text = repr(value)
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


def _ident(value: Any, what: str = "id") -> str:
    if isinstance(value, str) and value.strip():
        return value.strip()
    if value is None or value == "":
        raise BadShape(f"{what} is missing")
    if isinstance(value, int | Decimal) and not isinstance(value, bool):
        return str(_integer(value, what))
    raise BadShape(f"{what} {_show(value)} is not an id")


def _text(value: Any, what: str) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
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


def _services(answer: Any) -> list[ServiceInfo]:
    _expect(answer, list)
    services, seen = [], set()
    for index, item in enumerate(answer):
        try:
            service = _service(item)
            if service.upstream_id in seen:
                raise BadShape(f"duplicate service id {service.upstream_id!r}")
        except BadShape as exc:
            raise exc.at(f"item {index}") from None
        seen.add(service.upstream_id)
        services.append(service)
    return services


def _service(item: Any) -> ServiceInfo:
    _expect(item, dict)
    service = ServiceInfo(
        upstream_id=_ident(item.get("service"), "service id"),
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
    if service.rate < 0:
        raise BadShape(f"negative rate {service.rate}")
    if service.min < 0:
        raise BadShape(f"negative min {service.min}")
    if service.max < service.min:
        raise BadShape(f"max {service.max} is below min {service.min}")
    return service


def _order_id(answer: Any) -> str:
    _expect(answer, dict)
    return _ident(answer.get("order"), "order id")


def _order_status(answer: Any) -> OrderStatus:
    _expect(answer, dict)
    status = answer.get("status")
    if not isinstance(status, str) or not status.strip():
        raise BadShape("status is missing" if status is None else f"status {_show(status)}")
    currency = answer.get("currency")
    return OrderStatus(
        status=status.strip(),
        charge=_optional(_decimal, answer.get("charge")),
        start_count=_optional(_integer, answer.get("start_count")),
        remains=_optional(_integer, answer.get("remains")),
        currency=currency.strip() if isinstance(currency, str) else "",
        raw=answer,
    )


def _statuses(answer: Any, ids: list[str]) -> dict[str, OrderStatus | ItemError]:
    _expect(answer, dict)
    if len(ids) == 1 and ids[0] not in answer and "status" in answer:
        answer = {ids[0]: answer}  # a provider that answers one id in the single-order form
    result: dict[str, OrderStatus | ItemError] = {}
    for key, item in answer.items():
        try:
            result[str(key)] = _item_error(item) or _order_status(item)
        except BadShape as exc:
            # One garbled entry must not hide the other 99 answers, run after run: it becomes
            # that id's error (flagged for staff by the poller), the rest is still used.
            result[str(key)] = ItemError(f"malformed status answer: {exc}")
    return result


def _item_error(value: Any) -> ItemError | None:
    error = _error_text(value)
    return None if error is None else ItemError(error)


def _single_value(answer: Any, key: str, parse: Callable) -> Any:
    _expect(answer, dict)
    return _item_error(answer.get(key)) or parse(answer.get(key), key)


def _bulk_list(
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
            result[_ident(item.get(id_key), id_key)] = error or parse(value, value_key)
        except BadShape as exc:
            raise exc.at(f"item {index}") from None
    return result


def _status_text(value: Any, what: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise BadShape(f"{what} is missing" if value is None else f"{what} {_show(value)}")
    return value.strip()


def _cancel_accepted(value: Any, what: str) -> ItemError | None:
    # `"cancel": 1` means accepted; a plain 0/false is a refusal without a reason.
    return None if _flag(value, what) else ItemError("Cancel not accepted")


def _balance(answer: Any) -> Balance:
    _expect(answer, dict)
    currency = answer.get("currency")
    return Balance(
        amount=_decimal(answer.get("balance"), "balance"),
        currency=currency.strip() if isinstance(currency, str) else "",
    )


def _bulk_ids(ids: Sequence[str]) -> list[str]:
    if isinstance(ids, str):
        raise ValueError("pass a sequence of ids, not one string")
    result = [str(i).strip() for i in ids]
    if len(result) > MAX_BULK:
        raise ValueError(f"at most {MAX_BULK} ids per call, got {len(result)}")
    if any(not i or "," in i for i in result):
        raise ValueError("ids must be non-empty and contain no comma")
    return result
