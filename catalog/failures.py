"""Containing failures: whatever one provider (or one of its orders) does to a periodic job is
recorded on that row, for staff, and the job goes on with the next (docs/design.md, "Hostile
providers")."""

import logging

from django.utils import timezone

from .models import Provider
from .upstream import UpstreamError, clean

log = logging.getLogger(__name__)


def describe(exc: BaseException) -> str:
    """One line for staff: an upstream failure in its own (redacted) words, anything else
    with its type, both without control characters and short."""
    if isinstance(exc, UpstreamError):
        return clean(exc.message)[:400]
    return clean(f"{type(exc).__name__}: {exc}")[:400]


def provider_failed(provider_id: int, job: str, exc: BaseException) -> str:
    """Record `exc` as the provider's last error (with the time) and log it; never raises."""
    message = f"{job} failed: {describe(exc)}"
    if isinstance(exc, UpstreamError):
        log.warning("provider %s: %s", provider_id, message)
    else:  # not the upstream's answer but what our code made of it: a bug to fix
        log.error("provider %s: %s", provider_id, message, exc_info=exc)
    try:
        Provider.objects.filter(pk=provider_id).update(
            last_error=message, last_error_at=timezone.now()
        )
    except Exception:  # the database itself away: the log line is all there is
        log.exception("could not record the failure on provider %s", provider_id)
    return message
