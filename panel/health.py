"""/healthz: is this web process able to serve? For the container's health check and a load
balancer.

Checks the database (one `SELECT 1`) and the broker (a Redis PING, or the embedded filesystem
broker's folder), each with a short timeout. Answers JSON, 200 when both are ok and 503 when
either fails, naming only which part fails: never a URL, a host or an error text, which could
carry a password. No session, no cookie, no login: the view touches neither.
"""

import logging
import os
from pathlib import Path

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

log = logging.getLogger(__name__)
TIMEOUT = 1.0  # seconds, per check

_redis = {}


def check_database() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except Exception as exc:
        log.warning("healthz: database failing (%s)", type(exc).__name__)
        return False


def check_broker() -> bool:
    url = settings.CELERY_BROKER_URL
    try:
        if url.startswith(("redis://", "rediss://")):
            return bool(_redis_client(url).ping())
        if url.startswith("filesystem://"):
            folder = Path(settings.CELERY_BROKER_TRANSPORT_OPTIONS["data_folder_in"])
            return folder.is_dir() and os.access(folder, os.W_OK)
        return False  # a broker this check does not know: say so rather than guess
    except Exception as exc:
        log.warning("healthz: broker failing (%s)", type(exc).__name__)
        return False


def _redis_client(url: str):
    client = _redis.get(url)
    if client is None:
        import redis

        client = _redis[url] = redis.Redis.from_url(
            url, socket_timeout=TIMEOUT, socket_connect_timeout=TIMEOUT
        )
    return client


@never_cache
@require_http_methods(["GET", "HEAD"])
def healthz(request: HttpRequest) -> JsonResponse:
    checks = {
        "database": "ok" if check_database() else "failing",
        "broker": "ok" if check_broker() else "failing",
    }
    healthy = all(value == "ok" for value in checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "failing", "checks": checks}, status=200 if healthy else 503
    )
