"""Fixed-window rate limits in a store shared by every web process (Redis), or in memory for
the embedded demo when no Redis is configured."""

import threading
import time

from django.conf import settings

WINDOW = 60  # seconds

_local: dict[str, tuple[int, int]] = {}
_lock = threading.Lock()
_redis = None


def allow(name: str, limit: int, seconds: int = WINDOW) -> bool:
    """Count one hit for `name` in the current window of `seconds` (a minute by default);
    False once past `limit` (0: no limit)."""
    if limit <= 0:
        return True
    window = int(time.time()) // seconds
    key = f"rl:{name}:{window}" if seconds == WINDOW else f"rl:{name}:{seconds}s:{window}"
    client = _client()
    if client is None:
        return _allow_locally(key, int(time.time()) // WINDOW, limit)
    try:
        with client.pipeline(transaction=False) as pipe:
            pipe.incr(key)
            pipe.expire(key, seconds * 2)
            count, _ = pipe.execute()
    except Exception:  # the store is down: limits are a shield, not a gate; let it through
        return True
    return count <= limit


def _client():
    global _redis
    url = settings.RATELIMIT_REDIS_URL
    if not url:
        return None
    if _redis is None:
        import redis

        _redis = redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
    return _redis


def _allow_locally(key: str, window: int, limit: int) -> bool:
    with _lock:
        count = _local.get(key, (window, 0))[1] + 1
        _local[key] = (window, count)
        if len(_local) > 10_000:  # forget old windows
            for stale in [k for k, (w, _) in _local.items() if w < window]:
                del _local[stale]
    return count <= limit


def reset() -> None:
    """Forget every counter (tests)."""
    _local.clear()
    client = _client()
    if client is not None:
        for key in client.scan_iter("rl:*"):
            client.delete(key)
