"""HTTP to upstreams: sessions that never retry, and a deadline on the whole call.

A per-recv() read timeout never fires against a server that drips its answer a byte at a
time, so every call also has a deadline: a watchdog shuts the socket down when it passes. And
a failure is classified by whether the request had left (NOT_SENT: safe to send again) or not
(UNKNOWN): see `classify`.
"""

import contextlib
import http.client
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from contextvars import ContextVar
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3 import HTTPConnectionPool, HTTPSConnectionPool, PoolManager
from urllib3 import exceptions as u3
from urllib3.connection import HTTPConnection, HTTPSConnection

from .errors import Outcome


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


def new_session() -> requests.Session:
    session = requests.Session()
    session.mount("http://", Adapter())
    session.mount("https://", Adapter())
    return session


def host_of(url: str) -> str:
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


def classify(exc: BaseException) -> tuple[Outcome, str]:
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


def root_cause(exc: BaseException) -> str:
    root = list(_chain(exc))[-1]
    return f"{type(root).__name__}: {str(root)[:200]}"
