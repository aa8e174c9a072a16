"""Celery tasks of the orders app: ids in, one function called, nothing else."""

import logging

from celery import shared_task

from . import cancels, forwarding, polling, refills, upstream_requests

log = logging.getLogger(__name__)


@shared_task
def forward_order(order_id: int) -> None:
    try:
        forwarding.forward(order_id)
    except Exception:  # a bug or the database away: the sweeper takes the order from here
        log.exception("forwarding order %s failed", order_id)


@shared_task
def sweep_orders() -> None:
    forwarding.sweep()


@shared_task
def release_held_orders() -> None:
    forwarding.release_held()


@shared_task
def forward_refill(refill_id: int) -> None:
    refills.forward_refill(refill_id)


@shared_task
def forward_cancel(cancel_id: int) -> None:
    cancels.forward_cancel(cancel_id)


@shared_task
def poll_refills() -> None:
    refills.poll_refills()


@shared_task
def sweep_requests() -> None:
    upstream_requests.sweep_requests()


@shared_task
def poll_orders() -> None:
    polling.poll_orders()
