"""Wiring: balance checks become readings and alerts; upstream calls are written in bulk when a
job run or a request ends (catalog/upstream/calllog.py)."""

import logging

from django.core.signals import request_finished

from catalog.balances import balance_checked
from catalog.upstream import calllog

log = logging.getLogger(__name__)


def on_balance_checked(sender, *, provider, balance, checked_at, **kwargs) -> None:
    """Keep the reading; a failure here (in its own savepoint) never fails the check itself,
    which the release of held orders relies on."""
    from .balances import record

    try:
        record(
            provider=provider,
            amount=balance.amount,
            currency=balance.currency,
            checked_at=checked_at,
        )
    except Exception:
        log.exception("could not keep the balance reading of provider %s", provider.pk)


def flush_calls(*args, force: bool = False, **kwargs) -> None:
    try:
        calllog.flush() if force else calllog.flush_if_due()
    except Exception:  # statistics: never fail the job or the request for them
        log.exception("could not write the upstream call records")


def flush_all(*args, **kwargs) -> None:
    flush_calls(force=True)


def connect() -> None:
    from celery.signals import task_postrun, worker_process_shutdown, worker_shutdown

    from .health import write_calls

    calllog.set_writer(write_calls)
    balance_checked.connect(on_balance_checked, dispatch_uid="staff.balance_history")
    request_finished.connect(flush_calls, dispatch_uid="staff.flush_calls")
    task_postrun.connect(flush_calls, dispatch_uid="staff.flush_calls", weak=False)
    worker_process_shutdown.connect(flush_all, dispatch_uid="staff.flush_all", weak=False)
    worker_shutdown.connect(flush_all, dispatch_uid="staff.flush_all_main", weak=False)
