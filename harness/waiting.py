"""The one bounded wait: call a check until it answers, or fail saying what never happened."""

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def wait_until(
    check: Callable[[], T],
    *,
    timeout: float,
    what: str,
    interval: float = 0.05,
    details: Callable[[], str] | None = None,
    error: type[Exception] = AssertionError,
) -> T:
    """`check()` until it returns something truthy, which is returned. After `timeout` seconds
    `error` is raised with `what` did not happen (and `details()`, e.g. a log's tail). `check`
    may raise to give up sooner (a process it waits for died)."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() >= deadline:
            more = f"\n{details()}" if details else ""
            raise error(f"not within {timeout}s: {what}{more}")
        time.sleep(interval)
