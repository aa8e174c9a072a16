"""Cached fragments of the public pages, shared by every web process (Redis, or files in the
embedded demo), invalidated all at once by bumping a version.

Anything an admin edits bumps the version (pages/apps.py), so an edit shows on the next request.
Fragments built from the catalog also expire after PUBLIC_CACHE_SECONDS, since a catalog sync
reprices in bulk without saving rows one by one. A cache that is down costs speed, not pages.
"""

import logging
import time
from collections.abc import Callable
from typing import TypeVar

from django.conf import settings
from django.core.cache import cache

log = logging.getLogger(__name__)
T = TypeVar("T")
VERSION_KEY = "public:version"
CONTENT_TIMEOUT = 3600  # seconds; an edit bumps the version anyway


def invalidate() -> None:
    """Forget every cached public fragment (a new version; the old keys simply expire)."""
    try:
        cache.set(VERSION_KEY, time.time_ns(), None)
    except Exception:  # a cache that is down holds nothing stale to forget
        log.warning("public cache: could not bump the version", exc_info=True)


def cached(
    name: str, build: Callable[[], T], *, timeout: float | Callable[[], float] | None = None
) -> T:
    """`build()`'s value for `name` in the current version, built on a miss. `timeout` (s) may
    be a function, asked only on a miss."""
    try:
        key = f"public:{_version()}:{name}"
        value = cache.get(key)
    except Exception:
        log.warning("public cache unavailable; building %s", name, exc_info=True)
        return build()
    if value is None:
        value = build()
        try:
            cache.set(key, value, (timeout() if callable(timeout) else timeout) or CONTENT_TIMEOUT)
        except Exception:
            log.warning("public cache: could not store %s", name, exc_info=True)
    return value


def catalog_timeout() -> float:
    """How long a fragment showing rates lives (syncs reprice without a cache bump)."""
    return settings.PUBLIC_CACHE_SECONDS


def _version() -> int:
    version = cache.get(VERSION_KEY)
    if version is None:
        cache.add(VERSION_KEY, time.time_ns(), None)
        version = cache.get(VERSION_KEY)
    return version
