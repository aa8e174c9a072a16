"""The API v2 client: one method per action, every call through `call()`."""

import logging
import time
from collections.abc import Callable, Sequence
from typing import Any, NoReturn
from urllib.parse import quote_plus

import requests
from urllib3.util import Timeout

from . import answers, calllog
from .answers import Balance, ItemError, OrderStatus
from .errors import Outcome, UpstreamError
from .transport import WATCHDOG, Watchdog, classify, host_of, new_session, root_cause

log = logging.getLogger("catalog.upstream")  # the package's name: one logger for every call

MAX_BODY = 64 * 1024 * 1024  # a 20,000-service catalogue is about 10 MiB
CHUNK = 256 * 1024
# Actions that change something upstream: each goes out on a fresh connection, because a stale
# pooled keep-alive socket that resets would turn a harmless failure into an UNKNOWN one.
WRITE_ACTIONS = frozenset({"add", "refill", "cancel"})


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
        self._host = host_of(api_url)
        self._pool: requests.Session | None = None
        self.provider_id: int | None = None  # for the call records (calllog.py)

    @classmethod
    def for_provider(cls, provider) -> "UpstreamClient":
        from django.conf import settings  # lazily: this module must import without Django set up

        client = cls(
            provider.api_url,
            provider.api_key,
            connect_timeout=settings.UPSTREAM_CONNECT_TIMEOUT,
            read_timeout=settings.UPSTREAM_READ_TIMEOUT,
            deadline=settings.UPSTREAM_DEADLINE,
        )
        client.provider_id = getattr(provider, "pk", None)
        return client

    def __repr__(self) -> str:
        return f"<UpstreamClient {self._redact(self.api_url)}>"

    def close(self) -> None:
        if self._pool is not None:
            self._pool.close()
            self._pool = None

    # --- the actions -------------------------------------------------------------------------

    def services(self) -> answers.Services:
        return self._parse("services", answers.services_of, self.call("services"))

    def add(self, *, service: str, **fields: str) -> str:
        """Place one order upstream. Never retried: an UNKNOWN failure may have created it."""
        return self._parse("add", answers.order_id_of, self.call("add", service=service, **fields))

    def status(self, order: str) -> OrderStatus:
        return self._parse("status", answers.order_status_of, self.call("status", order=order))

    def statuses(self, orders: Sequence[str]) -> dict[str, OrderStatus | ItemError]:
        ids = answers.bulk_ids(orders)
        if not ids:
            return {}
        answer = self.call("status", orders=",".join(ids))
        return self._parse("status", answers.statuses_of, answer, ids)

    def refill(self, order: str) -> str:
        answer = self.call("refill", order=order)
        return self._single("refill", answer, "refill", answers.ident)

    def refills(self, orders: Sequence[str]) -> dict[str, str | ItemError]:
        return self._bulk("refill", "orders", orders, "order", "refill", answers.ident)

    def refill_status(self, refill: str) -> str:
        answer = self.call("refill_status", refill=refill)
        return self._single("refill_status", answer, "status", answers.status_text)

    def refill_statuses(self, refills: Sequence[str]) -> dict[str, str | ItemError]:
        return self._bulk(
            "refill_status", "refills", refills, "refill", "status", answers.status_text
        )

    def cancel(self, orders: Sequence[str]) -> dict[str, None | ItemError]:
        return self._bulk("cancel", "orders", orders, "order", "cancel", answers.cancel_accepted)

    def balance(self) -> Balance:
        return self._parse("balance", answers.balance_of, self.call("balance"))

    def _single(self, action: str, answer: Any, key: str, parse: Callable) -> Any:
        result = self._parse(action, answers.single_value, answer, key, parse)
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
        ids = answers.bulk_ids(ids)
        if not ids:
            return {}
        answer = self.call(action, **{ids_field: ",".join(ids)})
        return self._parse(action, answers.bulk_list, answer, ids, id_key, value_key, parse)

    def _parse(self, action: str, parse: Callable, answer: Any, *args: Any) -> Any:
        """Check the answer's shape: one place turns a bad shape into an UNKNOWN failure."""
        try:
            return parse(answer, *args)
        except answers.BadShape as exc:
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
        outcome, error = "ok", ""
        try:
            status, body = self._post(action, data, started)
            return self._decode(action, status, body)
        except UpstreamError as exc:
            outcome, error = exc.outcome.value, exc.message
            raise
        finally:
            elapsed_ms = (time.monotonic() - started) * 1000
            calllog.record(self.provider_id, action, elapsed_ms, outcome, error)
            level = logging.INFO if outcome != "ok" or action in WRITE_ACTIONS else logging.DEBUG
            log.log(level, "upstream %s %s %.0fms %s", action, self._host, elapsed_ms, outcome)

    def _post(self, action: str, data: dict, started: float) -> tuple[int, bytes]:
        session = new_session() if action in WRITE_ACTIONS else self._pooled()
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
                outcome, what = classify(exc)
            self._fail(action, f"{what} ({root_cause(exc)})", outcome)

    def _pooled(self) -> requests.Session:
        if self._pool is None:
            self._pool = new_session()
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
            self._fail(action, f"{what} ({root_cause(exc)})")

    def _decode(self, action: str, status: int, body: bytes) -> Any:
        if not body.strip():
            self._fail(action, f"empty answer (HTTP {status})")
        try:
            answer = answers.decode(body)
        except answers.TooDeep as exc:
            self._fail(action, f"answer is {exc} (HTTP {status})")
        except ValueError:
            self._fail(action, f"answer is not JSON ({answers.describe_body(body)}, HTTP {status})")
        error = answers.error_text(answer)
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
