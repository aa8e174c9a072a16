"""Celery tasks of the catalog: thin wrappers that take ids and call one function."""

import logging

from celery import shared_task

from .averages import update_average_times
from .balances import check_balances
from .failures import provider_failed
from .models import Provider
from .sync import sync_provider
from .upstream import UpstreamError

log = logging.getLogger(__name__)


@shared_task
def sync_all_providers() -> None:
    for provider_id in Provider.objects.filter(enabled=True).values_list("pk", flat=True):
        sync_provider_task.delay(provider_id)


@shared_task
def sync_provider_task(provider_id: int) -> None:
    provider = Provider.objects.filter(pk=provider_id).first()
    if provider is None:
        return
    try:
        sync_provider(provider)
    except UpstreamError as exc:  # already recorded on the provider row
        log.warning("sync of provider %s failed: %s", provider_id, exc.message)
    except Exception as exc:  # anything else the answer caused: recorded, the task ends cleanly
        provider_failed(provider_id, "Sync", exc)


@shared_task
def check_all_balances() -> None:
    check_balances()


@shared_task
def update_average_times_task() -> int:
    """Each service's average time from the panel's recent completed orders (averages.py)."""
    return update_average_times()
