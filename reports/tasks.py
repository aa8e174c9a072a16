"""Celery tasks of the reports app: one function called, nothing else."""

from celery import shared_task

from . import summary


@shared_task
def refresh_summary() -> None:
    summary.refresh()
