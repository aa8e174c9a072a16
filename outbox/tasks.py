"""Celery tasks of the outbox: ids in, one function called."""

from celery import shared_task

from . import mail


@shared_task
def send_mail(mail_id: int) -> None:
    mail.send(mail_id)


@shared_task
def send_due_mail() -> None:
    mail.send_due()
