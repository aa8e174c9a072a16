"""Cached fragments of the public pages, shared by every web process (Redis, or files in the
embedded demo), invalidated by bumping a version.

Two versions: "site" (site settings, content pages, posts) and "catalog" (categories, services,
markups). A fragment's key carries the versions of what it shows, so an admin edit of either
(pages/signals.py) shows on the next request, and a new service does not evict the Terms page.
Fragments built from the catalog also expire after PUBLIC_CACHE_SECONDS, since a catalog sync
reprices in bulk without saving rows one by one. A cache that is down costs speed, not pages.
"""

import logging
import time
from collections.abc import Callable, Iterable
from typing import TypeVar

from django.conf import settings
from django.core.cache import cache
from django.db import connection

log = logging.getLogger(__name__)
T = TypeVar("T")
SCOPES = ("site", "catalog")
CONTENT_TIMEOUT = 3600  # seconds; an edit bumps the version anyway


def invalidate(*scopes: str) -> None:
    """Forget the cached fragments of these scopes (all by default); old keys just expire."""
    try:
        cache.set_many({_version_key(s): time.time_ns() for s in scopes or SCOPES}, None)
    except Exception:  # a cache that is down holds nothing stale to forget
        log.warning("public cache: could not bump the version", exc_info=True)


def cached(
    name: str,
    build: Callable[[], T],
    *,
    scopes: Iterable[str] = SCOPES,
    timeout: float | Callable[[], float] | None = None,
) -> T:
    """`build()`'s value for `name` in the current versions of `scopes`, built on a miss.
    `timeout` (seconds) may be a function, asked only on a miss."""
    try:
        versions = ":".join(str(v) for v in _versions(tuple(scopes)))
        key = f"{_prefix()}:{versions}:{name}"
        value = cache.get(key)
    except Exception:
        log.warning("public cache unavailable; building %s", name, exc_info=True)
        return build()
    if value is None:
        value = build()
        seconds = timeout() if callable(timeout) else timeout
        try:
            cache.set(key, value, seconds or CONTENT_TIMEOUT)
        except Exception:
            log.warning("public cache: could not store %s", name, exc_info=True)
    return value


def catalog_timeout() -> float:
    """How long a fragment showing rates lives (syncs reprice without a cache bump)."""
    return settings.PUBLIC_CACHE_SECONDS


def _versions(scopes: tuple[str, ...]) -> list[int]:
    keys = [_version_key(s) for s in scopes]
    found = cache.get_many(keys)
    missing = {key: time.time_ns() for key in keys if key not in found}
    if missing:
        for key, value in missing.items():
            cache.add(key, value, None)
        found = cache.get_many(keys)
    return [found[key] for key in keys]


def _version_key(scope: str) -> str:
    return f"{_prefix()}:version:{scope}"


def _prefix() -> str:
    """Per database: panels (or a test run and a dev server) sharing one Redis never read
    each other's pages."""
    return f"public:{connection.settings_dict['NAME']}"
