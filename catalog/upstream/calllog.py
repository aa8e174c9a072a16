"""Every upstream call, recorded for the providers' health figures without a query per call.

`UpstreamClient.call()` hands each finished call to `record()`, which only appends to an
in-memory buffer. Whoever keeps the records (the `staff` app) registers a writer with
`set_writer()` and calls `flush_if_due()` when a job run or a request ends: the buffer goes to
the database in one bulk insert once it holds `FLUSH_SIZE` calls or its oldest is
`FLUSH_SECONDS` old, so the hot paths (a forwarding task is one call) pay no extra query per
call. With no writer registered nothing is kept.
"""

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

FLUSH_SIZE = 200
FLUSH_SECONDS = 10.0
MAX_BUFFER = 20_000  # a process that never flushes must not eat its memory


@dataclass(frozen=True)
class Call:
    provider_id: int | None
    action: str
    at: datetime
    ms: int
    outcome: str  # "ok" or an Outcome value: rejected, not_sent, unknown
    error: str


_lock = threading.Lock()
_buffer: list[Call] = []
_oldest = 0.0  # time.monotonic() of the buffer's first call
_writer: Callable[[list[Call]], None] | None = None


def set_writer(writer: Callable[[list[Call]], None] | None):
    """Register the writer (None: record nothing); returns the one it replaces."""
    global _writer
    previous, _writer = _writer, writer
    return previous


def record(
    provider_id: int | None, action: str, elapsed_ms: float, outcome: str, error: str = ""
) -> None:
    """Keep one finished call in memory (no I/O)."""
    global _oldest
    if _writer is None:
        return
    call = Call(
        provider_id, action[:32], datetime.now(UTC), round(elapsed_ms), outcome, error[:300]
    )
    with _lock:
        if not _buffer:
            _oldest = time.monotonic()
        _buffer.append(call)
        if len(_buffer) > MAX_BUFFER:
            del _buffer[: len(_buffer) - MAX_BUFFER]


def pending() -> int:
    return len(_buffer)


def flush_discarding() -> None:
    """Forget what is buffered (the tests, between one test and the next)."""
    with _lock:
        _buffer.clear()


def flush_if_due() -> int:
    with _lock:
        due = len(_buffer) >= FLUSH_SIZE or (
            _buffer and time.monotonic() - _oldest >= FLUSH_SECONDS
        )
    return flush() if due else 0


def flush() -> int:
    """Hand every buffered call to the writer, in one go; returns how many. If the writer
    fails the calls are dropped (they are statistics) and its error raised."""
    with _lock:
        calls = _buffer[:]
        _buffer.clear()
    if not calls or _writer is None:
        return 0
    _writer(calls)
    return len(calls)
