"""Celery tasks of the staff dashboard (scheduled in panel/celery.py)."""

from celery import shared_task
from django.utils import timezone

from .health import prune
from .stalled import refresh_marks


@shared_task
def refresh_progress_marks() -> None:
    refresh_marks(timezone.now())


@shared_task
def prune_call_records() -> int:
    return prune(timezone.now())
