"""The Celery app and the one beat schedule: every periodic job of the panel is listed here."""

import os

from celery import Celery
from celery.schedules import crontab
from django.conf import settings

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "panel.settings")

app = Celery("panel")
# The CELERY_* settings, read once under Celery's own names. Given Django's settings object
# with a namespace instead, Celery looks every option up through it, about seven lookups per
# task sent: a sixth of the cost of enqueueing an order (docs/benchmarks.md).
app.config_from_object(
    {name.removeprefix("CELERY_").lower(): getattr(settings, name) for name in dir(settings)
     if name.startswith("CELERY_")}
)  # fmt: skip
app.autodiscover_tasks()

app.conf.beat_schedule = {
    "sweep-orders": {
        # Stuck sends to UNKNOWN, due and lost PENDING orders enqueued again.
        "task": "orders.tasks.sweep_orders",
        "schedule": settings.SWEEP_SECONDS,
    },
    "sweep-refills-and-cancels": {
        "task": "orders.tasks.sweep_requests",
        "schedule": 30.0,
    },
    "poll-refills": {
        "task": "orders.tasks.poll_refills",
        "schedule": settings.POLL_SECONDS,
    },
    "poll-orders": {
        # Upstream statuses of active orders: progress, then settlement with refunds, once.
        "task": "orders.tasks.poll_orders",
        "schedule": settings.POLL_SECONDS,
        "options": {
            "expires": settings.POLL_SECONDS
        },  # a run a busy worker never started is not worth queueing
    },
    "release-held-orders": {
        "task": "orders.tasks.release_held_orders",
        "schedule": crontab(minute="*/5"),
    },
    "sync-catalogs": {
        "task": "catalog.tasks.sync_all_providers",
        "schedule": crontab(minute="*/30"),
    },
    "average-times": {
        # Each service's average time per 1000, from its recent completed orders.
        "task": "catalog.tasks.update_average_times_task",
        "schedule": crontab(minute="*/15"),
    },
    "send-due-mail": {
        # The mail outbox: what failed before, and what a lost task never sent.
        "task": "outbox.tasks.send_due_mail",
        "schedule": 60.0,
    },
    "check-provider-balances": {
        # Each check is kept in the balance history and raises or clears the low-balance
        # alert (staff/balances.py, through catalog.balances.balance_checked).
        "task": "catalog.tasks.check_all_balances",
        "schedule": crontab(minute="*/10"),
    },
    "note-order-progress": {
        # Since when each order in progress has had its remains: the stalled orders.
        "task": "staff.tasks.refresh_progress_marks",
        "schedule": crontab(minute="*/5"),
    },
    "prune-call-records": {
        "task": "staff.tasks.prune_call_records",
        "schedule": crontab(minute=17, hour=3),
    },
    "refresh-report-summary": {
        # The reports' summary tables: the days whose orders or deposits changed (reports/).
        "task": "reports.tasks.refresh_summary",
        "schedule": crontab(minute="*/5"),
        "options": {"expires": 240},
    },
}
