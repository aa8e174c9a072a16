"""A real Celery worker sends a mail queued by a committed transaction, to a real SMTP server."""

import time

import pytest
from django.db import transaction

from outbox import mail
from outbox.models import MailStatus, OutboxMail
from tests.orders.workers import start_for_tests
from tests.smtp import start_smtp

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def test_a_worker_sends_the_mail_of_a_committed_event(tmp_path, monkeypatch):
    server, controller = start_smtp()
    monkeypatch.setenv("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
    monkeypatch.setenv("EMAIL_HOST", "127.0.0.1")
    monkeypatch.setenv("EMAIL_PORT", str(controller.port))
    group = start_for_tests(1, tmp_path)
    try:
        with transaction.atomic():
            mail.queue_mail(key="payment-credited:1", to="a@example.com", subject="Hi", body="x")
        deadline = time.monotonic() + 30
        while not server.messages and time.monotonic() < deadline:
            time.sleep(0.1)
        group.wait_idle()
    finally:
        group.stop()
        controller.stop()
    assert len(server.messages) == 1
    assert OutboxMail.objects.get().status == MailStatus.SENT
