"""The mail outbox: one mail per event; a failing mail server delays it, never loses or
doubles it. Mail goes to a real SMTP server on 127.0.0.1."""

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from outbox import mail
from outbox.models import MailStatus, OutboxMail
from tests.concurrency import run_together

pytestmark = pytest.mark.django_db


def _queue(key="order-completed:1", **overrides) -> bool:
    fields = {"to": "alice@example.com", "subject": "Order #1 completed", "body": "Done."}
    return mail.queue_mail(key=key, **{**fields, **overrides})


def test_a_queued_mail_is_sent_once_and_marked_sent(smtp):
    assert _queue()
    assert mail.send_due() == 1
    assert mail.send_due() == 0

    [message] = smtp.messages
    assert message["To"] == "alice@example.com"
    assert message["Subject"] == "Order #1 completed"
    assert message.get_content().strip() == "Done."
    sent = OutboxMail.objects.get()
    assert sent.status == MailStatus.SENT and sent.attempts == 1 and sent.sent_at


def test_the_same_event_queued_twice_is_one_mail(smtp):
    assert _queue() is True
    assert _queue(body="a second rendering of the same event") is False
    mail.send_due()
    assert len(smtp.messages) == 1
    assert OutboxMail.objects.count() == 1


def test_a_mail_queued_in_a_transaction_that_rolls_back_does_not_exist(smtp):
    with pytest.raises(RuntimeError), transaction.atomic():
        _queue()
        raise RuntimeError("the event itself failed")
    assert mail.send_due() == 0
    assert not OutboxMail.objects.exists() and smtp.messages == []


def test_nobody_to_mail_queues_nothing():
    assert _queue(to="") is False
    assert _queue(to=["", "  "]) is False
    assert not OutboxMail.objects.exists()


def test_a_refusing_mail_server_delays_the_mail_then_it_goes_once(smtp):
    smtp.refuse_next = 1
    _queue()
    now = timezone.now()

    assert mail.send_due(now=now) == 0
    waiting = OutboxMail.objects.get()
    assert waiting.status == MailStatus.PENDING and waiting.attempts == 1
    assert "451" in waiting.last_error
    assert waiting.next_attempt_at == now + mail.BACKOFF_BASE
    assert mail.send_due(now=now + timedelta(seconds=5)) == 0  # not due yet: no second try

    assert mail.send_due(now=now + mail.BACKOFF_BASE) == 1
    assert mail.send_due(now=now + timedelta(hours=2)) == 0
    assert smtp.refused == 1 and len(smtp.messages) == 1
    assert OutboxMail.objects.get().status == MailStatus.SENT


def test_an_unreachable_mail_server_delays_the_mail(smtp, settings):
    port = settings.EMAIL_PORT
    settings.EMAIL_PORT = 1  # nothing listens there
    _queue()
    now = timezone.now()
    assert mail.send_due(now=now) == 0
    assert OutboxMail.objects.get().status == MailStatus.PENDING

    settings.EMAIL_PORT = port
    assert mail.send_due(now=now + mail.BACKOFF_BASE) == 1
    assert len(smtp.messages) == 1


def test_backoff_doubles_and_after_max_attempts_staff_see_it_failed_and_can_retry(smtp):
    smtp.refuse_next = mail.MAX_ATTEMPTS
    _queue()
    now = timezone.now()
    for attempt in range(1, mail.MAX_ATTEMPTS + 1):
        assert mail.send(OutboxMail.objects.get().pk, now=now) != MailStatus.SENT
        waiting = OutboxMail.objects.get()
        assert waiting.attempts == attempt
        expected = min(mail.BACKOFF_BASE * 2 ** (attempt - 1), mail.BACKOFF_MAX)
        assert waiting.next_attempt_at == now + expected
        now = waiting.next_attempt_at
    failed = OutboxMail.objects.get()
    assert failed.status == MailStatus.FAILED
    assert mail.send_due(now=now + timedelta(days=1)) == 0

    assert mail.retry([failed.pk]) == 1
    assert mail.send_due(now=now + timedelta(days=1)) == 1
    assert len(smtp.messages) == 1


def test_an_abandoned_claim_is_sent_again_after_it_went_stale(smtp):
    _queue()
    pk = OutboxMail.objects.get().pk
    now = timezone.now()
    # A worker claimed it and died before sending.
    OutboxMail.objects.filter(pk=pk).update(status=MailStatus.SENDING, claimed_at=now)
    assert mail.send_due(now=now + timedelta(minutes=1)) == 0
    assert mail.send_due(now=now + mail.STALE_AFTER + timedelta(seconds=1)) == 1
    assert len(smtp.messages) == 1


@pytest.mark.django_db(transaction=True)
def test_eight_workers_sending_the_same_mail_at_once_send_it_once(smtp):
    _queue()
    pk = OutboxMail.objects.get().pk
    results = run_together(8, lambda i: mail.send(pk))
    assert sorted(map(str, results)) == ["not due"] * 7 + [MailStatus.SENT]
    assert len(smtp.messages) == 1


def test_the_send_is_enqueued_only_after_commit(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        _queue()
        _queue()  # the same event: nothing more to enqueue
    assert len(callbacks) == 1


def test_queue_template_renders_subject_text_and_html(smtp, settings):
    settings.TEMPLATES = [
        {
            "BACKEND": "django.template.backends.django.DjangoTemplates",
            "OPTIONS": {
                "loaders": [
                    (
                        "django.template.loaders.locmem.Loader",
                        {
                            "t.subject.txt": "Order #{{ id }}\n  completed\n",
                            "t.txt": "Hello {{ name }}, order #{{ id }} is done. {{ panel_name }}",
                            "t.html": "<p>Hello {{ name }}</p>",
                        },
                    )
                ]
            },
        }
    ]
    assert mail.queue_template(
        key="k",
        to=["a@example.com", "b@example.com"],
        template="t",
        context={"id": 7, "name": "<b>"},
    )
    mail.send_due()
    [message] = smtp.messages
    assert message["Subject"] == "Order #7 completed"
    assert message["To"] == "a@example.com, b@example.com"
    text = message.get_body(("plain",)).get_content()
    assert f"Hello <b>, order #7 is done. {settings.PANEL_NAME}" in text
    assert "<p>Hello &lt;b&gt;</p>" in message.get_body(("html",)).get_content()
